import { TEAMS_CONVERSATION_LIMITS } from '../src/bot/pacing.js';
import type { CaptureConnector } from '../src/lab/capture-connector.js';
import { stepResult } from './fake-runner.js';
import { outboxDrained, startBenchFleet, startRunsViaChat, type ActiveRun } from './bench-fleet.js';
import type { PatchBotState } from './patch-bot-process.js';
import { sleep } from './stats.js';
import type { BenchRow } from './table.js';

/**
 * 6. Notification throughput: 20 runners each report 20 step results in one request, at once, in
 * 20 channel threads, while the capture connector enforces Teams' per-conversation limits (429 +
 * Retry-After past 7/1 s, 8/2 s, 60/30 s). Delivered rate is compared with the allowed rate: the
 * time an ideal sender, starting at the burst with the same earlier messages in its windows,
 * would need for the same number of messages. Every step reply must arrive exactly once and in
 * step order (card updates replace one another by design; only the latest has to arrive).
 */

const CONVERSATIONS = 20;
const RESULTS_PER_RUN = 20;
const DRAIN_TIMEOUT_MS = 90_000;

/** When an ideal sender could have sent `count` messages from `start` on, given earlier `history`. */
export function idealFinish(history: readonly number[], start: number, count: number): number {
  const times = [...history];
  let t = start;
  for (let sent = 0; sent < count; sent++) {
    for (let settled = false; !settled;) {
      settled = true;
      for (const { windowMs, max } of TEAMS_CONVERSATION_LIMITS) {
        const inWindow = times.filter((at) => at > t - windowMs);
        if (inWindow.length >= max) {
          const mustExpire = inWindow[inWindow.length - max]!;
          if (mustExpire + windowMs > t) {
            t = mustExpire + windowMs;
            settled = false;
          }
        }
      }
    }
    times.push(t);
  }
  return t;
}

interface ConversationOutcome {
  delivered: number;
  actualMs: number;
  idealMs: number;
  /** Step replies missing, repeated, or out of order. */
  problems: string[];
}

function outcomeOf(connector: CaptureConnector, active: ActiveRun, burstAt: number): ConversationOutcome {
  const { conversationId, cardId, runId } = active.run;
  const accepted = connector.activities.filter(
    (a) => a.conversationId === conversationId && a.kind !== 'delete',
  );
  const before = accepted.filter((a) => a.at < burstAt).map((a) => a.at);
  const during = accepted.filter((a) => a.at >= burstAt);
  const last = during.at(-1)?.at ?? burstAt;
  const problems: string[] = [];
  const replyOrder: number[] = [];
  for (const activity of during) {
    if (activity.kind === 'update') continue;
    const match = /bench-burst-(\d+)-(\d+)/.exec(JSON.stringify(activity.activity));
    if (match && Number(match[1]) === runId) replyOrder.push(Number(match[2]));
  }
  for (let i = 0; i < RESULTS_PER_RUN; i++) {
    const copies = replyOrder.filter((index) => index === i).length;
    if (copies !== 1) problems.push(`run #${runId} step ${i}: ${copies} replies`);
  }
  if (replyOrder.some((index, i) => i > 0 && index < replyOrder[i - 1]!))
    problems.push(`run #${runId}: replies out of order (${replyOrder.join(',')})`);
  const lastUpdate = during.filter((a) => a.kind === 'update' && a.activityId === cardId).at(-1);
  if (!lastUpdate || lastUpdate.at < (during.filter((a) => a.kind !== 'update').at(-1)?.at ?? 0) - 10_000)
    problems.push(`run #${runId}: the card was not brought up to date`);
  return {
    delivered: during.length,
    actualMs: last - burstAt,
    idealMs: idealFinish(before, burstAt, during.length) - burstAt,
    problems,
  };
}

export async function benchNotificationThroughput(): Promise<BenchRow[]> {
  const fleet = await startBenchFleet({ runnerCount: CONVERSATIONS, teamsLimits: 'enforce' });
  try {
    const active = await startRunsViaChat(fleet, fleet.runners);
    await outboxDrained(fleet.bot, 30_000);
    const throttledBefore = fleet.connector.stats.throttled;
    const burstAt = Date.now();
    await Promise.all(
      active.map(({ runner, job, run }) =>
        runner.client.sendResults(
          Array.from({ length: RESULTS_PER_RUN }, (_, i) =>
            stepResult(job, i, `bench-burst-${run.runId}-${i}`),
          ),
        ),
      ),
    );
    const largest = { outbox: 0, hotFileBytes: 0 };
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const state = await fleet.bot.call<PatchBotState>({ type: 'state' });
      largest.outbox = Math.max(largest.outbox, state.outbox);
      largest.hotFileBytes = Math.max(largest.hotFileBytes, state.hotFileBytes);
      if (state.outbox === 0) break;
      if (Date.now() > deadline)
        throw new Error(`the outbox still held ${state.outbox} messages after the burst`);
      await sleep(100);
    }
    const outcomes = active.map((a) => outcomeOf(fleet.connector, a, burstAt));
    const delivered = outcomes.reduce((sum, o) => sum + o.delivered, 0);
    const share = outcomes.reduce((s, o) => s + o.idealMs, 0) / outcomes.reduce((s, o) => s + o.actualMs, 0);
    const worst = Math.min(...outcomes.map((o) => o.idealMs / o.actualMs));
    const problems = outcomes.flatMap((o) => o.problems);
    if (problems.length > 0) console.warn(`notification throughput: ${problems.slice(0, 10).join('; ')}`);
    const seconds = Math.max(...outcomes.map((o) => o.actualMs)) / 1000;
    const label = '6 notifications';
    return [
      {
        benchmark: label,
        figure: `messages delivered (${CONVERSATIONS} threads, ${seconds.toFixed(1)} s)`,
        value: delivered,
        unit: '',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'delivered rate / allowed rate, all threads',
        value: share * 100,
        unit: '%',
        goal: '>= 90',
        pass: share >= 0.9,
      },
      {
        benchmark: label,
        figure: 'delivered rate / allowed rate, worst thread',
        value: worst * 100,
        unit: '%',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: `largest outbox (${largest.outbox} messages) / hot file`,
        value: largest.hotFileBytes / 1024,
        unit: 'KiB',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: '429 answers (enforced limits)',
        value: fleet.connector.stats.throttled - throttledBefore,
        unit: '',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'step replies lost, repeated or out of order',
        value: problems.length,
        unit: '',
        goal: '0',
        pass: problems.length === 0,
      },
    ];
  } finally {
    await fleet.stop();
  }
}
