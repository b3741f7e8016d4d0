import { afterEach, describe, expect, it } from 'vitest';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import {
  clientFor,
  heartbeat,
  rawPost,
  RUNNER_A,
  RUNNER_B,
  startBot,
  until,
  type TestBot,
} from './harness.js';

let bot: TestBot;
afterEach(async () => bot?.close());

describe('shutdown', () => {
  it('ends waiting long-polls at once with 503 + Retry-After, and refuses new polls', async () => {
    bot = await startBot({ api: { shutdownRetryAfterSeconds: 7 } });
    const waiting = [
      rawPost(bot, RUNNER_API_PATHS.poll, '{}'),
      rawPost(bot, RUNNER_API_PATHS.poll, '{}', { runner: RUNNER_B }),
    ];
    await until(() => bot.api.waitingPolls === 2);
    await bot.api.shutdown();
    for (const answer of await Promise.all(waiting)) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('7');
      expect(answer.body).toMatchObject({ error: 'shutting-down' });
    }
    expect(bot.api.waitingPolls).toBe(0);
    expect(bot.backend.waitingRunners).toBe(0);
    expect((await rawPost(bot, RUNNER_API_PATHS.poll, '{}')).status).toBe(503);
    // Results and heartbeats still land while the process drains.
    expect(await clientFor(bot, RUNNER_A).heartbeat(heartbeat(RUNNER_A))).toEqual({ cancel: [] });
  });

  it('the client surfaces it as "unavailable" once its attempts are spent', async () => {
    bot = await startBot();
    const polling = clientFor(bot, RUNNER_A, { retry: { maxAttempts: 1 } }).pollJob();
    await until(() => bot.api.waitingPolls === 1);
    bot.api.shutdown();
    await expect(polling).rejects.toMatchObject({ kind: 'unavailable', status: 503 });
  });

  it('closing the server does not hang on a waiting poll', async () => {
    bot = await startBot();
    const polling = rawPost(bot, RUNNER_API_PATHS.poll, '{}');
    await until(() => bot.api.waitingPolls === 1);
    await bot.close();
    expect((await polling).status).toBe(503);
  });
});
