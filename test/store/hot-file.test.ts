import { mkdir, readFile, rename, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HotFile } from '../../src/store/hot-file.js';
import { emptyHotState, parseHotState, type HotState } from '../../src/store/hot-state.js';
import type { RunRecord } from '../../src/store/types.js';
import { makeRun, tempDataDir } from './support.js';

/** Small enough that the property runs compact now and then. */
const COMPACT_BYTES = 40_000;

function hotFileAt(file: string, journal: boolean): HotFile {
  return new HotFile(file, (text) => parseHotState(text, file), { journal, compactBytes: COMPACT_BYTES });
}

async function openHotFile(journal: boolean): Promise<{ hot: HotFile; file: string }> {
  const file = path.join(await tempDataDir('patchbot-hotfile-'), 'state.json');
  return { hot: hotFileAt(file, journal), file };
}

const onDisk = async (file: string): Promise<unknown> => JSON.parse(await readFile(file, 'utf8'));
/** What a restart would find: the snapshot with its journal replayed, read by a fresh adapter. */
const readBack = async (file: string): Promise<HotState | null> => hotFileAt(file, false).read();
/** The state as plain JSON data, which is what the file must hold. */
const asJson = (state: HotState): unknown => JSON.parse(JSON.stringify(state));

/** What the store does to its hot state, and tells the adapter about. */
type Change =
  | { kind: 'new run'; id: number }
  | { kind: 'step of a run'; pick: number; status: 'running' | 'succeeded' }
  | { kind: 'drop a run'; pick: number }
  | { kind: 'runner beat'; runner: number; second: number }
  | { kind: 'runner facts'; runner: number; version: string }
  | { kind: 'conversation'; id: number; locale: string | null }
  | { kind: 'outbox'; text: string; card: number | null }
  | { kind: 'outbox delivered'; pick: number }
  | { kind: 'outbox attempt'; pick: number }
  | { kind: 'outbox reordered' }
  | { kind: 'run id'; by: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('new run' as const), id: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    kind: fc.constant('step of a run' as const),
    pick: fc.nat(),
    status: fc.constantFrom('running' as const, 'succeeded' as const),
  }),
  fc.record({ kind: fc.constant('drop a run' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('runner beat' as const),
    runner: fc.integer({ min: 1, max: 4 }),
    second: fc.integer({ min: 0, max: 59 }),
  }),
  fc.record({
    kind: fc.constant('runner facts' as const),
    runner: fc.integer({ min: 1, max: 4 }),
    version: fc.constantFrom('1.0.0', '1.1.0', 'ü "quoted" \\ \u2028'),
  }),
  fc.record({
    kind: fc.constant('conversation' as const),
    id: fc.integer({ min: 1, max: 3 }),
    locale: fc.constantFrom(null, 'de-DE', 'zh-CN'),
  }),
  fc.record({
    kind: fc.constant('outbox' as const),
    text: fc.string(),
    card: fc.option(fc.integer({ min: 1, max: 2 })),
  }),
  fc.record({ kind: fc.constant('outbox delivered' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('outbox attempt' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('outbox reordered' as const) }),
  fc.record({ kind: fc.constant('run id' as const), by: fc.integer({ min: 1, max: 3 }) }),
);

function apply(state: HotState, hot: HotFile, c: Change): void {
  const keys = Object.keys(state.runs);
  const queued = state.outbox[c.kind.startsWith('outbox ') ? (c as { pick: number }).pick % 8 : 0];
  switch (c.kind) {
    case 'new run':
      state.runs[String(c.id)] = makeRun(c.id);
      return;
    case 'step of a run': {
      const key = keys[c.pick % Math.max(1, keys.length)];
      if (key === undefined) return;
      const run = state.runs[key]!;
      run.steps[0]!.status = c.status;
      run.status = 'running';
      hot.changed('runs', key);
      return;
    }
    case 'drop a run': {
      const key = keys[c.pick % Math.max(1, keys.length)];
      if (key !== undefined) delete state.runs[key];
      return;
    }
    case 'runner beat': {
      const entry = state.runners[`rn-${c.runner}`];
      // Heartbeats move lastSeenAt in place, and the store reports it.
      if (entry) {
        entry.lastSeenAt = `2026-11-23T02:00:${String(c.second).padStart(2, '0')}.000Z`;
        hot.changed('runners', `rn-${c.runner}`);
      }
      return;
    }
    case 'runner facts':
      state.runners[`rn-${c.runner}`] = {
        lastSeenAt: '2026-11-23T01:00:00.000Z',
        info: { runnerId: `rn-${c.runner}`, version: c.version, profile: {} as never },
      };
      return;
    case 'conversation':
      state.conversations[`c${c.id}`] = {
        conversationId: `c${c.id}`,
        reference: { id: c.id },
        locale: c.locale,
      };
      return;
    case 'outbox': {
      state.lastOutboxId += 1;
      const activityId = c.card === null ? undefined : `card-${c.card}`;
      // As the store queues: a newer update of the same card replaces an unsent older one.
      const kept = state.outbox.filter((o) => activityId === undefined || o.activityId !== activityId);
      state.outbox = [
        ...kept,
        {
          id: state.lastOutboxId,
          conversationId: 'c1',
          runId: null,
          kind: activityId === undefined ? 'send' : 'update',
          ...(activityId === undefined ? {} : { activityId }),
          activity: { text: c.text },
          createdAt: '2026-11-23T02:00:00.000Z',
          attempts: 0,
        },
      ];
      return;
    }
    case 'outbox delivered':
      if (queued) state.outbox = state.outbox.filter((o) => o !== queued);
      return;
    case 'outbox attempt':
      // Changed in place, unreported: the adapter compares outbox items by their JSON.
      if (queued) queued.attempts += 1;
      return;
    case 'outbox reordered':
      // The store never does this; should it ever, the journal writes the whole queue.
      state.outbox = [...state.outbox].reverse();
      return;
    case 'run id':
      state.lastRunId += c.by;
  }
}

describe.each([
  ['rewriting the snapshot', false],
  ['with the journal', true],
])('the hot file adapter, %s', (_how, journal) => {
  it('always leaves on disk exactly the state in memory, however records changed between writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(change, { maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        async (rounds) => {
          const { hot, file } = await openHotFile(journal);
          const state = emptyHotState();
          for (const round of rounds) {
            for (const c of round) apply(state, hot, c);
            await hot.write(state);
            expect(await readBack(file)).toEqual(asJson(state));
            // Without the journal the snapshot alone is the state, in the layout it always had.
            if (!journal) expect(await onDisk(file)).toEqual(asJson(state));
          }
          // A fresh adapter reads back the same state, and writing it back changes nothing.
          const reader = hotFileAt(file, journal);
          const read = await reader.read();
          expect(read).toEqual(asJson(state));
          const before = await readFile(file, 'utf8');
          const journalBefore = await readFile(reader.journal.file, 'utf8').catch(() => '');
          await reader.write(read!);
          expect(await readFile(file, 'utf8')).toBe(before);
          expect(await readFile(reader.journal.file, 'utf8').catch(() => '')).toBe(journalBefore);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('makes JSON again only for what changed: a run changed in place counts once it is reported', async () => {
    const { hot, file } = await openHotFile(journal);
    const state = emptyHotState();
    state.runs['1'] = makeRun(1);
    await hot.write(state);

    state.runs['1'].status = 'running';
    await hot.write(state);
    // Not reported: the disk keeps the run as it was written (the store reports every saveRun).
    expect((await readBack(file))!.runs['1']!.status).toBe('queued');

    hot.changed('runs', '1');
    await hot.write(state);
    expect((await readBack(file))!.runs['1']!.status).toBe('running');
  });

  it('keeps what the disk holds when a write fails, and catches up at the next one', async () => {
    const { hot, file } = await openHotFile(journal);
    const state = emptyHotState();
    state.runs['1'] = makeRun(1);
    await hot.write(state);

    // Where this write goes is taken by a folder: the temp file, or the journal (moved aside).
    const blocked = journal ? hot.journal.file : hot.tempFile;
    if (journal) await rename(blocked, `${blocked}.aside`);
    await mkdir(blocked);
    state.runs['1'].status = 'running';
    hot.changed('runs', '1');
    await expect(hot.write(state)).rejects.toThrow();
    // What the store puts back on failure: the run as the disk holds it.
    expect(hot.saved<RunRecord>('runs', '1')).toMatchObject({ id: 1, status: 'queued' });
    await rmdir(blocked);
    if (journal) await rename(`${blocked}.aside`, blocked);
    expect((await readBack(file))!.runs['1']!.status).toBe('queued');

    await hot.write(state);
    expect((await readBack(file))!.runs['1']!.status).toBe('running');
    expect(hot.saved<RunRecord>('runs', '1')).toMatchObject({ status: 'running' });
    expect(hot.saved<RunRecord>('runs', '2')).toBeUndefined();
  });
});

describe('the hot file adapter compacting its journal', () => {
  const journalAt = (file: string, compactBytes: number) =>
    new HotFile(file, (text) => parseHotState(text, file), { journal: true, compactBytes });
  const sizeOf = async (file: string) => (await stat(file)).size;

  it('compacts once the journal passes its threshold, and replays to the state in memory', async () => {
    const { file } = await openHotFile(true);
    const hot = journalAt(file, 30_000);
    const state = emptyHotState();
    const snapshots = new Set<string>();
    for (let i = 1; i <= 24; i++) {
      state.runs[String((i % 5) + 1)] = makeRun((i % 5) + 1, { attempt: i });
      await hot.write(state);
      snapshots.add(((await onDisk(file)) as { journal: string }).journal);
      expect(await sizeOf(hot.journal.file)).toBeLessThanOrEqual(30_000 + hot.lastWriteBytes);
      expect(await readBack(file)).toEqual(asJson(state));
    }
    expect(snapshots.size).toBeGreaterThan(2);
  });

  it('appends past its threshold while the snapshot cannot be written, and compacts once it can', async () => {
    const { file } = await openHotFile(true);
    const hot = journalAt(file, 1);
    const state = emptyHotState();
    state.runs['1'] = makeRun(1);
    await hot.write(state);
    await mkdir(hot.tempFile);
    for (const attempt of [2, 3]) {
      state.runs['1'] = makeRun(1, { attempt });
      await hot.write(state);
    }
    expect((await readFile(hot.journal.file, 'utf8')).split('\n')).toHaveLength(3);
    expect(await readBack(file)).toEqual(asJson(state));
    await rmdir(hot.tempFile);
    state.runs['1'] = makeRun(1, { attempt: 4 });
    await hot.write(state);
    expect(await sizeOf(hot.journal.file)).toBe(0);
    expect((await readBack(file))!.runs['1']!.attempt).toBe(4);
  });
});
