import { Writable } from 'node:stream';
import { Low } from 'lowdb';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BACKEND01, BE01 } from '../../src/lab/servers.js';
import type { LabCommandRecord, LabFaultRule } from '../../src/lab/state.js';
import { createLogger } from '../../src/log.js';
import { Journal } from '../../src/runner/journal.js';
import {
  fixture,
  isAlive,
  jobFor,
  labProcesses,
  planFor,
  recordingHooks,
  removeTempDirs,
  requestFor,
  waitFor,
} from './support.js';

/**
 * What the runner does between two steps, where it adds to downtime: the next PowerShell process
 * is started ahead (bare, used only at its turn), one journal write per step, hooks off the path.
 */

afterAll(removeTempDirs);
afterEach(() => vi.restoreAllMocks());

/** A debug logger whose lines the test can read (the runner logs each spare process it starts). */
function capturingLogger() {
  const lines: Array<{ msg?: string; pid?: number }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf-8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const sparePids = () =>
    lines.filter((l) => l.msg === 'spare PowerShell process started').map((l) => l.pid ?? -1);
  return { logger: createLogger({ level: 'debug', destination }), sparePids };
}

/** The pids that ran commands, in order of their first command. */
function processOrder(log: LabCommandRecord[]): number[] {
  return [...new Set(log.map((r) => r.pid))];
}

describe('the PowerShell process after the installer', () => {
  it('is started while the installer runs but gets its set-up and Import-Module only after it', async () => {
    // A 1 s download and a 1 s install: time for each spare to start while a step runs.
    const { logger, sparePids } = capturingLogger();
    const f = await fixture(BACKEND01, {
      durationsMs: { 'Save-PatchBotPackage': 5_000_000, 'Install-PatchBotUpdate': 5_000_000 },
      executor: { logger },
    });
    const report = await f.executor.run(jobFor(BACKEND01), recordingHooks());
    expect(report.outcome).toBe('succeeded');

    const state = f.lab.readState();
    const install = state.log.find((r) => r.key === 'Install-PatchBotUpdate')!;
    const reopen = state.log.filter((r) => r.key === 'Import-Module').at(-1)!;
    expect(reopen.pid).not.toBe(install.pid);
    const reopenSession = state.sessions.find((s) => s.pid === reopen.pid)!;
    // Running before the installer ended...
    expect(Date.parse(reopenSession.startedAtWall)).toBeLessThan(Date.parse(install.wallEnd!));
    // ...and sent nothing until then: its session set-up (the PatchBot module) and the
    // management module's Import-Module came after the installer finished.
    const reopenRecords = state.log.filter((r) => r.pid === reopen.pid);
    expect(reopenRecords.slice(0, 4).map((r) => r.key)).toEqual([
      'init.encoding',
      'init.preferences',
      'init.module',
      'Import-Module',
    ]);
    expect(reopenRecords.every((r) => r.seq > install.seq)).toBe(true);
    expect(Date.parse(reopenRecords[0]!.wallStart)).toBeGreaterThanOrEqual(Date.parse(install.wallEnd!));

    // Three processes, each used only at its turn: no process ran a command between two
    // commands of another one.
    const order = processOrder(state.log);
    expect(order).toHaveLength(3);
    const runs = state.log.map((r) => r.pid).filter((pid, i, all) => pid !== all[i - 1]);
    expect(runs).toEqual(order);
    // Both later processes were started ahead of their step, and none is left running.
    expect(sparePids()).toEqual(order.slice(1));
    expect(labProcesses(f.lab.stateFile)).toEqual([]);

    // The simulated clock: a process started ahead adds no start-up time to the downtime window.
    const window = state.downtime[0]!;
    const inWindow = state.log.filter(
      (r) => r.simStartMs >= window.stoppedAtSimMs && r.simEndMs! <= window.runningAtSimMs!,
    );
    const commandTime = inWindow.reduce((sum, r) => sum + (r.simEndMs! - r.simStartMs), 0);
    expect(window.runningAtSimMs! - window.stoppedAtSimMs).toBe(commandTime);
    await f.cleanup();
  });
});

describe.concurrent('a spare PowerShell process is never left behind', () => {
  const cases: Array<[string, LabFaultRule[], string, string]> = [
    ['the run is cancelled', [], 'cancelled', 'iis.stop'],
    [
      'a step fails',
      [{ command: 'Stop-PatchBotIis', fault: { kind: 'exit', code: 2 } }],
      'failed',
      'iis.stop',
    ],
    ['a step times out', [{ command: 'Stop-PatchBotIis', fault: { kind: 'hang' } }], 'failed', 'iis.stop'],
    [
      'the shell dies before the downtime',
      [{ command: 'Assert-PatchBotFreeSpace', fault: { kind: 'crash', exitCode: 1 } }],
      'failed',
      'precheck.disk',
    ],
  ];

  it.each(cases)('when %s', async (_name, faults, outcome, lastStep) => {
    const { logger, sparePids } = capturingLogger();
    const f = await fixture(BE01, {
      faults,
      executor: { logger, stepTimeoutMs: (s) => (s.id === 'iis.stop' ? 800 : 15_000) },
    });
    let cancel = false;
    const hooks = recordingHooks({
      isCancelled: () => cancel,
      onStepStarted: (step) => {
        hooks.started.push(step.id);
        if (step.id === 'services.stop' && outcome === 'cancelled') cancel = true;
      },
    });
    const report = await f.executor.run(jobFor(BE01), hooks);
    expect(report.outcome).toBe(outcome);
    expect(report.results.at(-1)?.stepId).toBe(lastStep);

    // A spare was waiting for the installer's step; the run's end killed it unused.
    const [spare] = sparePids();
    expect(spare).toBeDefined();
    expect(isAlive(spare!)).toBe(false);
    const log = f.lab.commandLog();
    expect(log.some((r) => r.pid === spare)).toBe(false);
    expect(f.lab.readState().sessions.map((s) => s.pid)).not.toContain(spare);
    expect(log.some((r) => r.key === 'Install-PatchBotUpdate')).toBe(false);
    expect(labProcesses(f.lab.stateFile)).toEqual([]);
    await f.cleanup();
  });
});

