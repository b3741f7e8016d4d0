import { afterAll, describe, expect, it } from 'vitest';
import { TEAMS_CONVERSATION_LIMITS } from '../../src/bot/pacing.js';
import { createViews } from '../../src/cards/views.js';
import { createTranslator } from '../../src/i18n/index.js';
import { BACKEND01, BE01 } from '../../src/lab/servers.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, stepReplies, type RunHandle } from './support/system.js';

const SCENARIO = {
  order: 4,
  title: "Teams throttling and errors (capture connector enforcing Teams' limits)",
  notes: [
    'Per conversation, in this order: 429 with Retry-After 1 s, 429 without Retry-After, 412, 502, 504, a 3 s slow answer, ' +
      "429 four times in a row (botbuilder's own three retries and then the notifier's), 503 with Retry-After, a 1.5 s slow answer. " +
      'Two runs in two channel threads at once; the connector answers 429 to anything over 7/1 s, 8/2 s, 60/30 s, 1800/h per conversation.',
  ],
};

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('teams-throttling', SCENARIO, { check, measured, pass });

interface ScheduledFault {
  name: string;
  after: number;
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  times: number;
}

const SCHEDULE: ScheduledFault[] = [
  { name: '429 + Retry-After', after: 2, status: 429, retryAfterSeconds: 1, times: 1 },
  { name: '429 without Retry-After', after: 5, status: 429, times: 1 },
  { name: '412', after: 8, status: 412, times: 1 },
  { name: '502', after: 11, status: 502, times: 1 },
  { name: '504', after: 14, status: 504, times: 1 },
  { name: 'slow 3 s', after: 17, delayMs: 3000, times: 1 },
  { name: '429 x4', after: 20, status: 429, retryAfterSeconds: 0, times: 4 },
  { name: '503 + Retry-After', after: 26, status: 503, retryAfterSeconds: 1, times: 1 },
  { name: 'slow 1.5 s', after: 29, delayMs: 1500, times: 1 },
];

/** Most accepted messages in any window of `windowMs` in one conversation. */
function peak(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) n++;
    best = Math.max(best, n);
  }
  return best;
}

describe('Teams throttling', () => {
  it('loses nothing, keeps the order per conversation and stays within the limits', async () => {
    beginScenario('teams-throttling');
    system = await ReliabilitySystem.start({
      name: 'throttling',
      connector: { teamsLimits: 'enforce', limitRetryAfter: true },
    });
    system.addServer(BACKEND01);
    system.addServer(BE01);
    await system.startBot();
    await Promise.all([system.startRunner('backend01'), system.startRunner('be01')]);
    await system.waitForRunnersOnline();
    const started = Date.now();
    const runs: RunHandle[] = await Promise.all([
      system.requestRun('backend01', 'standard'),
      system.requestRun('be01', 'enterprise', 'Bea', ' sql sql01.contoso.local'),
    ]);
    const faults = runs.flatMap((run) => {
      const seen = () => system.connector.requests.filter((r) => r.conversationId === run.thread).length;
      return SCHEDULE.map((f) => ({
        ...f,
        injected: system.connector.inject({
          conversationId: run.thread,
          kind: ['send', 'reply', 'update'],
          status: f.status,
          retryAfterSeconds: f.retryAfterSeconds,
          delayMs: f.delayMs,
          times: f.times,
          when: () => seen() >= f.after,
        }),
      }));
    });

    const finals = await Promise.all(
      runs.map((run) => system.waitForRun(run.runId, ['succeeded', 'failed', 'interrupted'], 60_000)),
    );
    await system.waitForOutboxDrained(90_000);
    const deliveredIn = Date.now() - started;

    const results = runs.map((run, i) => {
      const final = finals[i]!;
      const replies = stepReplies(system.connector, run.thread, run.cardId).map((r) => r.step);
      const expectedSteps = final.plan.steps.map((s) => s.index);
      const expectedCard = createViews({ now: () => new Date(final.endedAt!) }).runCard(
        final,
        createTranslator(final.locale),
      ).content;
      const times = system.connector.activities
        .filter((a) => a.conversationId === run.thread && a.kind !== 'delete')
        .map((a) => a.at);
      return {
        run,
        final,
        replies,
        inOrder: JSON.stringify(replies) === JSON.stringify(expectedSteps),
        cardOk: JSON.stringify(system.connector.currentCard(run.cardId)) === JSON.stringify(expectedCard),
        peaks: TEAMS_CONVERSATION_LIMITS.slice(0, 3).map(
          (l) => `${peak(times, l.windowMs)}/${l.windowMs / 1000}s`,
        ),
        peakOk: TEAMS_CONVERSATION_LIMITS.every((l) => peak(times, l.windowMs) <= l.max),
      };
    });
    const stats = system.connector.stats;
    const missedFaults = faults.filter((f) => f.injected.hits !== f.times).map((f) => f.name);
    const refusedByKind = new Map<number, number>();
    for (const r of system.connector.requests)
      if (r.status >= 400) refusedByKind.set(r.status, (refusedByKind.get(r.status) ?? 0) + 1);

    record(
      'every fault was served',
      `${faults.length - missedFaults.length} of ${faults.length} scheduled faults hit; refusals by status: ${[...refusedByKind].map(([s, n]) => `${s}x${n}`).join(', ')}`,
      missedFaults.length === 0,
    );
    record(
      'nothing lost: every step reply once, in order, per conversation',
      results
        .map(
          (r) =>
            `run #${r.run.runId} ${r.final.status}: ${r.replies.length}/${r.final.plan.steps.length} replies, in order ${r.inOrder}, final card correct ${r.cardOk}`,
        )
        .join('; ') + `; all delivered ${(deliveredIn / 1000).toFixed(1)} s after the requests`,
      results.every((r) => r.final.status === 'succeeded' && r.inOrder && r.cardOk),
    );
    record(
      "pacing within Teams' per-conversation limits",
      `violations counted by the connector: ${stats.violations}; peak accepted per conversation: ${results.map((r) => r.peaks.join(' ')).join(' | ')}`,
      stats.violations === 0 && results.every((r) => r.peakOk),
    );
    expect(missedFaults).toEqual([]);
    for (const r of results) {
      expect(r.final.status).toBe('succeeded');
      expect(r.replies).toEqual(r.final.plan.steps.map((s) => s.index));
      expect(r.cardOk).toBe(true);
      expect(r.peakOk).toBe(true);
    }
    expect(stats.violations).toBe(0);
  }, 150_000);
});
