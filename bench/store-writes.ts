import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { COMPACT_BYTES, JOURNAL_BY_DEFAULT } from '../src/store/hot-file.js';
import { LowdbStore } from '../src/store/lowdb-store.js';
import { PgStore } from '../src/store/pg/pg-store.js';
import type { Store } from '../src/store/store.js';
import type { RunRecord } from '../src/store/types.js';
import { createTestDatabase, dropTestDatabase, TEST_PG_ADMIN_URL } from '../test/support/postgres.js';
import { benchServerName, finishedRun } from './seed-store.js';
import { median, summarize, type LatencySummary } from './stats.js';
import type { BenchRow } from './table.js';

/**
 * 7. Store writes (issue 17): what one store write costs with 100 live runs in the store: the
 * saveRun latency, the bytes it puts on the disk (mean over many writes, compactions included,
 * and the largest single write), and the start-up (opening the store) afterwards. Each store
 * under test is a `StoreSubject`: how to open it, how to count the bytes it has written, and how
 * a restarted process opens it; the lowdb store is measured with and without its journal, and
 * PostgreSQL (WAL bytes) when its test cluster runs.
 */

const LIVE_RUNS = 100;
const WRITES = 800;
const STARTS = 3;
const GOAL_BYTES = 64 * 1024;
const CONVERSATION = '19:bench-store-writes@thread.tacv2;messageid=1';

export interface StoreSubject {
  /** How the rows name it: 'lowdb, journal on', 'PostgreSQL', ... */
  name: string;
  /** Opens the store, empty the first time. */
  open(): Promise<Store>;
  /** Bytes written so far (a counter that only grows): file bytes for lowdb, WAL bytes for PostgreSQL. */
  bytesWritten(): Promise<number>;
  /** After the writes: readies the disk for a restart, and returns how a restarted process opens the store. */
  restart(store: Store): Promise<{ open: () => Promise<Store>; note: string }>;
  cleanUp(): Promise<void>;
}

export interface StoreWriteFigures {
  saveRun: LatencySummary;
  bytes: LatencySummary;
  startupMs: number;
  startupNote: string;
}

/** A run half way through its steps, with the output a real run records. */
function liveRun(id: number): RunRecord {
  const run = finishedRun(id, benchServerName(id), new Date(), CONVERSATION);
  const half = Math.floor(run.steps.length / 2);
  Object.assign(run, { status: 'running', endedAt: null, downtimeEndedAt: null });
  for (const step of run.steps.slice(half)) Object.assign(step, { status: 'pending', stdout: undefined });
  return run;
}

/** Seeds the live runs, then times `WRITES` step results, each one saveRun of one run. */
export async function measureStoreWrites(subject: StoreSubject): Promise<StoreWriteFigures> {
  const store = await subject.open();
  for (let id = 1; id <= LIVE_RUNS; id++) await store.saveRun(liveRun(id));
  const latencies: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const run = store.getRun((i % LIVE_RUNS) + 1)!;
    const step = run.steps[run.steps.length - 1]!;
    Object.assign(step, {
      status: i % 2 ? 'running' : 'pending',
      endedAt: new Date().toISOString(),
      stdout: `write ${i}`,
    });
    const before = await subject.bytesWritten();
    const started = performance.now();
    await store.saveRun(run);
    latencies.push(performance.now() - started);
    bytes.push((await subject.bytesWritten()) - before);
  }
  const restart = await subject.restart(store);
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const started = performance.now();
    const reopened = await restart.open();
    starts.push(performance.now() - started);
    if (reopened.liveRuns().length !== LIVE_RUNS)
      throw new Error(`${subject.name}: the restart lost live runs`);
    if (reopened !== store) await reopened.close();
  }
  await store.close();
  return {
    saveRun: summarize(latencies),
    bytes: summarize(bytes),
    startupMs: median(starts),
    startupNote: restart.note,
  };
}

/** Bytes this process passed to write(2): every file the lowdb store writes (Linux). */
async function processBytesWritten(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8');
  const match = /^wchar: (\d+)$/m.exec(io);
  if (!match) throw new Error('/proc/self/io has no wchar line');
  return Number(match[1]);
}

