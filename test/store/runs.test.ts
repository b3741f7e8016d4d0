import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { ACTIVE_STATUSES, FINAL_STATUSES, type RunStatus } from '../../src/store/types.js';
import { archivedLines, finished, hotFile, makeRun, tempDataDir } from './support.js';

const NOVEMBER = () => new Date('2026-11-23T03:00:00Z');

describe('LowdbStore runs', () => {
  it.each(['planned', ...ACTIVE_STATUSES] as RunStatus[])(
    'a %s run stays in the hot file',
    async (status) => {
      const dir = await tempDataDir();
      const store = await LowdbStore.open(dir, NOVEMBER);
      await store.saveRun(makeRun(1, { status }));
      expect(Object.keys((await hotFile(dir)).runs)).toEqual(['1']);
      expect(await archivedLines(dir)).toEqual([]);
      await store.close();
    },
  );

  it.each(FINAL_STATUSES)('a %s run leaves the hot file for the archive', async (status) => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, NOVEMBER);
    const run = makeRun(1, { status: 'running' });
    await store.saveRun(run);
    await store.saveRun(finished(run, status));

    expect((await hotFile(dir)).runs).toEqual({});
    expect(await archivedLines(dir)).toEqual([{ file: 'runs-2026-11.jsonl', run: finished(run, status) }]);
    expect(store.getRun(1)).toBeUndefined();
    expect(store.liveRuns()).toEqual([]);
    expect((await store.findRun(1))?.status).toBe(status);
    await store.close();
  });

  it('finishes a move that a crash interrupted after the archive append, without a duplicate', async () => {
    const dir = await tempDataDir();
    const done = finished(makeRun(7), 'succeeded');
    const live = makeRun(8, { server: 'be02' });
    await mkdir(path.join(dir, 'archive'));
    await writeFile(path.join(dir, 'archive', 'runs-2026-11.jsonl'), `${JSON.stringify(done)}\n`);
    await writeFile(path.join(dir, 'state.json'), hotState({ 7: done, 8: live }, 8));

    const store = await LowdbStore.open(dir, NOVEMBER);
    expect(Object.keys((await hotFile(dir)).runs)).toEqual(['8']);
    expect((await archivedLines(dir)).map((l) => l.run.id)).toEqual([7]);
    expect((await store.finishedRuns({ limit: 10 })).map((r) => r.id)).toEqual([7]);
    expect(store.liveRuns().map((r) => r.id)).toEqual([8]);
    await store.close();
  });

  it('finishes a move that a crash interrupted before the archive append', async () => {
    const dir = await tempDataDir();
    const done = finished(makeRun(3), 'aborted');
    await writeFile(path.join(dir, 'state.json'), hotState({ 3: done }, 3));

    const store = await LowdbStore.open(dir, NOVEMBER);
    expect((await hotFile(dir)).runs).toEqual({});
    expect((await archivedLines(dir)).map((l) => l.run)).toEqual([done]);
    await store.close();
  });

  it('does not reuse archived run ids when the hot file was moved aside', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, NOVEMBER);
    for (let i = 0; i < 3; i++) await store.saveRun(finished(makeRun(await store.nextRunId()), 'succeeded'));
    await store.close();
    await rename(path.join(dir, 'state.json'), path.join(dir, 'state.json.bak'));

    const fresh = await LowdbStore.open(dir, NOVEMBER);
    expect(await fresh.nextRunId()).toBe(4);
    await fresh.close();
  });

  // About 7,000 real file writes: slow disks need more than the default timeout.
  it('keeps the hot file small however long the history grows', { timeout: 120_000 }, async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, NOVEMBER);
    await store.saveRun(makeRun(await store.nextRunId(), { server: 'be02', status: 'running' }));
    const finishRuns = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await store.saveRun(finished(makeRun(await store.nextRunId()), i % 3 ? 'succeeded' : 'expired'));
      }
    };
    await finishRuns(10);
    // The hot state as a restart reads it (state.json with its journal replayed).
    const afterTen = JSON.stringify(await hotFile(dir)).length;
    await finishRuns(1990);
    const afterTwoThousand = JSON.stringify(await hotFile(dir)).length;

    expect(await archivedLines(dir)).toHaveLength(2000);
    // Only the counter's digits grow (11 -> 2001).
    expect(afterTwoThousand - afterTen).toBeLessThanOrEqual(8);
    expect(store.liveRuns()).toHaveLength(1);
    await store.close();
  });

  it('reads an archive whose last line was torn by a crash, and appends after it cleanly', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, NOVEMBER);
    await store.saveRun(finished(makeRun(1), 'succeeded'));
    await store.close();
    await appendFile(path.join(dir, 'archive', 'runs-2026-11.jsonl'), '{"id":2,"server":"be0');

    const restarted = await LowdbStore.open(dir, NOVEMBER);
    expect((await restarted.finishedRuns({ limit: 5 })).map((r) => r.id)).toEqual([1]);
    await restarted.saveRun(finished(makeRun(3), 'succeeded'));
    expect((await restarted.finishedRuns({ limit: 5 })).map((r) => r.id)).toEqual([3, 1]);
    await restarted.close();
  });
});

function hotState(runs: Record<number, unknown>, lastRunId: number): string {
  return JSON.stringify({
    version: 1,
    lastRunId,
    lastOutboxId: 0,
    runs,
    runners: {},
    conversations: {},
    outbox: [],
  });
}
