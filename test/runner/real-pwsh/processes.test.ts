import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BE01 } from '../../../src/lab/servers.js';
import { judge } from '../../../src/runner/results.js';
import type { Sessions } from '../../../src/runner/sessions.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { isAlive, planFor, removeTempDirs, requestFor, tempDir, waitFor } from '../support.js';
import {
  answered,
  capturingLogger,
  openRealShell,
  realSessions,
  runStep,
  WAIT_MS,
  type StepOptions,
} from './support.js';

/**
 * Twins of the stand-in's process tests (shell-faults.test.ts, between-steps.test.ts) on real
 * pwsh: a hung step, a pwsh killed or exiting mid-step, the fresh process after the installer and
 * the spare process started ahead. Each test owns its Sessions: these tests end processes.
 */

afterAll(removeTempDirs);

const plan = planFor(BE01.profile, requestFor(BE01));
const step = (id: string) => plan.steps.find((s) => s.id === id)!;

/** Runs a step that writes its pid to a file first, and returns that pid once it is running. */
async function startLongStep(
  sessions: Sessions,
  before: string,
  opts: StepOptions = {},
): Promise<{ pid: number; running: ReturnType<typeof runStep> }> {
  const flag = join(await tempDir(), 'running');
  const running = runStep(
    sessions,
    `${before}; Set-Content -LiteralPath '${flag}' -Value $PID; Start-Sleep -Seconds 600; 'never'`,
    opts,
  );
  const text = await waitFor(() => existsSync(flag) && readFileSync(flag, 'utf-8').trim(), WAIT_MS);
  return { pid: Number(text), running };
}

/** $PID, the PatchBot module's path and a global variable, as seen by the current process. */
const PROBE = '$PID; (Get-Module PatchBot).Path; "[$global:PatchBotCarried]"; $ErrorActionPreference';

function probe(stdout: string): { pid: number; module: string; carried: string; preference: string } {
  const [pid, module, carried, preference] = stdout.split('\n');
  return { pid: Number(pid), module: module ?? '', carried: carried ?? '', preference: preference ?? '' };
}

