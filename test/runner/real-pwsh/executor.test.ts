import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BACKEND01,
  BE01,
  createLabServer,
  type CreateLabServerOptions,
  type LabServerSpec,
} from '../../../src/lab/servers.js';
import type { LabCommandRecord } from '../../../src/lab/state.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import type { StepResult } from '../../../src/protocol/messages.js';
import { Executor, type ExecutorOptions } from '../../../src/runner/executor.js';
import { Journal } from '../../../src/runner/journal.js';
import { OutputLog } from '../../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import {
  isAlive,
  jobFor,
  lastResult,
  removeTempDirs,
  tempDir,
  TEST_TIME_SCALE,
  waitFor,
} from '../support.js';
import { capturingLogger, WAIT_MS } from './support.js';

/**
 * Executor-level twins of stand-in runner tests (between-steps, shell-faults) on the lab's real
 * pwsh engine: the real PatchBot.psm1 in real pwsh over the fake Windows/Lync layer
 * (src/lab/powershell/), which keeps the same command log and takes the same faults as the
 * stand-in. Each run starts three or more pwsh processes, so there are only a few.
 */

afterAll(removeTempDirs);

async function pwshFixture(
  spec: LabServerSpec,
  options: Partial<CreateLabServerOptions> & { executor?: Partial<ExecutorOptions>; logger?: Logger } = {},
) {
  const dir = await tempDir();
  const { executor: executorOptions, logger = silentLogger(), ...labOptions } = options;
  const lab = createLabServer(spec, {
    timeScale: TEST_TIME_SCALE,
    ...labOptions,
    dir: join(dir, 'lab'),
    engine: 'pwsh',
  });
  const journal = await Journal.open(join(dir, 'journal.json'), logger);
  const outputLog = new OutputLog(join(dir, 'logs'), logger);
  const newExecutor = () =>
    new Executor({
      profile: spec.profile,
      shell: lab.shell,
      modulePath: PATCHBOT_MODULE_PATH,
      journal,
      outputLog,
      logger,
      stepTimeoutMs: () => WAIT_MS,
      sessionStartTimeoutMs: WAIT_MS,
      ...executorOptions,
    });
  return { lab, journal, outputLog, executor: newExecutor(), newExecutor };
}

/** The pids that ran commands, in order of their first command. */
function processOrder(log: LabCommandRecord[]): number[] {
  return [...new Set(log.map((r) => r.pid))];
}

