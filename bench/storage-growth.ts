import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { LowdbStore } from '../src/store/lowdb-store.js';
import type { RunRecord } from '../src/store/types.js';
import { conversationRecord, finishedRun, seedArchive, writeHotState } from './seed-store.js';
import { median, summarize } from './stats.js';
import type { BenchRow } from './table.js';

/**
 * 4. Storage growth: the write a step result costs (LowdbStore.saveRun of a live run) with 10,
 * 1,000, 10,000 and 100,000 finished runs in the archive, and the bot's start-up (createApp, which
 * opens the store, until it listens) at 100,000. The archive is seeded directly as the JSONL the
 * store writes, spread over 48 months (about 2,100 runs a month at 100,000).
 */

const HISTORY_SIZES = [10, 1_000, 10_000, 100_000];
const MONTHS = 48;
const WRITES_PER_SIZE = 300;
const STARTS = 3;
const LIVE_RUN_ID = 1_000_000;
const CONVERSATION = '19:bench-storage@thread.tacv2;messageid=1';

/** The run a runner is executing: half its steps done. */
function liveRun(): RunRecord {
  const run = finishedRun(LIVE_RUN_ID, 'srv0001', new Date(), CONVERSATION);
  const half = Math.floor(run.steps.length / 2);
  run.status = 'running';
  run.endedAt = null;
  run.downtimeEndedAt = null;
  for (const step of run.steps.slice(half)) Object.assign(step, { status: 'pending', stdout: undefined });
  return run;
}

async function measureWrites(dataDir: string): Promise<number[]> {
  const store = await LowdbStore.open(dataDir);
  const run = store.getRun(LIVE_RUN_ID);
  if (!run) throw new Error('the seeded live run is missing');
  const step = run.steps[run.steps.length - 1]!;
  const samples: number[] = [];
  for (let i = 0; i < WRITES_PER_SIZE; i++) {
    // What a step result changes: one step's status, times and output.
    Object.assign(step, {
      status: i % 2 ? 'running' : 'pending',
      endedAt: new Date().toISOString(),
      stdout: `write ${i}`,
    });
    const started = performance.now();
    await store.saveRun(run);
    samples.push(performance.now() - started);
  }
  await store.close();
  return samples;
}

async function measureStartup(dataDir: string): Promise<number> {
  const config = loadConfig({ PORT: '0', PATCHBOT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const started = performance.now();
    const app = await createApp(config, silentLogger());
    times.push(performance.now() - started);
    await app.stop();
  }
  return median(times);
}

export async function benchStorageGrowth(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'patchbot-bench-storage-'));
  const dataDir = path.join(dir, 'data');
  try {
    await writeHotState(dataDir, {
      lastRunId: LIVE_RUN_ID,
      runs: { [String(LIVE_RUN_ID)]: liveRun() },
      conversations: { [CONVERSATION]: conversationRecord(CONVERSATION, 'http://127.0.0.1:9/') },
    });
    const label = '4 storage';
    const rows: BenchRow[] = [];
    const p50s = new Map<number, number>();
    let seeded = 0;
    let bytes = 0;
    let startupAt10 = Number.NaN;
    for (const size of HISTORY_SIZES) {
      bytes += await seedArchive(
        dataDir,
        { fromId: seeded + 1, toId: size, totalRuns: HISTORY_SIZES.at(-1)!, months: MONTHS },
        CONVERSATION,
      );
      seeded = size;
      const writes = summarize(await measureWrites(dataDir));
      p50s.set(size, writes.p50);
      rows.push({
        benchmark: label,
        figure: `saveRun p50, ${size.toLocaleString('en-US')} finished runs (p99 ${writes.p99.toFixed(1)} ms)`,
        value: writes.p50,
        unit: 'ms',
        goal: '-',
        pass: null,
      });
      if (size === HISTORY_SIZES[0]) startupAt10 = await measureStartup(dataDir);
    }
    const ratio = p50s.get(100_000)! / p50s.get(10)!;
    const startup = await measureStartup(dataDir);
    rows.push(
      {
        benchmark: label,
        figure: 'saveRun p50 at 100,000 / at 10',
        value: ratio,
        unit: 'x',
        goal: '<= 2',
        pass: ratio <= 2,
      },
      {
        benchmark: label,
        figure: `archive seeded (${MONTHS} monthly files)`,
        value: bytes / 1024 ** 2,
        unit: 'MiB',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'start-up (createApp) at 10 runs',
        value: startupAt10,
        unit: 'ms',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'start-up (createApp) at 100,000 runs',
        value: startup,
        unit: 'ms',
        goal: '< 2000',
        pass: startup < 2000,
      },
    );
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
