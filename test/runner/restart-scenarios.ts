import { describe, expect, it } from 'vitest';
import { BE01, BACKEND01, type LabServer, type LabServerSpec } from '../../src/lab/servers.js';
import type { LabConditions } from '../../src/lab/state.js';
import { resumeIndex } from '../../src/procedure/index.js';
import type { Executor } from '../../src/runner/executor.js';
import { jobFor, lastResult, planFor, requestFor } from './support.js';

export type RestartFixture = (
  spec: LabServerSpec,
  conditions: Partial<LabConditions>,
) => Promise<{ lab: LabServer; executor: Executor; cleanup(): Promise<void> }>;

/**
 * Issue 15's restart path, on either lab engine: the installer asks for a restart, the admin
 * restarts the (simulated) server, Retry resumes where resumeIndex says, and the run finishes with
 * the databases updated while the Cs services were kept stopped.
 */
export function restartScenarios(makeFixture: RestartFixture): void {
  describe.concurrent('the installer asks for a restart; Retry after the restart finishes the run', () => {
    it.each<[string, LabServerSpec, Partial<LabConditions>]>([
      ['exit code 3010 (Standard Edition)', BACKEND01, { installerExitCode: 3010 }],
      ['exit code 1641, the installer restarts (Enterprise)', BE01, { installerExitCode: 1641 }],
      ['exit code 0 with restart flags left set', BACKEND01, { installerLeavesRestartPending: true }],
    ])('%s', async (_name, spec, conditions) => {
      const f = await makeFixture(spec, conditions);
      const plan = planFor(spec.profile, requestFor(spec));
      const job = jobFor(spec);
      const first = await f.executor.run(job);
      const install = lastResult(first);
      expect(install).toMatchObject({ stepId: 'update.install', status: 'succeeded', rebootRequired: true });
      expect(first.outcome).toBe('reboot-required');

      // The admin restarts Windows: W3SVC and the Cs services come back on their own.
      const restarted = f.lab.restart();
      expect(restarted.w3svc).toBe('Running');
      expect(Object.values(restarted.services).every((s) => s === 'Running')).toBe(true);
      const seen = f.lab.stepCommands().length;

      const from = resumeIndex(plan, install.index, true);
      expect(job.steps[from]).toBe('shell.reopen');
      const retry = await f.executor.run({ ...job, attempt: 2, startIndex: from });
      expect(retry.error).toBeNull();
      expect(retry.outcome).toBe('succeeded');
      expect(retry.results.map((r) => r.stepId)).toEqual(job.steps.slice(from));

      // After the restart the Cs services were stopped again before anything else, and stayed
      // stopped until the database update had run.
      const after = f.lab.stepCommands().slice(seen);
      const stopAt = after.findIndex((c) => c.startsWith('Stop-PatchBotCsServices'));
      const dbAt = after.findIndex((c) => c.startsWith('Update-PatchBotDatabase'));
      const startAt = after.indexOf('Start-CsWindowsService');
      expect(stopAt).toBeGreaterThan(-1);
      expect(stopAt).toBeLessThan(dbAt);
      expect(dbAt).toBeLessThan(startAt);
      const state = f.lab.readState();
      expect(state.databaseVersion).toBe(spec.profile.package.version);
      expect(state.installedVersion).toBe(spec.profile.package.version);
      expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
      expect(state.w3svc).toBe('Running');
      await f.cleanup();
    });

    it('exit code 1618: fails with the reason, nothing installed; Retry re-runs the installer', async () => {
      const f = await makeFixture(BACKEND01, { installerExitCode: 1618 });
      const job = jobFor(BACKEND01);
      const first = await f.executor.run(job);
      const install = lastResult(first);
      expect(install).toMatchObject({ stepId: 'update.install', status: 'failed', exitCode: 1618 });
      expect(install.errorExcerpt).toMatch(/Another installation is running/);
      expect(f.lab.readState().installedVersion).toBe(BACKEND01.installedVersion);
      const plan = planFor(BACKEND01.profile, requestFor(BACKEND01));
      expect(job.steps[resumeIndex(plan, install.index, false)]).toBe('update.install');
      await f.cleanup();
    });
  });
}