describeOnRealPwsh('the executor on the real-pwsh lab engine', () => {
  describe.concurrent('one full run with three kinds of output', () => {
    const line = 'Updating database object 0123456789 abcdefghijklmnopqrstuvwxyz';
    const text = 'Prüfung abgeschlossen: Größe übertragen, Dienste gestoppt. 更新已安装，服务已停止。';

    it('succeeds; the process after the installer starts during it and is set up only after it; output arrives whole', async () => {
      const { logger, sparePids } = capturingLogger();
      const f = await pwshFixture(BE01, {
        logger,
        // A one-second install: the spare that replaces its process surely starts meanwhile.
        durationsMs: { 'Install-PatchBotUpdate': 5_000_000 },
        faults: [
          {
            command: 'Start-PatchBotIis',
            fault: { kind: 'stderr', text: 'warning: the service took long to answer' },
          },
          {
            command: 'Update-PatchBotDatabase',
            fault: { kind: 'output', stdout: line, stderr: 'W: still updating', repeat: 2_000 },
          },
          {
            command: 'Stop-PatchBotCsServices',
            occurrence: 1,
            fault: { kind: 'output', stdout: text, stderr: `Warnung: ${text}` },
          },
        ],
      });
      const job = jobFor(BE01);
      const report = await f.executor.run(job);
      await f.journal.close();
      expect(report.outcome).toBe('succeeded');
      expect(report.results.map((r) => r.stepId)).toEqual(job.steps);
      const byId = new Map<string, StepResult>(report.results.map((r) => [r.stepId, r]));

      // stderr chatter of a native program that succeeded does not fail its step.
      expect(byId.get('iis.start')).toMatchObject({
        status: 'succeeded',
        exitCode: 0,
        stderr: 'warning: the service took long to answer',
      });
      // Non-ASCII through the UTF-8 session, on both streams.
      expect(byId.get('services.stop')!.stdout).toContain(text);
      expect(byId.get('services.stop')!.stderr).toBe(`Warnung: ${text}`);
      // Huge output: capped on the result, whole in the local log.
      const db = byId.get('database.update')!;
      const logFile = f.outputLog.fileFor(job.runId);
      expect(db).toMatchObject({ status: 'succeeded', truncated: true });
      expect(db.stdout.length).toBeLessThanOrEqual(4000);
      expect(db.stderr.length).toBeLessThanOrEqual(4000);
      expect(db.stdout.startsWith(line)).toBe(true);
      expect(db.stdout).toContain(`full output in ${logFile}`);
      const log = await readFile(logFile, 'utf-8');
      expect(log.split(line).length - 1).toBe(2_000);

      // The process after the installer: running before the installer ended, sent nothing until then.
      const state = f.lab.readState();
      const install = state.log.find((r) => r.key === 'Install-PatchBotUpdate')!;
      const reopen = state.log.filter((r) => r.key === 'Import-Module').at(-1)!;
      expect(reopen.pid).not.toBe(install.pid);
      const reopenSession = state.sessions.find((s) => s.pid === reopen.pid)!;
      expect(Date.parse(reopenSession.startedAtWall)).toBeLessThan(Date.parse(install.wallEnd!));
      const reopenRecords = state.log.filter((r) => r.pid === reopen.pid);
      expect(reopenRecords.slice(0, 4).map((r) => r.key)).toEqual([
        'init.encoding',
        'init.preferences',
        'init.module',
        'Import-Module',
      ]);
      expect(reopenRecords.every((r) => r.seq > install.seq)).toBe(true);
      // Three processes, each used only at its turn; the later two were started ahead; none is left.
      const order = processOrder(state.log);
      expect(order).toHaveLength(3);
      expect(state.log.map((r) => r.pid).filter((pid, i, all) => pid !== all[i - 1])).toEqual(order);
      expect(sparePids()).toEqual(order.slice(1));
      expect(order.filter(isAlive)).toEqual([]);
    });
  });

  describe.concurrent('faults', () => {
    it('a hung installer is killed at its timeout, never succeeded; the retry runs in a brand-new process', async () => {
      const f = await pwshFixture(BACKEND01, {
        faults: [{ command: 'Install-PatchBotUpdate', occurrence: 1, fault: { kind: 'hang' } }],
        executor: { stepTimeoutMs: (s) => (s.id === 'update.install' ? 5_000 : WAIT_MS) },
      });
      const job = jobFor(BACKEND01);
      const report = await f.executor.run(job);
      const result = lastResult(report);
      expect(report.outcome).toBe('failed');
      expect(result).toMatchObject({ stepId: 'update.install', status: 'timed-out' });
      expect(result.errorExcerpt).toMatch(
        /^No result within 5\.0 s; the PowerShell process \(pid \d+\) was killed/,
      );
      // Downtime is open: the services were stopped before the installer.
      expect(report.downtimeMs).not.toBeNull();
      const hung = f.lab.commandLog().find((r) => r.result === 'hang');
      expect(hung?.key).toBe('Install-PatchBotUpdate');
      expect(isAlive(hung!.pid)).toBe(false);

      const retry = await f.newExecutor().run({ ...job, attempt: 2, startIndex: result.index });
      expect(retry.outcome).toBe('succeeded');
      const installs = f.lab.commandLog().filter((r) => r.key === 'Install-PatchBotUpdate');
      expect(installs).toHaveLength(2);
      expect(installs[1]!.pid).not.toBe(installs[0]!.pid);
      expect(installs[1]!.result).toBe('ok');
      expect(f.lab.readState().installedVersion).toBe(BACKEND01.profile.package.version);
      await f.journal.close();
    });

    it('pwsh killed with SIGKILL mid-step is reported failed, and the run ends cleanly', async () => {
      const f = await pwshFixture(BE01, { durationsMs: { 'Stop-PatchBotCsServices': 600_000_000 } });
      const running = f.executor.run(jobFor(BE01));
      const record = await waitFor(
        () => f.lab.commandLog().find((r) => r.key === 'Stop-PatchBotCsServices' && r.result === 'running'),
        WAIT_MS,
      );
      process.kill(record.pid, 'SIGKILL');
      const report = await running;
      const result = lastResult(report);
      expect(report.outcome).toBe('failed');
      expect(result).toMatchObject({ stepId: 'services.stop', status: 'failed' });
      expect(result.errorExcerpt).toContain('ended during this step (signal SIGKILL)');
      expect(report.downtimeMs).not.toBeNull();
      expect(processOrder(f.lab.commandLog()).filter(isAlive)).toEqual([]);
      await f.journal.close();
    });
  });
});
