import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, BE01, LYNCBE01, labServerSpec } from '../../src/lab/servers.js';
import type { LabConditions } from '../../src/lab/state.js';
import { resumeIndex } from '../../src/procedure/index.js';
import {
  fixture,
  jobFor,
  lastResult,
  planFor,
  recordingHooks,
  removeTempDirs,
  requestFor,
} from './support.js';

afterAll(removeTempDirs);

describe.concurrent('when the server is not ready, the pre-checks stop the run before any downtime', () => {
  it.each<[string, Partial<LabConditions>, string, RegExp]>([
    [
      'the account is not a CsAdministrator',
      { csAdministrator: false },
      'precheck.role',
      /is not a member of CsAdministrator/,
    ],
    ['a restart is pending', { pendingReboot: true }, 'precheck.reboot', /A restart is pending/],
    ['the disk is nearly full', { freeSpaceGb: 3 }, 'precheck.disk', /Only 3 GB free .* at least 10 GB/],
    [
      'the download is corrupt',
      { corruptDownload: true },
      'stage.verify',
      /SHA-256 of .* is [0-9A-F]{64}, expected/,
    ],
    ['another shell holds the module', { foreignModuleHolders: [4242] }, 'precheck.shells', /PID 4242/],
  ])('%s', async (_name, conditions, stepId, message) => {
    const f = await fixture(BACKEND01, { conditions });
    const report = await f.executor.run(jobFor(BACKEND01));
    const result = lastResult(report);
    expect(report.outcome).toBe('failed');
    expect(result.stepId).toBe(stepId);
    expect(result.status).toBe('failed');
    expect(result.errorExcerpt).toMatch(message);
    const state = f.lab.readState();
    expect(state.downtime).toHaveLength(0);
    expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
    await f.cleanup();
  });
});

describe.concurrent('installer and database outcomes', () => {
  it('stops after an install that needs a restart (3010), as succeeded with rebootRequired', async () => {
    const f = await fixture(LYNCBE01, { conditions: { installerExitCode: 3010 } });
    const hooks = recordingHooks();
    const job = jobFor(LYNCBE01);
    const report = await f.executor.run(job, hooks);
    expect(report.outcome).toBe('reboot-required');
    const install = lastResult(report);
    expect(install.stepId).toBe('update.install');
    expect(install.status).toBe('succeeded');
    expect(install.exitCode).toBe(3010);
    expect(install.rebootRequired).toBe(true);
    expect(f.lab.readState().installedVersion).toBe(LYNCBE01.profile.package.version);

    // After the restart the operator resumes at the next step, in a fresh shell that first
    // imports the module again; downtime closes when the services run.
    const resume = await f.executor.run(
      { ...job, attempt: 2, startIndex: install.index + 1 },
      recordingHooks(),
    );
    expect(resume.outcome).toBe('succeeded');
    expect(resume.results[0]!.stepId).toBe('shell.reopen');
    expect(resume.downtimeMs).not.toBeNull();
    await f.cleanup();
  });

  it('fails a failed installer with its exit code', async () => {
    const f = await fixture(BE01, { conditions: { installerExitCode: 1603 } });
    const report = await f.executor.run(jobFor(BE01));
    const install = lastResult(report);
    expect(install.stepId).toBe('update.install');
    expect(install.status).toBe('failed');
    expect(install.exitCode).toBe(1603);
    expect(install.errorExcerpt).toContain('exit code 1603');
    await f.cleanup();
  });

  it('stops an Enterprise request for a Standard Edition server before downtime', async () => {
    // The runner's profile does not know the edition, and the admin asked for "enterprise" on a
    // Standard Edition server: the plan is built, and the Enterprise pre-checks stop it before
    // anything is stopped (before the mirror/SQL checks, the database update refused it in downtime).
    const spec = labServerSpec({
      server: 'se99',
      product: 'sfb2019',
      edition: 'standard',
      profileWithoutEdition: true,
    });
    const request = { server: 'se99', edition: 'enterprise' as const, sqlServerFqdn: 'sql01.contoso.local' };
    const f = await fixture(spec);
    const report = await f.executor.run(jobFor(spec, {}, request));
    const result = lastResult(report);
    expect(['precheck.sql', 'precheck.mirror']).toContain(result.stepId);
    expect(result.status).toBe('failed');
    expect(result.errorExcerpt).toBeTruthy();
    expect(report.downtimeMs).toBeNull();
    expect(f.lab.readState().downtime).toHaveLength(0);
    await f.cleanup();
  });
});

describe.concurrent('retry', () => {
  it('retries a failed downtime step in a new shell that first re-imports the management module', async () => {
    const f = await fixture(BE01, {
      faults: [
        {
          command: 'Update-PatchBotDatabase',
          occurrence: 1,
          fault: { kind: 'error', message: 'SQL Server timeout.' },
        },
      ],
    });
    const job = jobFor(BE01);
    const failed = await f.executor.run(job);
    const failedStep = lastResult(failed);
    expect(failedStep.stepId).toBe('database.update');
    expect(failed.downtimeMs).not.toBeNull();

    // The bot resumes a failed database update at shell.reopen (resumeIndex): the Cs services are
    // stopped again before the database update runs again.
    const from = resumeIndex(planFor(BE01.profile, requestFor(BE01)), failedStep.index, false);
    expect(job.steps[from]).toBe('shell.reopen');
    const retry = await f.executor.run({ ...job, attempt: 2, startIndex: from });
    expect(retry.outcome).toBe('succeeded');
    expect(retry.results.map((r) => r.stepId)).toEqual(job.steps.slice(from));
    expect(retry.results.every((r) => r.attempt === 2)).toBe(true);
    const log = f.lab.commandLog();
    const retryPid = log.filter((r) => r.key === 'Update-PatchBotDatabase').at(-1)!.pid;
    expect(log.filter((r) => r.pid === retryPid && r.kind === 'step').map((r) => r.command)).toEqual([
      'Import-Module SkypeForBusiness',
      'Stop-PatchBotCsServices',
      'Start-PatchBotIis',
      "Update-PatchBotDatabase -Variant enterprise -SqlServerFqdn 'sql01.contoso.local'",
      'Start-CsWindowsService',
      'Assert-PatchBotCsServicesRunning',
      "Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530'",
    ]);
    const state = f.lab.readState();
    expect(state.downtime).toHaveLength(1);
    expect(state.downtime[0]!.runningAtSimMs).not.toBeNull();
    await f.cleanup();
  });
});

describe.concurrent('cancellation', () => {
  it('stops between steps: the running step finishes, the next one is reported cancelled', async () => {
    const f = await fixture(BE01);
    let cancel = false;
    const hooks = recordingHooks({
      isCancelled: () => cancel,
      // The cancel arrives while Stop-CsWindowsService runs (hooks are called as a step starts).
      onStepStarted: (step) => {
        hooks.started.push(step.id);
        if (step.id === 'services.stop') cancel = true;
      },
    });
    const report = await f.executor.run(jobFor(BE01), hooks);
    expect(report.outcome).toBe('cancelled');
    const cancelled = lastResult(report);
    expect(cancelled.stepId).toBe('iis.stop');
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.durationMs).toBe(0);
    expect(cancelled.errorExcerpt).toMatch(/Downtime is still running/);
    expect(f.lab.stepCommands().at(-1)).toBe('Stop-PatchBotCsServices');
    expect(f.lab.readState().w3svc).toBe('Running');
    expect(f.journal.activeRun()).toBeNull();
    await f.cleanup();
  });
});
