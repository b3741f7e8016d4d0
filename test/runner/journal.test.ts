import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BE01 } from '../../src/lab/servers.js';
import { silentLogger } from '../../src/log.js';
import type { StepResult } from '../../src/protocol/messages.js';
import { Journal, JournalClosedError, resultKey } from '../../src/runner/journal.js';
import { fixture, jobFor, recordingHooks, removeTempDirs, tempDir, waitFor } from './support.js';

afterAll(removeTempDirs);

const logger = silentLogger();

function result(
  job: { runId: number; attempt: number; steps: string[] },
  index: number,
  status = 'succeeded',
): StepResult {
  return {
    runId: job.runId,
    attempt: job.attempt,
    stepId: job.steps[index] as StepResult['stepId'],
    index,
    status: status as StepResult['status'],
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    exitCode: null,
    stdout: '',
    stderr: '',
    truncated: false,
    errorExcerpt: null,
  };
}

describe('journal', () => {
  it('reports the step that was running at a crash as interrupted, once', async () => {
    const file = join(await tempDir(), 'journal.json');
    const job = jobFor(BE01);
    const first = await Journal.open(file, logger);
    await first.beginRun(job, '2026-01-01T00:00:00.000Z');
    await first.stepStarted(job, { stepId: job.steps[0]!, index: 0, startedAt: '2026-01-01T00:00:00.000Z' });
    await first.stepFinished(result(job, 0), null);
    await first.stepStarted(job, { stepId: job.steps[1]!, index: 1, startedAt: '2026-01-01T00:00:01.000Z' });
    // The process dies here; a new one opens the same file.
    const second = await Journal.open(file, logger);
    expect(second.activeRun()?.current?.stepId).toBe(job.steps[1]);
    const recovered = await second.recover(new Date('2026-01-01T00:00:11.000Z'));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({
      stepId: job.steps[1],
      index: 1,
      status: 'interrupted',
      durationMs: 10_000,
    });
    expect(recovered[0]!.errorExcerpt).toMatch(/may have partly happened/);
    expect(second.pendingResults().map((r) => [r.stepId, r.status])).toEqual([
      [job.steps[0], 'succeeded'],
      [job.steps[1], 'interrupted'],
    ]);
    expect(second.activeRun()).toBeNull();
    expect(await second.recover()).toEqual([]);
  });

  it('reports a crash between steps as the next step interrupted before it started', async () => {
    const file = join(await tempDir(), 'journal.json');
    const job = jobFor(BE01);
    const j = await Journal.open(file, logger);
    await j.beginRun(job, '2026-01-01T00:00:00.000Z');
    await j.stepStarted(job, { stepId: job.steps[0]!, index: 0, startedAt: '2026-01-01T00:00:00.000Z' });
    await j.stepFinished(result(job, 0), null);
    const recovered = await (await Journal.open(file, logger)).recover();
    expect(recovered.map((r) => [r.stepId, r.status, r.errorExcerpt])).toEqual([
      [job.steps[1], 'interrupted', 'The runner stopped between steps; this step never started.'],
    ]);
  });

  it('records a result and the next step in one write: a crash after it finds the next step interrupted', async () => {
    const file = join(await tempDir(), 'journal.json');
    const job = jobFor(BE01);
    const j = await Journal.open(file, logger);
    await j.beginRun(job, '2026-01-01T00:00:00.000Z');
    await j.stepStarted(job, { stepId: job.steps[0]!, index: 0, startedAt: '2026-01-01T00:00:00.000Z' });
    await j.stepFinishedAndStarted(result(job, 0), {
      stepId: job.steps[1]!,
      index: 1,
      startedAt: '2026-01-01T00:00:01.000Z',
    });
    // The process dies here, before or after the command went to PowerShell: it cannot tell.
    const reopened = await Journal.open(file, logger);
    expect(reopened.activeRun()?.current?.stepId).toBe(job.steps[1]);
    const recovered = await reopened.recover(new Date('2026-01-01T00:00:03.000Z'));
    expect(recovered.map((r) => [r.stepId, r.status, r.durationMs])).toEqual([
      [job.steps[1], 'interrupted', 2000],
    ]);
    expect(recovered[0]!.errorExcerpt).toMatch(/may have partly happened/);
    expect(reopened.pendingResults().map((r) => [r.stepId, r.status])).toEqual([
      [job.steps[0], 'succeeded'],
      [job.steps[1], 'interrupted'],
    ]);
  });

  it('adds nothing on recovery when the run had already halted on a failure', async () => {
    const file = join(await tempDir(), 'journal.json');
    const job = jobFor(BE01);
    const j = await Journal.open(file, logger);
    await j.beginRun(job, '2026-01-01T00:00:00.000Z');
    await j.stepStarted(job, { stepId: job.steps[0]!, index: 0, startedAt: '2026-01-01T00:00:00.000Z' });
    await j.stepFinished(result(job, 0, 'failed'), 'failed');
    const reopened = await Journal.open(file, logger);
    expect(await reopened.recover()).toEqual([]);
    expect(reopened.pendingResults()).toHaveLength(1);
    expect(reopened.activeRun()).toBeNull();
  });

  it('acks by key, keeps order, prunes acknowledged finished runs and remembers them', async () => {
    const file = join(await tempDir(), 'journal.json');
    const job = jobFor(BE01);
    const j = await Journal.open(file, logger);
    await j.beginRun(job, '2026-01-01T00:00:00.000Z');
    for (const i of [0, 1, 2]) await j.stepFinished(result(job, i), null);
    await j.finishRun(job, 'succeeded');
    expect(await j.ack({ runId: job.runId, stepId: job.steps[1]!, attempt: job.attempt })).toBe(true);
    expect(await j.ack({ runId: job.runId, stepId: job.steps[1]!, attempt: job.attempt })).toBe(false);
    expect(j.pendingResults().map(resultKey)).toEqual([0, 2].map((i) => `${job.runId}/${job.steps[i]}/1`));
    for (const r of j.pendingResults()) await j.ack(r);
    const data = JSON.parse(await readFile(file, 'utf-8')) as {
      runs: unknown[];
      outbox: unknown[];
      finished: string[];
    };
    expect(data.runs).toEqual([]);
    expect(data.outbox).toEqual([]);
    expect(data.finished).toEqual([`${job.runId}/1`]);
    expect(j.knows(job.runId, 1)).toBe(true);
    expect(j.knows(job.runId, 2)).toBe(false);
  });

  it('stays small over many acknowledged runs', async () => {
    const file = join(await tempDir(), 'journal.json');
    const j = await Journal.open(file, logger, { rememberFinished: 20 });
    for (let n = 0; n < 60; n++) {
      const job = { ...jobFor(BE01), runId: 50_000 + n };
      await j.beginRun(job, '2026-01-01T00:00:00.000Z');
      await j.stepFinished(result(job, 0), null);
      await j.finishRun(job, 'succeeded');
      await j.ack(result(job, 0));
    }
    const data = JSON.parse(await readFile(file, 'utf-8')) as { runs: unknown[]; finished: string[] };
    expect(data.runs).toEqual([]);
    expect(data.finished).toHaveLength(20);
    expect(data.finished.at(-1)).toBe(`${50_000 + 59}/1`);
    expect((await stat(file)).size).toBeLessThan(1000);
  });

  it('refuses a corrupt file and leaves it untouched', async () => {
    const file = join(await tempDir(), 'journal.json');
    await writeFile(file, '{"version":1,"runs":[');
    await expect(Journal.open(file, logger)).rejects.toThrow(/not valid JSON.*left as it is/);
    expect(await readFile(file, 'utf-8')).toBe('{"version":1,"runs":[');
  });

  it('serializes concurrent writes: none is lost', async () => {
    const file = join(await tempDir(), 'journal.json');
    const job = jobFor(BE01);
    const j = await Journal.open(file, logger);
    await j.beginRun(job, '2026-01-01T00:00:00.000Z');
    await Promise.all(job.steps.map((_, i) => j.stepFinished(result(job, i), null)));
    const onDisk = JSON.parse(await readFile(file, 'utf-8')) as { outbox: StepResult[] };
    expect(onDisk.outbox.map((r) => r.index)).toEqual(job.steps.map((_, i) => i));
  });

  it('refuses writes once closed', async () => {
    const j = await Journal.open(join(await tempDir(), 'journal.json'), logger);
    await j.close();
    await expect(j.beginRun(jobFor(BE01), 'x')).rejects.toBeInstanceOf(JournalClosedError);
  });
});

