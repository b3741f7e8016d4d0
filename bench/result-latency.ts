import { performance } from 'node:perf_hooks';
import type { CaptureConnector, CapturedActivity } from '../src/lab/capture-connector.js';
import { outboxDrained, startBenchFleet, startRunsViaChat, type ActiveRun } from './bench-fleet.js';
import type { PatchBotState } from './patch-bot-process.js';
import { sleep, summarize } from './stats.js';
import type { BenchRow } from './table.js';

/**
 * 2. Result latency: a step result POSTed by a runner (signed, through BotClient) -> the progress
 * card update (PUT of the run's card) accepted by the capture connector. 10 runs in 10 channel
 * threads report results concurrently, each one per second (10 results/s in all, far above a real
 * fleet's pace): under Teams' per-conversation limits, so the notifier's pacing never has to hold a message back and what is measured is the
 * bot's own path (verify, store, present, send).
 */

const RUNS = 10;
/** Every step of the plan: the last one also finishes the run (summary, move to the archive). */
const STEPS_PER_RUN = 20;
const SPACING_MS = 1000;
const UPDATE_TIMEOUT_MS = 10_000;

/** The first activity after `afterSeq` matching `match`, scanning back from the newest. */
function firstAfter(
  activities: readonly CapturedActivity[],
  afterSeq: number,
  match: (activity: CapturedActivity) => boolean,
): CapturedActivity | undefined {
  let found: CapturedActivity | undefined;
  for (let i = activities.length - 1; i >= 0 && activities[i]!.seq > afterSeq; i--) {
    if (match(activities[i]!)) found = activities[i];
  }
  return found;
}

async function reportSteps(
  active: ActiveRun,
  connector: CaptureConnector,
  offsetMs: number,
  cardSamples: number[],
  replySamples: number[],
): Promise<void> {
  const { run, runner, job } = active;
  await sleep(offsetMs);
  const begin = performance.now();
  for (let index = 0; index < STEPS_PER_RUN; index++) {
    const marker = `bench-result-${run.runId}-${index}`;
    const afterSeq = connector.activities.length;
    const started = performance.now();
    const cardUpdated = connector
      .waitFor(
        (activities) =>
          firstAfter(activities, afterSeq, (a) => a.kind === 'update' && a.activityId === run.cardId),
        UPDATE_TIMEOUT_MS,
      )
      .then(() => performance.now());
    const replied = connector
      .waitFor(
        (activities) =>
          firstAfter(
            activities,
            afterSeq,
            (a) =>
              a.kind !== 'update' &&
              a.conversationId === run.conversationId &&
              JSON.stringify(a.activity).includes(marker),
          ),
        UPDATE_TIMEOUT_MS,
      )
      .then(() => performance.now());
    await runner.sendResult(job, index, marker);
    cardSamples.push((await cardUpdated) - started);
    replySamples.push((await replied) - started);
    const nextSlot = begin + (index + 1) * SPACING_MS;
    await sleep(Math.max(0, nextSlot - performance.now()));
  }
}

export async function benchResultLatency(): Promise<BenchRow[]> {
  const fleet = await startBenchFleet({ runnerCount: RUNS, teamsLimits: 'observe' });
  try {
    const active = await startRunsViaChat(fleet, fleet.runners);
    await outboxDrained(fleet.bot, 30_000);
    const violationsBefore = fleet.connector.stats.violations;
    const { hotFileBytes } = await fleet.bot.call<PatchBotState>({ type: 'state' });
    const cardSamples: number[] = [];
    const replySamples: number[] = [];
    await Promise.all(
      active.map((a, i) =>
        reportSteps(a, fleet.connector, (i * SPACING_MS) / active.length, cardSamples, replySamples),
      ),
    );
    const violations = fleet.connector.stats.violations - violationsBefore;
    const card = summarize(cardSamples);
    const reply = summarize(replySamples);
    const label = '2 result latency';
    return [
      {
        benchmark: label,
        figure: `result -> card update p50 (n=${card.count}, ${RUNS} runs)`,
        value: card.p50,
        unit: 'ms',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'result -> card update p99',
        value: card.p99,
        unit: 'ms',
        goal: '<= 100',
        pass: card.p99 <= 100,
      },
      {
        benchmark: label,
        figure: 'result -> step reply p99',
        value: reply.p99,
        unit: 'ms',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'Teams-limit violations meanwhile',
        value: violations,
        unit: '',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'store hot file (10 live runs)',
        value: hotFileBytes / 1024,
        unit: 'KiB',
        goal: '-',
        pass: null,
      },
    ];
  } finally {
    await fleet.stop();
  }
}
