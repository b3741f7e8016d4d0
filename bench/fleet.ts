import { performance } from 'node:perf_hooks';
import type { Job } from '../src/protocol/messages.js';
import { createTestDatabase, dropTestDatabase } from '../test/support/postgres.js';
import { outboxDrained, startBenchFleet, startRunsViaChat, type ActiveRun } from './bench-fleet.js';
import { cpuShare, productionLaunch, type ProcessUsage } from './child-process.js';
import type { FakeRunner } from './fake-runner.js';
import type { PatchBotState } from './patch-bot-process.js';
import { sleep } from './stats.js';
import type { BenchRow } from './table.js';

/**
 * 5. Fleet: one bot (its own process) with 500 registered runners long-polling and heartbeating
 * every 5 s (the runner's default), 100 of them in a run, reporting a step result every 50 s each
 * (2 results/s: the mean pace of a real run). Measured over a steady-state window: the bot
 * process's CPU time / wall time, and its largest RSS. Once on each store: lowdb, then PostgreSQL
 * (a fresh database in the test cluster, see test/support/postgres.ts). The bot runs as production
 * runs it: compiled, on plain node, with the node options of package.json's "start:prod"
 * (child-process.ts reads them from there).
 */

const RUNNERS = 500;
const RUNS = 100;
const HEARTBEAT_MS = 5_000;
const RESULT_INTERVAL_MS = 50_000;
const WINDOW_MS = 20_000;
const RSS_SAMPLE_MS = 1_000;
const RSS_GOAL_MIB = 200;

interface Traffic {
  heartbeats: number;
  results: number;
  failures: number;
}

/** What each runner says in its heartbeat: idle, or the run and step it is on. */
type Doing = Map<FakeRunner, { job: Job; stepIndex: number }>;

/** Every HEARTBEAT_MS on a fixed schedule (a slow answer does not lower the offered rate). */
async function heartbeatLoop(runner: FakeRunner, doing: Doing, traffic: Traffic, until: () => boolean) {
  let due = performance.now() + Math.random() * HEARTBEAT_MS;
  while (!until()) {
    await sleep(Math.max(0, due - performance.now()));
    due += HEARTBEAT_MS;
    const current = doing.get(runner);
    try {
      await runner.heartbeat(
        current?.job.runId ?? null,
        current ? (current.job.steps[current.stepIndex] ?? null) : null,
      );
      traffic.heartbeats += 1;
    } catch {
      traffic.failures += 1;
    }
  }
}

async function resultLoop(active: ActiveRun, doing: Doing, traffic: Traffic, endsAt: number) {
  let due = performance.now() + Math.random() * RESULT_INTERVAL_MS;
  let index = 0;
  // Never the last step: the run stays live for the whole window.
  while (due < endsAt && index < active.job.steps.length - 1) {
    await sleep(Math.max(0, due - performance.now()));
    due += RESULT_INTERVAL_MS;
    try {
      await active.runner.sendResult(active.job, index, `bench-fleet-${active.run.runId}-${index}`);
      traffic.results += 1;
    } catch {
      traffic.failures += 1;
    }
    index += 1;
    doing.set(active.runner, { job: active.job, stepIndex: index });
  }
}

export async function benchFleet(): Promise<BenchRow[]> {
  const rows = await measureFleet({ label: '5 fleet, lowdb', store: 'lowdb' });
  let databaseUrl: string;
  try {
    databaseUrl = await createTestDatabase('bench_fleet');
  } catch (error) {
    return [...rows, notMeasured('5 fleet, pg', `PostgreSQL: not measured (${(error as Error).message})`)];
  }
  try {
    rows.push(...(await measureFleet({ label: '5 fleet, pg', store: 'PostgreSQL', databaseUrl })));
  } catch (error) {
    console.error('  fleet on PostgreSQL failed:', error);
    rows.push(notMeasured('5 fleet, pg', `PostgreSQL: did not complete (${(error as Error).message})`));
  } finally {
    await dropTestDatabase(databaseUrl).catch(() => undefined);
  }
  return rows;
}

function notMeasured(label: string, why: string): BenchRow {
  return { benchmark: label, figure: why.slice(0, 120), value: Number.NaN, unit: '', goal: '-', pass: false };
}

