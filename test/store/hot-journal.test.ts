import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  open as openFile,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyHotState, type HotState } from '../../src/store/hot-state.js';
import { LOCK_FILE_NAME } from '../../src/store/lock.js';
import { LowdbStore, type OpenOptions } from '../../src/store/lowdb-store.js';
import { StoreCorruptError, StoreWriteError, type RunnerRecord } from '../../src/store/store.js';
import { fillDisk, mountTmpfs, unmount } from '../reliability/support/tmpfs.js';
import { CONVERSATION, finished, makeRun, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');
const open = (dir: string, options: OpenOptions = {}) =>
  LowdbStore.open(dir, clock, { journal: true, ...options });
const journalOf = (dir: string) => path.join(dir, 'state.journal.jsonl');
const snapshotOf = (dir: string) => path.join(dir, 'state.json');
const sizeOf = async (file: string) => (await stat(file)).size;
/** Which file the name points to and when it was written: a rewrite (rename) changes it. */
const stampOf = async (file: string) => {
  const { ino, mtimeMs, size } = await stat(file);
  return { ino, mtimeMs, size };
};
const draft = (text: string) => ({
  conversationId: CONVERSATION,
  runId: 1,
  kind: 'send' as const,
  activity: { text },
});

/** The data folder as a process killed right now leaves it: every awaited write is on disk. */
async function diskAfterKill(dir: string): Promise<string> {
  const copy = await tempDataDir('patchbot-killed-');
  for (const name of ['state.json', 'state.journal.jsonl', 'outbox.log'])
    if (existsSync(path.join(dir, name))) await copyFile(path.join(dir, name), path.join(copy, name));
  return copy;
}

/** What a file system that extended the file but never wrote its last page leaves: zeros. */
async function overwriteEnd(file: string, bytes: Buffer): Promise<void> {
  const handle = await openFile(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, (await handle.stat()).size - bytes.length);
  } finally {
    await handle.close();
  }
}

/** The journal's lines as written (each ends with its line break). */
async function journalLines(dir: string): Promise<string[]> {
  return (await readFile(journalOf(dir), 'utf8')).split(/(?<=\n)/).filter(Boolean);
}

