import { afterAll, describe, expect, it } from 'vitest';
import { BE01 } from '../../../src/lab/servers.js';
import { judge } from '../../../src/runner/results.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { isAlive, planFor, removeTempDirs, requestFor, waitFor } from '../support.js';
import {
  answered,
  capturingLogger,
  openRealShell,
  realSessions,
  runStep,
  probe,
  PROBE,
  startLongStep,
  WAIT_MS,
} from './support.js';

/**
 * Twins of the stand-in's process tests (shell-faults.test.ts, between-steps.test.ts) on real
 * pwsh: a session whose pwsh died, the fresh process after the installer, start-up failures and
 * the spare process started ahead (faults mid-step are in faults.test.ts). Each test owns its
 * Sessions and runs beside the others: most of their time is waiting for pwsh to start.
 */

afterAll(removeTempDirs);

const plan = planFor(BE01.profile, requestFor(BE01));
const step = (id: string) => plan.steps.find((s) => s.id === id)!;

describeOnRealPwsh('the runner’s PowerShell processes on real pwsh', (pwsh) => {
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
    it('is started with the step before, waits idle and takes the full set-up only at its turn; one that died is replaced, one unused dies with the run', async () => {
      const { logger, sparePids } = capturingLogger();
      const sessions = realSessions(pwsh, { logger });
      try {
        // The installer's step: a new process is needed after it, so one starts now.
        const install = await startLongStep(sessions, "$global:PatchBotCarried = 'installer shell'", {
          prestart: true,
        });
        const [spare] = await waitFor(() => sparePids().length > 0 && sparePids(), WAIT_MS);
        expect(spare).not.toBe(install.pid);
        // While the installer's shell runs (and then dies), the spare waits.
        process.kill(install.pid, 'SIGKILL');
        expect((await install.running).kind).toBe('shell-exited');
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

        // A spare that dies before its turn is replaced by a process started then.
        await runStep(sessions, "'next step'", { prestart: true });
        const died = sparePids()[1]!;
        process.kill(died, 'SIGKILL');
        await waitFor(() => !isAlive(died), WAIT_MS);
        const replacement = probe(answered(await runStep(sessions, PROBE, { fresh: true })).stdout);
        expect([install.pid, spare, died]).not.toContain(replacement.pid);
        expect(replacement.module).toBe(PATCHBOT_MODULE_PATH);

        // A spare nobody takes (the run ends first) is killed with the current process.
        await runStep(sessions, "'last step'", { prestart: true });
        const unused = sparePids()[2]!;
        expect(isAlive(unused)).toBe(true);
        await sessions.runEnded();
        expect(isAlive(unused)).toBe(false);
        expect(isAlive(replacement.pid)).toBe(false);
      } finally {
        await sessions.runEnded();
      }
    });
  });
});
