/**
 * Restarting the bot while runner agents keep talking to it. A runner heartbeating more often than
 * the keep-alive timeout kept its connection busy, so the stopped bot went on answering it (and
 * its polls with 503) on that connection and the stop never ended; the new bot never heard from
 * the runner. Real HTTP, real runner agents, heartbeats every 20 ms to make that certain.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBotHarness, waitUntil, type BotHarness } from './harness.js';

let h: BotHarness;

beforeAll(async () => {
  h = await startBotHarness({}, { heartbeatIntervalMs: 20 });
}, 60_000);
afterAll(async () => h?.stop());

it('stops promptly and the runners move over to the new bot', async () => {
  for (let restart = 0; restart < 4; restart++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await h.restart();
    // The runner API's own shutdown grace is 5 s; a connection held open used to block for ever.
    expect(Date.now() - started).toBeLessThan(6000);
    const restartedAt = new Date().toISOString();
    await waitUntil(
      () =>
        h.app.store.runners().every((r) => r.lastSeenAt !== null && r.lastSeenAt > restartedAt) || undefined,
      10_000,
      'every runner to report to the new bot',
    );
  }
}, 60_000);