describe('the hot-file journal', () => {
  it('appends at most 64 KiB per write at 100 live runs, and leaves the snapshot alone', async () => {
    const dir = await tempDataDir();
    const seeding = await open(dir);
    for (let id = 1; id <= 100; id++)
      await seeding.saveRun(makeRun(id, { server: `be${String(id).padStart(3, '0')}`, status: 'running' }));
    await seeding.close();
    // What every write used to cost: the whole snapshot.
    expect(await sizeOf(snapshotOf(dir))).toBeGreaterThan(500 * 1024);

    const store = await open(dir);
    const snapshot = await stampOf(snapshotOf(dir));
    const journalBefore = await sizeOf(journalOf(dir));
    const run = store.getRun(50)!;
    Object.assign(run.steps[3]!, { status: 'succeeded', endedAt: '2026-11-23T02:10:00.000Z' });
    // A step result: the run and the message reporting it, in one write.
    await store.saveRun(run, [draft('Step 4 succeeded')]);

    const appended = (await sizeOf(journalOf(dir))) - journalBefore;
    expect(appended).toBeGreaterThan(0);
    expect(appended).toBeLessThanOrEqual(64 * 1024);
    expect(await stampOf(snapshotOf(dir))).toEqual(snapshot);
    const restarted = await open(await diskAfterKill(dir), { readOnly: true });
    expect(restarted.getRun(50)).toEqual(run);
    expect(restarted.outbox()).toEqual(store.outbox());
  });

  it('is replayed by a read-only open, which writes nothing', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    const runner: RunnerRecord = {
      id: 'rn-be01',
      server: 'be01',
      secret: 'never-shown',
      createdAt: '2026-11-23T01:00:00.000Z',
      lastSeenAt: null,
      info: null,
    };
    await store.saveRunner(runner);
    await store.saveRun(makeRun(await store.nextRunId()));
    await store.saveConversation({ conversationId: 'c1', reference: { id: 1 }, locale: 'de-DE' });
    await store.enqueue(draft('hello'));
    const files = [await stampOf(snapshotOf(dir)), await stampOf(journalOf(dir))];

    const reader = await open(dir, { readOnly: true });
    expect(reader.liveRuns()).toEqual(store.liveRuns());
    expect(reader.getConversation('c1')).toEqual(store.getConversation('c1'));
    expect(reader.getRunner('rn-be01')).toEqual(runner);
    expect(reader.outbox()).toEqual(store.outbox());
    expect(await reader.nextRunId().catch((error: Error) => error.message)).toMatch(/read-only/);
    expect([await stampOf(snapshotOf(dir)), await stampOf(journalOf(dir))]).toEqual(files);
  });

  it('ignores a line torn by a crash mid-append, and the next start compacts past it', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    await store.saveRun(makeRun(1));
    await store.saveRun({ ...makeRun(1), status: 'running' });
    const torn = (await journalLines(dir)).at(-1)!;

    for (const tear of ['half a line', 'zeros where the line break was']) {
      const killed = await diskAfterKill(dir);
      const size = await sizeOf(journalOf(killed));
      if (tear === 'half a line') await truncate(journalOf(killed), size - Math.floor(torn.length / 2));
      else await overwriteEnd(journalOf(killed), Buffer.alloc(64));

      const reader = await open(killed, { readOnly: true });
      expect(reader.getRun(1)?.status, tear).toBe('queued');
      const restarted = await open(killed);
      expect(restarted.getRun(1)?.status, tear).toBe('queued');
      // The start wrote a snapshot and emptied the journal: appends never follow a torn line.
      expect(await sizeOf(journalOf(killed)), tear).toBe(0);
      await restarted.saveRun({ ...makeRun(1), status: 'running' });
      expect((await open(killed, { readOnly: true })).getRun(1)?.status, tear).toBe('running');
    }
  });

  it('stops the start on a damaged line that later changes follow, and leaves the files as they were', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    await store.saveRun(makeRun(1));
    for (const status of ['running', 'failed'] as const) await store.saveRun({ ...makeRun(1), status });
    const killed = await diskAfterKill(dir);
    const lines = await journalLines(killed);
    expect(lines).toHaveLength(2);
    await writeFile(journalOf(killed), [lines[0]!.replace('running', 'runnink'), lines[1]].join(''));
    const before = [await readFile(snapshotOf(killed)), await readFile(journalOf(killed))];

    const opening = open(killed);
    await expect(opening).rejects.toBeInstanceOf(StoreCorruptError);
    await expect(opening).rejects.toThrow(journalOf(killed));
    await expect(opening).rejects.toThrow(/line 1 is damaged/);
    expect([await readFile(snapshotOf(killed)), await readFile(journalOf(killed))]).toEqual(before);
    expect(existsSync(path.join(killed, LOCK_FILE_NAME))).toBe(false);
  });

  it('does not apply the old lines again when a compaction crashed before emptying the journal', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    await store.nextRunId(); // the first write starts the journal
    const message = await store.enqueue(draft('delivered before the crash'));
    // Teams took the message: the outbox log says so, the journal still holds the queued message.
    await store.completeOutbox(message.id);
    const journalAtCompaction = await readFile(journalOf(dir));
    expect(journalAtCompaction.toString()).toContain('delivered before the crash');
    await store.close();
    expect(await sizeOf(journalOf(dir))).toBe(0);

    // The crash point: new snapshot renamed into place, journal not yet emptied.
    const killed = await diskAfterKill(dir);
    await writeFile(journalOf(killed), journalAtCompaction);
    const restarted = await open(killed);
    expect(restarted.outbox()).toEqual([]);
    expect(await restarted.nextRunId()).toBe(2);
    expect((await restarted.enqueue(draft('next'))).id).toBe(message.id + 1);
  });

  it('keeps the old snapshot and journal in charge when a compaction crashed before its rename', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    await store.saveRun(makeRun(1));
    await store.saveRun({ ...makeRun(1), status: 'running' });
    const killed = await diskAfterKill(dir);
    await writeFile(
      path.join(killed, '.state.json.tmp'),
      '{"version":1,"journal":"0123456789abcdef","lastRu',
    );

    const restarted = await open(killed);
    expect(restarted.getRun(1)?.status).toBe('running');
    await restarted.close();
    expect((await open(killed, { readOnly: true })).getRun(1)?.status).toBe('running');
  });
});

type StoreOp = {
  kind:
    'save' | 'finish' | 'enqueue' | 'complete' | 'touch' | 'sending' | 'conversation' | 'run id' | 'close';
  n: number;
};
const storeOp: fc.Arbitrary<StoreOp> = fc.record({
  kind: fc.constantFrom(
    ...([
      'save',
      'finish',
      'enqueue',
      'complete',
      'touch',
      'sending',
      'conversation',
      'run id',
      'close',
    ] as const),
  ),
  n: fc.nat(20),
});

/** One of the store's mutations, as the bot makes them. */
async function perform(store: LowdbStore, { kind, n }: StoreOp): Promise<void> {
  const live = store.liveRuns();
  const queued = store.outbox()[n % Math.max(1, store.outbox().length)];
  switch (kind) {
    case 'save': {
      const run = store.getRun((n % 4) + 1) ?? makeRun((n % 4) + 1);
      run.attempt += 1;
      run.steps[n % run.steps.length]!.status = n % 2 ? 'running' : 'succeeded';
      return store.saveRun(run, n % 2 ? [draft(`step ${n}`)] : []);
    }
    case 'finish': {
      const run = live[n % Math.max(1, live.length)];
      return run && store.saveRun(finished(run, 'succeeded'), [draft('done')]);
    }
    case 'enqueue':
      return void (await store.enqueue(draft(`message ${n}`)));
    case 'complete':
      return queued && store.completeOutbox(queued.id);
    case 'touch':
      return queued && store.touchOutbox(queued.id, n);
    case 'sending':
      return queued && store.markSending(queued.id);
    case 'conversation':
      return store.saveConversation({ conversationId: `c${n % 3}`, reference: { n }, locale: 'de-DE' });
    case 'run id':
      return void (await store.nextRunId());
    case 'close':
      return store.close();
  }
}

