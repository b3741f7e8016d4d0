import { afterEach, describe, expect, it } from 'vitest';
import { clientFor, heartbeat, job, RUNNER_A, startBot, stepResult, until, type TestBot } from './harness.js';

let bot: TestBot;
afterEach(async () => bot?.close());

describe('signed round trip through real HTTP', () => {
  it('hands a queued job to the polling runner', async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(7));
    const received = await clientFor(bot, RUNNER_A).pollJob();
    expect(received).toEqual(job(7));
  });

  it('answers 204 (null) when no job comes within the wait', async () => {
    bot = await startBot({ api: { longPollMs: 100 } });
    expect(await clientFor(bot, RUNNER_A).pollJob()).toBeNull();
  });

  it('wakes a waiting poll as soon as a job becomes available', async () => {
    bot = await startBot();
    const client = clientFor(bot, RUNNER_A);
    const polling = client.pollJob();
    await until(() => bot.backend.waitingRunners === 1);
    const offeredAt = Date.now();
    bot.backend.offerJob(RUNNER_A.id, job(8));
    const received = await polling;
    expect(received?.runId).toBe(8);
    expect(Date.now() - offeredAt).toBeLessThan(1000);
  });

  it('records results in order and answers duplicate on re-delivery without changing anything', async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(9));
    const client = clientFor(bot, RUNNER_A);
    const results = [stepResult(9), stepResult(9, { stepId: 'services.stop', index: 1 })];
    expect((await client.sendResults(results)).map((a) => a.outcome)).toEqual(['accepted', 'accepted']);

    const altered = stepResult(9, { status: 'failed', stdout: 'changed' });
    const again = await client.sendResults([altered, results[1]!]);
    expect(again).toEqual([
      { runId: 9, stepId: 'precheck.role', attempt: 1, outcome: 'duplicate' },
      { runId: 9, stepId: 'services.stop', attempt: 1, outcome: 'duplicate' },
    ]);
    expect(bot.backend.recorded.get('9/precheck.role/1')?.status).toBe('succeeded');
  });

  it('splits many large results into batches under the body cap, keeping their order', async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(10));
    const big = 'x'.repeat(4000);
    const results = Array.from({ length: 60 }, (_, attempt) =>
      stepResult(10, { attempt, stdout: big, stderr: big }),
    );
    const acks = await clientFor(bot, RUNNER_A).sendResults(results);
    expect(acks.map((a) => a.attempt)).toEqual(results.map((r) => r.attempt));
    expect(acks.every((a) => a.outcome === 'accepted')).toBe(true);
  });

  it('carries cancel requests back on the heartbeat answer', async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(11));
    bot.backend.cancels.set(RUNNER_A.id, [11]);
    const answer = await clientFor(bot, RUNNER_A).heartbeat(heartbeat(RUNNER_A, 11));
    expect(answer).toEqual({ cancel: [11] });
    expect(bot.backend.beats).toHaveLength(1);
  });

  it('a newer poll from the same runner replaces the older one, which ends with 204', async () => {
    bot = await startBot();
    const client = clientFor(bot, RUNNER_A);
    const first = client.pollJob();
    await until(() => bot.backend.waitingRunners === 1);
    const second = client.pollJob();
    expect(await first).toBeNull();
    bot.backend.offerJob(RUNNER_A.id, job(12));
    expect((await second)?.runId).toBe(12);
  });

  it('pollJob resolves null when the caller aborts', async () => {
    bot = await startBot();
    const controller = new AbortController();
    const polling = clientFor(bot, RUNNER_A).pollJob(controller.signal);
    await until(() => bot.backend.waitingRunners === 1);
    controller.abort();
    expect(await polling).toBeNull();
    await until(() => bot.api.waitingPolls === 0);
  });
});