describe('runner restart after a crash', () => {
  it('reports the step that was running as interrupted and re-sends unacknowledged results', async () => {
    const f = await fixture(BE01, {
      faults: [{ command: 'Stop-PatchBotCsServices', occurrence: 1, fault: { kind: 'hang' } }],
    });
    const job = jobFor(BE01);
    const hooks = recordingHooks({
      // The bot acknowledged only the first two results before the crash.
      onStepResult: async (r) => {
        hooks.results.push(r);
        if (r.index < 2) await f.journal.ack(r);
      },
    });
    const abandoned = f.executor.run(job, hooks);
    const hung = await waitFor(() => f.lab.commandLog().find((r) => r.result === 'hang'));
    // The runner process "dies": its journal writes nothing more.
    await f.journal.close();

    const journal = await Journal.open(f.journal.file, logger);
    const restarted = f.newExecutor(journal);
    const recovered = await journal.recover();
    expect(recovered.map((r) => [r.stepId, r.status])).toEqual([['services.stop', 'interrupted']]);
    const pending = journal.pendingResults();
    const stopAt = job.steps.indexOf('services.stop');
    expect(pending.map((r) => r.stepId)).toEqual([...job.steps.slice(2, stopAt), 'services.stop']);
    expect(pending.slice(0, -1).every((r) => r.status === 'succeeded')).toBe(true);

    // The interrupted step is never re-run by itself: the same attempt is refused...
    expect((await restarted.run(job)).error?.code).toBe('job-already-run');
    // ...and the simulator never saw a second Stop-CsWindowsService.
    expect(f.lab.stepCommands().filter((c) => c === 'Stop-PatchBotCsServices')).toHaveLength(1);

    // Clean up the abandoned run: end its hung shell; it must not write to the journal any more.
    process.kill(hung.pid, 'SIGKILL');
    const old = await abandoned;
    expect(old.outcome).toBe('journal-unavailable');
    expect(journal.pendingResults()).toEqual(pending);
    await journal.close();
  });
});