/** The lowdb store in a temp folder; a restart opens a copy of the folder as a killed process left it. */
async function lowdbSubject(journal: boolean): Promise<StoreSubject> {
  const root = await mkdtemp(path.join(tmpdir(), 'patchbot-bench-store-writes-'));
  const dir = path.join(root, 'data');
  const journalFile = path.join(dir, 'state.journal.jsonl');
  return {
    name: `lowdb, journal ${journal ? 'on' : 'off'}${journal === JOURNAL_BY_DEFAULT ? ' (default)' : ''}`,
    open: () => LowdbStore.open(dir, undefined, { journal }),
    bytesWritten: processBytesWritten,
    restart: async (store) => {
      let note = 'state.json only';
      if (journal) {
        // Step results until the journal is just short of its compaction threshold.
        const run = store.getRun(1)!;
        for (let i = 0; (await stat(journalFile)).size < COMPACT_BYTES * 0.95; i++) {
          run.steps[0]!.stdout = `filler ${i}`;
          await store.saveRun(run);
        }
        note = `journal ${((await stat(journalFile)).size / 1024 ** 2).toFixed(1)} MiB (threshold ${COMPACT_BYTES / 1024 ** 2} MiB)`;
      }
      const image = path.join(root, 'killed');
      await copyData(dir, image);
      let copies = 0;
      return {
        note,
        open: async () => {
          const copy = path.join(root, `restart-${(copies += 1)}`);
          await copyData(image, copy);
          return LowdbStore.open(copy, undefined, { journal });
        },
      };
    },
    cleanUp: () => rm(root, { recursive: true, force: true }),
  };
}

async function copyData(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of ['state.json', 'state.journal.jsonl', 'outbox.log'])
    if (existsSync(path.join(from, name))) await copyFile(path.join(from, name), path.join(to, name));
}

/** PgStore on a database of its own in the test cluster; bytes are WAL bytes, which count the whole cluster. */
async function postgresSubject(): Promise<StoreSubject> {
  const url = await createTestDatabase('bench_store_writes');
  const wal = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await wal.connect();
  return {
    name: 'PostgreSQL',
    open: () => PgStore.open(url),
    bytesWritten: async () => {
      const { rows } = await wal.query<{ at: string }>(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS at",
      );
      return Number(rows[0]!.at);
    },
    restart: async () => ({ note: 'a second PgStore on the same database', open: () => PgStore.open(url) }),
    cleanUp: async () => {
      await wal.end().catch(() => undefined);
      await dropTestDatabase(url);
    },
  };
}

/** The rows for one store: latency and start-up for context, bytes per write against the goal. */
export function storeWriteRows(name: string, figures: StoreWriteFigures, judged = true): BenchRow[] {
  const label = '7 store writes';
  const kib = (value: number) => value / 1024;
  return [
    {
      benchmark: label,
      figure: `${name}: saveRun p50 at ${LIVE_RUNS} live runs (p99 ${figures.saveRun.p99.toFixed(1)} ms)`,
      value: figures.saveRun.p50,
      unit: 'ms',
      goal: '-',
      pass: null,
    },
    {
      benchmark: label,
      figure: `${name}: bytes written per store write, mean of ${figures.bytes.count} (p50 ${kib(figures.bytes.p50).toFixed(1)}, max ${kib(figures.bytes.max).toFixed(0)} KiB)`,
      value: kib(figures.bytes.mean),
      unit: 'KiB',
      goal: judged ? `<= ${GOAL_BYTES / 1024}` : '-',
      pass: judged ? figures.bytes.mean <= GOAL_BYTES : null,
    },
    {
      benchmark: label,
      figure: `${name}: start-up (open) at ${LIVE_RUNS} live runs, ${figures.startupNote}`,
      value: figures.startupMs,
      unit: 'ms',
      goal: '-',
      pass: null,
    },
  ];
}

/** `judged` false: a setting shown for comparison only (the lowdb store without its journal). */
async function measure(subject: StoreSubject, judged = true): Promise<BenchRow[]> {
  try {
    return storeWriteRows(subject.name, await measureStoreWrites(subject), judged);
  } finally {
    await subject.cleanUp();
  }
}

export async function benchStoreWrites(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const journal of [false, true])
    rows.push(...(await measure(await lowdbSubject(journal), journal === JOURNAL_BY_DEFAULT)));
  let postgres: StoreSubject | undefined;
  try {
    postgres = await postgresSubject();
  } catch (error) {
    rows.push({
      benchmark: '7 store writes',
      figure: `PostgreSQL: not measured (${(error as Error).message.slice(0, 80)})`,
      value: Number.NaN,
      unit: '',
      goal: '-',
      pass: null,
    });
  }
  if (postgres) rows.push(...(await measure(postgres)));
  return rows;
}