describeOnRealPwsh('the runner’s PowerShell processes on real pwsh', (pwsh) => {
  // One Sessions through a series of faults: each test's first step checks that the step after
  // the previous fault got a new, fully set-up process, then ends that process its own way.
  describe.sequential('faults mid-step, one after another', () => {
    let sessions: Sessions;
    let ended: number | null = null;
    beforeAll(() => {
      sessions = realSessions(pwsh);
    });
    afterAll(() => sessions.runEnded());

    /** The next step's process: not the one the last fault ended, PatchBot imported, Stop set. */
    async function nextProcess(): Promise<number> {
      const next = probe(answered(await runStep(sessions, PROBE)).stdout);
      // The pid the runner kills is PowerShell itself, not a wrapper around it.
      expect(next).toEqual({
        pid: sessions.pid,
        module: PATCHBOT_MODULE_PATH,
        carried: '[]',
        preference: 'Stop',
      });
      expect(next.pid).not.toBe(ended);
      return next.pid;
    }

    it('a hung step is killed at its timeout and never reported as succeeded', async () => {
      const pid = await nextProcess();
      const hung = await runStep(sessions, "'Installing...'; Start-Sleep -Seconds 600; 'never'", {
        timeoutMs: 5_000,
      });
      ended = pid;
      expect(hung).toMatchObject({ kind: 'timed-out', pid, timeoutMs: 5_000, stdout: 'Installing...' });
      const verdict = judge(step('update.install'), hung);
      expect(verdict.status).toBe('timed-out');
      expect(verdict.reason).toMatch(
        new RegExp(`No result within 5\\.0 s; the PowerShell process \\(pid ${pid}\\) was killed`),
      );
      expect(isAlive(pid)).toBe(false);
      expect(sessions.pid).toBeUndefined();
    });

    it('pwsh killed with SIGKILL from outside mid-step is the shell exiting, never success', async () => {
      await nextProcess();
      const { pid, running } = await startLongStep(sessions, "'Checking C: ...'");
      process.kill(pid, 'SIGKILL');
      const result = await running;
      ended = pid;
      expect(result).toMatchObject({
        kind: 'shell-exited',
        stdout: 'Checking C: ...',
        exit: { code: null, signal: 'SIGKILL' },
      });
      const verdict = judge(step('services.stop'), result);
      expect(verdict.status).toBe('failed');
      expect(verdict.reason).toContain('ended during this step (signal SIGKILL)');
    });

    it.each([
      ["'bye'; exit 0", 0, 'bye'],
      ['[Environment]::Exit(255)', 255, ''],
    ])(
      'a step that ends the process (%s) is a failure, not the success node-powershell reports',
      async (command, code, stdout) => {
        ended = await nextProcess();
        const result = await runStep(sessions, command);
        expect(result).toMatchObject({ kind: 'shell-exited', stdout, exit: { code, signal: null } });
        expect(judge(step('precheck.disk'), result).reason).toContain(
          `ended during this step (exit code ${code})`,
        );
      },
    );

    it('the step after the last fault still works', async () => {
      await nextProcess();
    });
  });

  describe.concurrent('a session whose pwsh is gone', () => {
    it('killed mid-call: this call and later ones return at once as exited', async () => {
      const shell = openRealShell(pwsh);
      try {
        expect(await shell.invoke('$PID', WAIT_MS)).toMatchObject({
          kind: 'completed',
          stdout: String(shell.pid),
        });
        const running = shell.invoke('Start-Sleep -Seconds 600', WAIT_MS);
        process.kill(shell.pid!, 'SIGKILL');
        expect(await running).toMatchObject({ kind: 'exited', exit: { signal: 'SIGKILL' } });
        expect(await shell.invoke("'after'", WAIT_MS)).toMatchObject({
          kind: 'exited',
          exit: { signal: 'SIGKILL' },
        });
      } finally {
        await shell.kill();
      }
    });
  });

  describe.concurrent('the fresh process after the installer (new-session)', () => {
    it('is another process, with the module imported again and nothing carried over; the old one is gone first', async () => {
      const sessions = realSessions(pwsh);
      try {
        const before = probe(
          answered(await runStep(sessions, `$global:PatchBotCarried = 'from the installer shell'; ${PROBE}`))
            .stdout,
        );
        expect(before).toEqual({
          pid: sessions.pid,
          module: PATCHBOT_MODULE_PATH,
          carried: '[from the installer shell]',
          preference: 'Stop',
        });

        const after = answered(
          await runStep(
            sessions,
            `@(Get-Process -Id ${before.pid} -ErrorAction SilentlyContinue).Count; ${PROBE}; $global:PatchBotReplayed`,
            { fresh: true, replay: ["Set-Variable -Name PatchBotReplayed -Value 'replayed' -Scope Global"] },
          ),
        );
        const [stillRunning, ...rest] = after.stdout.split('\n');
        expect(stillRunning).toBe('0');
        expect(probe(rest.slice(0, 4).join('\n'))).toEqual({
          pid: sessions.pid,
          module: PATCHBOT_MODULE_PATH,
          carried: '[]',
          preference: 'Stop',
        });
        expect(sessions.pid).not.toBe(before.pid);
        expect(rest[4]).toBe('replayed');
        expect(isAlive(before.pid)).toBe(false);
      } finally {
        await sessions.runEnded();
      }
    });

    it('fails the step, without running it, when a replayed Import-Module fails in the new process', async () => {
      const sessions = realSessions(pwsh);
      try {
        const result = await runStep(sessions, "'must not run'", {
          fresh: true,
          replay: ['Import-Module SkypeForBusiness'],
        });
        expect(result).toMatchObject({
          kind: 'session-failed',
          stdout: '',
          reason: 'PowerShell session set-up failed at "Import-Module SkypeForBusiness".',
        });
        expect(result.stderr).toContain("The specified module 'SkypeForBusiness' was not loaded");
        expect(judge(step('database.update'), result).status).toBe('failed');
      } finally {
        await sessions.runEnded();
      }
    });

    it('reports a pwsh that refuses its start-up options as failing to start', async () => {
      // What a bad executableOptions entry does (the stand-in mimics this exit code).
      const sessions = realSessions(pwsh, { executableOptions: { '-Bogus': true } });
      const result = await runStep(sessions, "'must not run'");
      expect(result).toMatchObject({
        kind: 'session-failed',
        reason: 'PowerShell exited while starting (exit code 64).',
      });
      expect(result.stderr).toContain("The argument '-Bogus' is not recognized");
      await sessions.runEnded();
    });
  });

  describe.concurrent('the spare process started ahead (sessions.ts)', () => {
    it('is started with the step before, waits idle, takes the full set-up only at its turn; an unused one dies with the run', async () => {
      const { logger, sparePids } = capturingLogger();
      const sessions = realSessions(pwsh, { logger });
      try {
        // The installer's step: a new process is needed after it, so one starts now.
        const install = await startLongStep(sessions, "$global:PatchBotCarried = 'installer shell'", {
          prestart: true,
          timeoutMs: 5_000,
        });
        const [spare] = await waitFor(() => sparePids().length > 0 && sparePids(), WAIT_MS);
        expect(spare).not.toBe(install.pid);
        // While the installer's shell runs (and then dies at its timeout), the spare waits.
        expect((await install.running).kind).toBe('timed-out');
        expect(isAlive(spare!)).toBe(true);

        const reopened = probe(answered(await runStep(sessions, PROBE, { fresh: true })).stdout);
        expect(reopened).toEqual({
          pid: spare,
          module: PATCHBOT_MODULE_PATH,
          carried: '[]',
          preference: 'Stop',
        });
        // Used once: the step after it did not start another spare.
        expect(sparePids()).toEqual([spare]);

        // A spare nobody takes (the run ends first) is killed with the current process.
        await runStep(sessions, "'last step'", { prestart: true });
        const unused = sparePids()[1];
        expect(unused).toBeDefined();
        expect(isAlive(unused!)).toBe(true);
        await sessions.runEnded();
        expect(isAlive(unused!)).toBe(false);
        expect(isAlive(spare!)).toBe(false);
      } finally {
        await sessions.runEnded();
      }
    });

    it('that died before its turn is replaced by a process started then', async () => {
      const { logger, sparePids } = capturingLogger();
      const sessions = realSessions(pwsh, { logger });
      try {
        const first = Number(answered(await runStep(sessions, '$PID', { prestart: true })).stdout);
        const [spare] = sparePids();
        process.kill(spare!, 'SIGKILL');
        await waitFor(() => !isAlive(spare!), WAIT_MS);
        const reopened = probe(answered(await runStep(sessions, PROBE, { fresh: true })).stdout);
        expect([first, spare]).not.toContain(reopened.pid);
        expect(reopened.module).toBe(PATCHBOT_MODULE_PATH);
      } finally {
        await sessions.runEnded();
      }
    });
  });
});
