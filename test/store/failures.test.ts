import { access, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/store/lock.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { StoreCorruptError, StoreWriteError, type RunnerRecord } from '../../src/store/store.js';
import {
  blockHotFileWrites,
  CONVERSATION,
  finished,
  hotFile,
  makeRun,
  tempDataDir,
  unwritableDataDir,
  type UnwritableDir,
} from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

const runner = (id: string, server: string): RunnerRecord => ({
  id,
  server,
  secret: 'never-shown',
  createdAt: '2026-11-23T01:00:00.000Z',
  lastSeenAt: null,
  info: null,
});

describe('LowdbStore with a corrupt hot file', () => {
  it.each([
    ['truncated JSON', '{"version":1,"lastRunId":4,"runs":{"4":{"id":4,'],
    ['an empty file', ''],
    ['null', 'null'],
    ['a list', '[]'],
    [
      'an unknown version',
      '{"version":2,"lastRunId":0,"lastOutboxId":0,"runs":{},"runners":{},"conversations":{},"outbox":[]}',
    ],
    [
      'a missing map',
      '{"version":1,"lastRunId":0,"lastOutboxId":0,"runs":{},"conversations":{},"outbox":[]}',
    ],
  ])('refuses %s, names the file and leaves it untouched', async (_what, content) => {
    const dir = await tempDataDir();
    const file = path.join(dir, 'state.json');
    await writeFile(file, content);

    const opening = LowdbStore.open(dir, clock);
    await expect(opening).rejects.toBeInstanceOf(StoreCorruptError);
    await expect(opening).rejects.toThrow(file);
    expect(await readFile(file, 'utf8')).toBe(content);
    // The refusal gave the lock back: fixing the file is enough to start.
    await expect(access(path.join(dir, LOCK_FILE_NAME))).rejects.toThrow(/ENOENT/);
    await rm(file);
    await (await LowdbStore.open(dir, clock)).close();
  });
});

describe('LowdbStore when the disk refuses a write', () => {
  let unwritable: UnwritableDir | undefined;
  afterEach(async () => {
    await unwritable?.cleanUp();
    unwritable = undefined;
  });

  it('gives a clear error, keeps the previous file and does not run ahead in memory', async () => {
    unwritable = await unwritableDataDir();
    const { dir } = unwritable;
    const store = await LowdbStore.open(dir, clock);
    await store.saveRunner(runner('rn-be01', 'be01'));
    const before = await readFile(path.join(dir, 'state.json'));

    await unwritable.makeUnwritable();
    const failing = store.saveRunner(runner('rn-be02', 'be02'));
    await expect(failing, unwritable.technique).rejects.toBeInstanceOf(StoreWriteError);
    await expect(failing).rejects.toThrow(path.join(dir, 'state.json'));
    await expect(failing).rejects.toThrow(/not saved/);
    await expect(store.nextRunId()).rejects.toBeInstanceOf(StoreWriteError);

    expect(await readFile(path.join(dir, 'state.json'))).toEqual(before);
    expect(store.getRunner('rn-be02')).toBeUndefined();
    await unwritable.makeWritable();
    expect(await store.nextRunId()).toBe(1);
    await store.close();
  });
});

describe('LowdbStore rolls a failed mutation back in memory', () => {
  async function openBlocked() {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    return { dir, store, block: () => blockHotFileWrites(dir) };
  }

  it('puts a run changed in place back to its saved contents', async () => {
    const { dir, store, block } = await openBlocked();
    await store.saveRun(makeRun(1, { status: 'queued' }));
    const unblock = await block();

    const run = store.getRun(1)!;
    Object.assign(run, { status: 'running', startedAt: '2026-11-23T02:05:00.000Z', downtimeWarnings: [20] });
    await expect(store.saveRun(run)).rejects.toBeInstanceOf(StoreWriteError);

    expect(run).toEqual(makeRun(1, { status: 'queued' }));
    expect(store.getRun(1)).toBe(run);
    expect(store.liveRuns()).toEqual([makeRun(1, { status: 'queued' })]);
    await unblock();
    await store.close();
    expect((await hotFile(dir)).runs['1']?.status).toBe('queued');
  });

  it('forgets a new run whose first save failed', async () => {
    const { store, block } = await openBlocked();
    const unblock = await block();
    await expect(store.saveRun(makeRun(5))).rejects.toBeInstanceOf(StoreWriteError);
    expect(store.getRun(5)).toBeUndefined();
    await unblock();
    await store.close();
  });

  it('keeps a run live when its final save failed', async () => {
    const { dir, store, block } = await openBlocked();
    await store.saveRun(makeRun(2, { status: 'running' }));
    const unblock = await block();
    const run = store.getRun(2)!;
    run.status = 'succeeded';
    await expect(store.saveRun(run)).rejects.toBeInstanceOf(StoreWriteError);
    expect(store.liveRuns().map((r) => [r.id, r.status])).toEqual([[2, 'running']]);
    expect(await store.finishedRuns({ limit: 5 })).toEqual([]);
    await unblock();
    await store.close();
    expect(await readFile(path.join(dir, 'archive', 'runs-2026-11.jsonl'), 'utf8').catch(() => '')).toBe('');
  });

  it('undoes runner, conversation and outbox changes', async () => {
    const { store, block } = await openBlocked();
    await store.saveRunner(runner('rn-be01', 'be01'));
    const queued = await store.enqueue({
      conversationId: CONVERSATION,
      runId: 1,
      kind: 'update',
      activityId: 'c1',
      activity: {},
    });
    const unblock = await block();

    await expect(store.removeRunner('rn-be01')).rejects.toBeInstanceOf(StoreWriteError);
    await expect(store.saveRunner({ ...runner('rn-be01', 'be01'), lastSeenAt: 'now' })).rejects.toThrow();
    await expect(
      store.saveConversation({ conversationId: 'c', reference: {}, locale: null }),
    ).rejects.toThrow();
    await expect(
      store.enqueue({
        conversationId: CONVERSATION,
        runId: 1,
        kind: 'update',
        activityId: 'c1',
        activity: { v: 2 },
      }),
    ).rejects.toThrow();
    await expect(store.touchOutbox(queued.id, 4)).rejects.toThrow();

    expect(store.getRunner('rn-be01')).toEqual(runner('rn-be01', 'be01'));
    expect(store.getConversation('c')).toBeUndefined();
    expect(store.outbox()).toEqual([queued]);
    await unblock();
    expect(
      (await store.enqueue({ conversationId: CONVERSATION, runId: null, kind: 'send', activity: {} })).id,
    ).toBe(2);
    await store.close();
  });

  it('keeps a delivered message queued when the outbox log cannot record the delivery', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    const queued = await store.enqueue({
      conversationId: CONVERSATION,
      runId: 1,
      kind: 'send',
      activity: {},
    });
    // The log's name is taken by a folder: every append fails.
    await mkdir(path.join(dir, 'outbox.log'));

    await expect(store.completeOutbox(queued.id)).rejects.toBeInstanceOf(StoreWriteError);
    await expect(store.completeOutbox(queued.id)).rejects.toThrow(/outbox\.log/);
    expect(store.outbox()).toEqual([queued]);
    await rmdir(path.join(dir, 'outbox.log'));
    await store.completeOutbox(queued.id);
    expect(store.outbox()).toEqual([]);
    await store.close();
  });

  it('keeps a finished run readable when the archive cannot be written, and moves it at the next start', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await writeFile(path.join(dir, 'archive'), 'a file where the archive folder belongs');
    const run = makeRun(3, { status: 'running' });
    await store.saveRun(run);
    await store.saveRun(finished(run, 'succeeded'));

    expect(store.liveRuns()).toEqual([]);
    expect((await store.findRun(3))?.status).toBe('succeeded');
    expect((await hotFile(dir)).runs['3']?.status).toBe('succeeded');
    await rm(path.join(dir, 'archive'));
    expect((await store.finishedRuns({ limit: 5 })).map((r) => r.id)).toEqual([3]);
    await store.close();

    const restarted = await LowdbStore.open(dir, clock);
    expect((await hotFile(dir)).runs).toEqual({});
    expect((await restarted.finishedRuns({ limit: 5 })).map((r) => r.id)).toEqual([3]);
    await restarted.close();
  });
});