async function measureFleet(target: {
  label: string;
  store: 'lowdb' | 'PostgreSQL';
  databaseUrl?: string;
}): Promise<BenchRow[]> {
  const launch = await productionLaunch();
  const fleet = await startBenchFleet({
    runnerCount: RUNNERS,
    teamsLimits: 'observe',
    databaseUrl: target.databaseUrl,
    production: true,
  });
  let stopBeating = false;
  const doing: Doing = new Map();
  const beats: Promise<void>[] = [];
  try {
    for (const runner of fleet.runners) runner.startPolling();
    const active = await startRunsViaChat(fleet, fleet.runners.slice(0, RUNS));
    for (const a of active) doing.set(a.runner, { job: a.job, stepIndex: 0 });
    await outboxDrained(fleet.bot, 60_000);

    const traffic: Traffic = { heartbeats: 0, results: 0, failures: 0 };
    for (const runner of fleet.runners) beats.push(heartbeatLoop(runner, doing, traffic, () => stopBeating));
    // Let the heartbeats spread over their interval before measuring.
    await sleep(HEARTBEAT_MS);
    const counted = { ...traffic };
    const before = await fleet.bot.call<ProcessUsage>({ type: 'usage' });
    const endsAt = performance.now() + WINDOW_MS;
    const reporting = active.map((a) => resultLoop(a, doing, traffic, endsAt));
    let maxRss = before.rssBytes;
    let atMax = before;
    while (performance.now() < endsAt) {
      await sleep(Math.min(RSS_SAMPLE_MS, Math.max(0, endsAt - performance.now())));
      const sample = await fleet.bot.call<ProcessUsage>({ type: 'usage' });
      if (process.env.BENCH_DEBUG) console.log(target.store, JSON.stringify(sample));
      if (sample.rssBytes > maxRss) [maxRss, atMax] = [sample.rssBytes, sample];
    }
    // The window ends on time even when the bot is behind: calls still open are not waited for.
    const after = await fleet.bot.call<ProcessUsage>({ type: 'usage' });
    const done = { ...traffic };
    const state = await fleet.bot.call<PatchBotState>({ type: 'state' });
    stopBeating = true;
    await Promise.allSettled(reporting);
    if (after.rssBytes > maxRss) [maxRss, atMax] = [after.rssBytes, after];

    const seconds = (after.wallMicros - before.wallMicros) / 1e6;
    const cores = cpuShare(before, after);
    const label = target.label;
    const how = `compiled, node ${launch.nodeOptions.join(' ')}`.trim();
    const rate = (n: number) => n / seconds;
    return [
      {
        benchmark: label,
        figure: `bot CPU, ${RUNNERS} runners, ${RUNS} runs (${seconds.toFixed(0)} s window)`,
        value: cores,
        unit: 'cores',
        goal: '< 0.3',
        pass: cores < 0.3,
      },
      {
        benchmark: label,
        figure: 'of which garbage collection pauses (main thread), per second',
        value: (after.gcPauseMicros - before.gcPauseMicros) / 1000 / seconds,
        unit: 'ms/s',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: `bot RSS, largest sample (${how})`,
        value: maxRss / 1024 ** 2,
        unit: 'MiB',
        goal: `< ${RSS_GOAL_MIB}`,
        pass: maxRss < RSS_GOAL_MIB * 1024 ** 2,
      },
      {
        benchmark: label,
        figure: 'at that sample: V8 heap total / used / external (new space)',
        value: atMax.heapTotalBytes / 1024 ** 2,
        unit: `/ ${mib(atMax.heapUsedBytes)} / ${mib(atMax.externalBytes)} MiB (${mib(atMax.heapSpaces.new_space?.sizeBytes ?? 0)})`,
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: `heartbeats/s answered (offered ${RUNNERS / (HEARTBEAT_MS / 1000)})`,
        value: rate(done.heartbeats - counted.heartbeats),
        unit: '/s',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: `step results/s answered (offered ${RUNS / (RESULT_INTERVAL_MS / 1000)})`,
        value: rate(done.results - counted.results),
        unit: '/s',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'failed runner calls',
        value: traffic.failures,
        unit: '',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure:
          target.store === 'lowdb'
            ? 'store hot file state.json (snapshot; writes append to its journal)'
            : 'store hot file (none on PostgreSQL)',
        value: target.store === 'lowdb' ? state.hotFileBytes / 1024 : Number.NaN,
        unit: target.store === 'lowdb' ? 'KiB' : '',
        goal: '-',
        pass: null,
      },
    ];
  } finally {
    stopBeating = true;
    await fleet.stop();
    await Promise.allSettled(beats);
  }
}

const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);
