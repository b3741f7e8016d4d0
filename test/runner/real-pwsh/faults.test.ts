import { afterAll, beforeAll, expect, it } from 'vitest';
import { BE01 } from '../../../src/lab/servers.js';
import { judge } from '../../../src/runner/results.js';
import type { Sessions } from '../../../src/runner/sessions.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { isAlive, planFor, removeTempDirs, requestFor } from '../support.js';
import { answered, probe, PROBE, realSessions, runStep, startLongStep } from './support.js';

/**
 * Twins of the stand-in's fault tests (shell-faults.test.ts) on real pwsh: a step that hangs,
 * pwsh terminated or exiting mid-step. One Sessions goes through the faults in order: each test's
 * first step checks that the step after the previous fault got a new, fully set-up process, then
 * the test ends that process its own way (a pwsh start is a second of CPU on shared cores).
 */

afterAll(removeTempDirs);

const plan = planFor(BE01.profile, requestFor(BE01));
const step = (id: string) => plan.steps.find((s) => s.id === id)!;

describeOnRealPwsh('faults mid-step on real pwsh, one after another', (pwsh) => {
  let sessions: Sessions;
  let ended: number | null = null;
  beforeAll(() => {
    sessions = realSessions(pwsh);
  });
  afterAll(() => sessions.runEnded());

  /** The next step's process: not the one the last fault ended, PatchBot imported, Stop set. */
  async function nextProcess(): Promise<number> {
    const next = probe(answered(await runStep(sessions, PROBE)).stdout);
    // The pid the runner kills is PowerShell's own, not a wrapper's (.tools/bin/pwsh execs dotnet).
    expect(next).toEqual({
      pid: sessions.pid,
      module: PATCHBOT_MODULE_PATH,
      carried: '[]',
      preference: 'Stop',
    });
    expect(next.pid).not.toBe(ended);
    return next.pid;
  }

  it('a hung step is killed at its timeout, with what it printed, and never reported as succeeded', async () => {
    // A native program that prompts (net stop without /y): pwsh has already read the framing
    // lines, so it waits on the empty pipe for ever (rather than eating them as the notes feared).
    const pid = await nextProcess();
    const hung = await runStep(sessions, "'Stopping...'; & head -n 1; 'never'", { timeoutMs: 5_000 });
    ended = pid;
    expect(hung).toMatchObject({ kind: 'timed-out', pid, timeoutMs: 5_000, stdout: 'Stopping...' });
    const verdict = judge(step('update.install'), hung);
    expect(verdict.status).toBe('timed-out');
    expect(verdict.reason).toMatch(
      new RegExp(`^No result within 5\\.0 s; the PowerShell process \\(pid ${pid}\\) was killed`),
    );
    expect(isAlive(pid)).toBe(false);
    expect(sessions.pid).toBeUndefined();
  });

  // SIGKILL from outside: executor.test.ts (the run's report) and processes.test.ts (the session).
  it('pwsh told to terminate (SIGTERM) mid-step is the shell exiting, never the success node-powershell reports', async () => {
    const signal = 'SIGTERM';
    await nextProcess();
    const { pid, running } = await startLongStep(sessions, "'Checking C: ...'");
    process.kill(pid, signal);
    const result = await running;
    ended = pid;
    expect(result).toMatchObject({
      kind: 'shell-exited',
      stdout: 'Checking C: ...',
      exit: { code: null, signal },
    });
    const verdict = judge(step('services.stop'), result);
    expect(verdict.status).toBe('failed');
    expect(verdict.reason).toContain(`ended during this step (signal ${signal})`);
  });

  it('a step that ends the process with exit code 0 is a failure, not the success node-powershell reports', async () => {
    ended = await nextProcess();
    const result = await runStep(sessions, "'bye'; exit 0");
    expect(result).toMatchObject({ kind: 'shell-exited', stdout: 'bye', exit: { code: 0, signal: null } });
    expect(judge(step('precheck.disk'), result).reason).toContain('ended during this step (exit code 0)');
  });

  it('the step after the last fault still works', async () => {
    await nextProcess();
  });
});