describe('a spare PowerShell process that dies before its turn', () => {
  it('is replaced by a process started at that moment', async () => {
    const { logger, sparePids } = capturingLogger();
    // A 1 s download: time to kill the spare while it waits for the installer's step.
    const f = await fixture(BACKEND01, {
      durationsMs: { 'Save-PatchBotPackage': 5_000_000 },
      executor: { logger },
    });
    const running = f.executor.run(jobFor(BACKEND01));
    const [spare] = await waitFor(() => sparePids().length > 0 && sparePids());
    await waitFor(() => f.lab.stepCommands().some((c) => c.startsWith('Save-PatchBotPackage')));
    process.kill(spare!, 'SIGKILL');
    const report = await running;
    expect(report.outcome).toBe('succeeded');
    const log = f.lab.commandLog();
    const install = log.find((r) => r.key === 'Install-PatchBotUpdate')!;
    expect(install.pid).not.toBe(spare);
    expect(log.some((r) => r.pid === spare)).toBe(false);
    expect(processOrder(log)).toHaveLength(3);
    expect(labProcesses(f.lab.stateFile)).toEqual([]);
    await f.cleanup();
  });
});

describe('journal writes between steps', () => {
  it('writes once per step, and a crash during a step still finds that step interrupted', async () => {
    const f = await fixture(BE01, {
      faults: [{ command: 'Install-PatchBotUpdate', fault: { kind: 'hang' } }],
    });
    const plan = planFor(BE01.profile, requestFor(BE01));
    const job = jobFor(BE01);
    const installAt = job.steps.indexOf('update.install');
    const writes = vi.spyOn(Low.prototype, 'write');
    const abandoned = f.executor.run(job);
    const hung = await waitFor(() => f.lab.commandLog().find((r) => r.result === 'hang'));
    // The run start, then one write per started step (the result before it rides along).
    expect(writes).toHaveBeenCalledTimes(1 + installAt + 1);
    // The runner "dies" here: its journal writes nothing more.
    await f.journal.close();
    writes.mockRestore();

    const journal = await Journal.open(f.journal.file, createLogger({ level: 'silent' }));
    const recovered = await journal.recover();
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ stepId: 'update.install', status: 'interrupted' });
    expect(recovered[0]!.errorExcerpt).toMatch(/may have partly happened/);
    // Every step before it, the shell's close included, is in the outbox, in order.
    expect(journal.pendingResults().map((r) => [r.stepId, r.status])).toEqual([
      ...plan.steps.slice(0, installAt).map((s) => [s.id, 'succeeded']),
      ['update.install', 'interrupted'],
    ]);
    await journal.close();
    process.kill(hung.pid, 'SIGKILL');
    expect((await abandoned).outcome).toBe('journal-unavailable');
    await waitFor(() => labProcesses(f.lab.stateFile).length === 0);
  });

  it('a full run makes one write per step plus the run start and end', async () => {
    const f = await fixture(BACKEND01);
    const job = jobFor(BACKEND01);
    const writes = vi.spyOn(Low.prototype, 'write');
    const report = await f.executor.run(job);
    expect(report.outcome).toBe('succeeded');
    // beginRun, one per step, the last step's result, finishRun.
    expect(writes).toHaveBeenCalledTimes(job.steps.length + 3);
    await f.cleanup();
  });
});

describe('hooks between steps', () => {
  it('a slow result hook (a slow network send) does not hold up the next step', async () => {
    const f = await fixture(BE01);
    let nextStepRanMeanwhile = false;
    const hooks = recordingHooks({
      onStepResult: async (result) => {
        hooks.results.push(result);
        if (result.stepId !== 'services.stop') return;
        // Held until the simulator has seen the next step's command.
        await waitFor(() => f.lab.stepCommands().includes('Stop-PatchBotIis'), 5_000).then(
          () => (nextStepRanMeanwhile = true),
          () => undefined,
        );
      },
    });
    const report = await f.executor.run(jobFor(BE01), hooks);
    expect(report.outcome).toBe('succeeded');
    expect(nextStepRanMeanwhile).toBe(true);
    // Still called once per step, in order, before run() returned.
    expect(hooks.results.map((r) => r.index)).toEqual(report.results.map((r) => r.index));
    await f.cleanup();
  });

  it('a cancel check that has to wait gets the ended step recorded and reported first', async () => {
    const f = await fixture(BACKEND01);
    const job = jobFor(BACKEND01);
    let checks = 0;
    const waited: boolean[] = [];
    const hooks = recordingHooks({
      // Like the agent while it stops: the answer comes only once the step that ended is in the
      // outbox and reported (a runner that waited for the answer first would never get it).
      isCancelled: () => {
        const done = checks++;
        return waitFor(
          () => f.journal.pendingResults().length === done && hooks.results.length === done,
          5_000,
        ).then(
          () => waited.push(true) === 4,
          () => waited.push(false) === 4,
        );
      },
    });
    const report = await f.executor.run(job, hooks);
    expect(report.outcome).toBe('cancelled');
    expect(waited).toEqual([true, true, true, true]);
    expect(report.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'cancelled']);
    await f.cleanup();
  });
});