describe('the hot-file journal replayed by a restart', () => {
  it('finds the state the store held, after any sequence of mutations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storeOp, { minLength: 1, maxLength: 25 }), async (ops) => {
        const store = await open(await tempDataDir());
        for (const op of ops) await perform(store, op);
        const restarted = await open(await diskAfterKill(store.dir));
        expect(restarted.liveRuns()).toEqual(store.liveRuns());
        expect(restarted.outbox()).toEqual(store.outbox());
        for (const id of ['c0', 'c1', 'c2'])
          expect(restarted.getConversation(id)).toEqual(store.getConversation(id));
        expect(await restarted.nextRunId()).toBe(await store.nextRunId());
      }),
      { numRuns: 15 },
    );
  });
});

describe('the hot-file journal when an append fails', () => {
  const mounts: string[] = [];
  afterEach(() => {
    for (const dir of mounts.splice(0)) unmount(dir);
  });

  it('rejects, undoes the change in memory, and a restart finds the previous state', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    await store.saveRun(makeRun(1));
    await store.saveRun({ ...makeRun(1), status: 'queued', attempt: 2 });
    const journal = journalOf(dir);
    await rename(journal, `${journal}.aside`);
    await mkdir(journal);

    const run = store.getRun(1)!;
    run.status = 'running';
    await expect(store.saveRun(run, [draft('started')])).rejects.toBeInstanceOf(StoreWriteError);
    expect(run).toEqual({ ...makeRun(1), attempt: 2 });
    expect(store.outbox()).toEqual([]);
    expect(store.health().ok).toBe(false);
    await rmdir(journal);
    await rename(`${journal}.aside`, journal);
    expect((await open(await diskAfterKill(dir), { readOnly: true })).getRun(1)?.status).toBe('queued');

    run.status = 'running';
    await store.saveRun(run);
    expect((await open(await diskAfterKill(dir), { readOnly: true })).getRun(1)?.status).toBe('running');
  });

  it.skipIf(process.platform === 'win32')(
    'cuts back a line the full disk took only part of, so no replay applies it',
    async ({ skip }) => {
      const dir = path.join(await tempDataDir(), 'data');
      // A real full disk needs root (mount); the case above covers the rest without it.
      if (!mountTmpfs(dir, { sizeBytes: 1024 * 1024 })) skip('tmpfs cannot be mounted here');
      mounts.push(dir);
      const store = await open(dir);
      await store.saveRun(makeRun(1));
      await store.saveRun({ ...makeRun(1), attempt: 2 });
      const journalBefore = await readFile(journalOf(dir));
      // Leaves one page free: the next line (several KiB) fits only in part.
      await writeFile(path.join(dir, 'spare'), Buffer.alloc(4096));
      fillDisk(path.join(dir, 'filler'));
      await rm(path.join(dir, 'spare'));

      const run = store.getRun(1)!;
      run.status = 'running';
      await expect(store.saveRun(run)).rejects.toThrow(/ENOSPC/);
      expect(store.getRun(1)?.status).toBe('queued');
      expect(await readFile(journalOf(dir))).toEqual(journalBefore);
      expect((await open(await diskAfterKill(dir), { readOnly: true })).getRun(1)?.status).toBe('queued');

      await rm(path.join(dir, 'filler'));
      run.status = 'running';
      await store.saveRun(run);
      expect((await open(await diskAfterKill(dir), { readOnly: true })).getRun(1)?.status).toBe('running');
    },
  );
});

describe('the hot-file journal with older data folders', () => {
  it('opens a folder without a journal as before, and a store without the journal reads one left behind', async () => {
    const dir = await tempDataDir();
    const old: HotState = { ...emptyHotState(), lastRunId: 1, runs: { '1': makeRun(1) } };
    await writeFile(snapshotOf(dir), JSON.stringify(old));

    const journaled = await open(dir);
    expect(journaled.getRun(1)).toEqual(makeRun(1));
    await journaled.saveRun({ ...makeRun(1), status: 'running' });
    await journaled.saveRun({ ...makeRun(1), status: 'failed' });
    expect(await journalLines(dir)).toHaveLength(1);

    // Switched off again: the journal is replayed, and the next write leaves the snapshot on its own.
    const killed = await diskAfterKill(dir);
    const plain = await open(killed, { journal: false });
    expect(plain.getRun(1)?.status).toBe('failed');
    await plain.saveRun({ ...makeRun(1), status: 'interrupted' });
    expect(JSON.parse(await readFile(snapshotOf(killed), 'utf8'))).not.toHaveProperty('journal');
    expect((await open(killed)).getRun(1)?.status).toBe('interrupted');
  });

  it.skipIf(process.platform === 'win32')('creates the journal private to the bot account', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    await store.saveRun(makeRun(1));
    await store.saveRun({ ...makeRun(1), attempt: 2 });
    expect((await stat(journalOf(dir))).mode & 0o777).toBe(0o600);
  });
});
