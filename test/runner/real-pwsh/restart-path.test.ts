import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, BE01, createLabServer, type LabServerSpec } from '../../../src/lab/servers.js';
import type { LabConditions } from '../../../src/lab/state.js';
import { silentLogger } from '../../../src/log.js';
import { Executor } from '../../../src/runner/executor.js';
import { ServerFactsReader } from '../../../src/runner/facts.js';
import { Journal } from '../../../src/runner/journal.js';
import { OutputLog } from '../../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { restartScenarios } from '../restart-scenarios.js';
import { jobFor, removeTempDirs, tempDir, TEST_TIME_SCALE } from '../support.js';
import { WAIT_MS } from './support.js';

/**
 * The restart path and the server facts on the lab's real pwsh engine: the real PatchBot.psm1
 * (Install-PatchBotUpdate's exit-code handling, Get-PatchBotServerFacts) over the fake
 * Windows/Lync layer, driven by the real runner.
 */

afterAll(removeTempDirs);

async function pwshLab(spec: LabServerSpec, conditions: Partial<LabConditions> = {}) {
  const dir = await tempDir();
  const lab = createLabServer(spec, {
    timeScale: TEST_TIME_SCALE,
    conditions,
    dir: join(dir, 'lab'),
    engine: 'pwsh',
  });
  return { dir, lab };
}

describeOnRealPwsh('the restart path and server facts on real pwsh', (_pwsh) => {
  restartScenarios(async (spec, conditions) => {
    const { dir, lab } = await pwshLab(spec, conditions);
    const logger = silentLogger();
    const journal = await Journal.open(join(dir, 'journal.json'), logger);
    const executor = new Executor({
      profile: spec.profile,
      shell: lab.shell,
      modulePath: PATCHBOT_MODULE_PATH,
      journal,
      outputLog: new OutputLog(join(dir, 'logs'), logger),
      logger,
      stepTimeoutMs: () => WAIT_MS,
      sessionStartTimeoutMs: WAIT_MS,
    });
    return { lab, executor, cleanup: () => journal.close() };
  });

  describe.concurrent('Get-PatchBotServerFacts read by the runner', () => {
    const read = async (spec: LabServerSpec, conditions: Partial<LabConditions> = {}) => {
      const { lab } = await pwshLab(spec, conditions);
      const reader = new ServerFactsReader({
        shell: lab.shell,
        modulePath: PATCHBOT_MODULE_PATH,
        product: spec.profile.product,
        stagingDir: spec.profile.stagingDir,
        logger: silentLogger(),
        timeoutMs: WAIT_MS,
      });
      return { lab, facts: await reader.read() };
    };

    it('an Enterprise back end: edition, SQL Server, components and their lowest version', async () => {
      const { facts } = await read(BE01);
      expect(facts).not.toBeNull();
      expect(facts).toMatchObject({
        product: BE01.profile.product,
        edition: 'enterprise',
        sqlServerFqdn: BE01.sqlServerFqdn,
        installedVersion: BE01.installedVersion,
        mirrored: false,
      });
      expect(facts!.components.length).toBeGreaterThan(0);
      expect(facts!.csServiceCount).toBeGreaterThan(0);
    });

    it('a machine without Cs services reports 0, and the runner then declines update jobs', async () => {
      const { lab, facts } = await read(BACKEND01, { csServicesInstalled: false });
      expect(facts?.csServiceCount).toBe(0);
      const dir = await tempDir();
      const logger = silentLogger();
      const journal = await Journal.open(join(dir, 'journal.json'), logger);
      const executor = new Executor({
        profile: BACKEND01.profile,
        shell: lab.shell,
        modulePath: PATCHBOT_MODULE_PATH,
        journal,
        outputLog: new OutputLog(join(dir, 'logs'), logger),
        logger,
        facts: () => facts,
      });
      const report = await executor.run(jobFor(BACKEND01));
      expect(report.error?.code).toBe('no-cs-services');
      await journal.close();
    });
  });
});
