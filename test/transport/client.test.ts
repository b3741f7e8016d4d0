import type { Request, Response, Next } from 'restify';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SIGNATURE_HEADERS } from '../../src/protocol/signing.js';
import { BotClient, RunnerApiError } from '../../src/runner/client.js';
import { clientFor, heartbeat, RUNNER_A, startBot, type TestBot } from './harness.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

/** Plays a flaky proxy: answers the scripted statuses first, then lets requests through to the real API. */
function flaky(script: Array<{ status: number; retryAfter?: string }>) {
  const arrivals: Array<{ at: number; nonce: string }> = [];
  const before = (req: Request, res: Response, next: Next) => {
    arrivals.push({ at: Date.now(), nonce: String(req.headers[SIGNATURE_HEADERS.nonce]) });
    const scripted = script.shift();
    if (!scripted) return next();
    if (scripted.retryAfter !== undefined) res.header('Retry-After', scripted.retryAfter);
    res.send(scripted.status, { error: 'busy', message: 'try later' });
    return next(false);
  };
  return { arrivals, before };
}

describe('BotClient retries', () => {
  it('retries 503 and 429 (honouring Retry-After), re-signing each attempt, then succeeds', async () => {
    const proxy = flaky([{ status: 503 }, { status: 429, retryAfter: '1' }]);
    bot = await startBot({ before: proxy.before });
    const answer = await clientFor(bot, RUNNER_A).heartbeat(heartbeat(RUNNER_A));
    expect(answer).toEqual({ cancel: [] });
    expect(proxy.arrivals).toHaveLength(3);
    expect(new Set(proxy.arrivals.map((a) => a.nonce)).size).toBe(3);
    // The wait after the 429 follows its Retry-After (1 s), not the 5-20 ms backoff configured.
    expect(proxy.arrivals[2]!.at - proxy.arrivals[1]!.at).toBeGreaterThanOrEqual(900);
  });

  it('gives up after maxAttempts with a typed "unavailable" error', async () => {
    const proxy = flaky([{ status: 502 }, { status: 500 }, { status: 503 }, { status: 503 }]);
    bot = await startBot({ before: proxy.before });
    const client = clientFor(bot, RUNNER_A, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    await expect(client.heartbeat(heartbeat(RUNNER_A))).rejects.toMatchObject({
      kind: 'unavailable',
      status: 503,
    });
    expect(proxy.arrivals).toHaveLength(3);
  });

  it('retries network errors', async () => {
    const gone = await startBot();
    const url = gone.url;
    await gone.close();
    const client = clientFor({ url }, RUNNER_A, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const error = await client.heartbeat(heartbeat(RUNNER_A)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerApiError);
    expect(error).toMatchObject({
      kind: 'unavailable',
      status: null,
      message: expect.stringContaining('3 times'),
    });
  });

  it('does not retry 401, 400 or 403', async () => {
    for (const status of [401, 400, 403]) {
      const proxy = flaky([{ status }]);
      bot = await startBot({ before: proxy.before });
      const client = clientFor(bot, RUNNER_A, { retry: { maxAttempts: 5 } });
      await expect(client.heartbeat(heartbeat(RUNNER_A))).rejects.toMatchObject({ status, code: 'busy' });
      expect(proxy.arrivals).toHaveLength(1);
      await bot.close();
      bot = undefined;
    }
  });

  it('refuses a plain-http bot URL unless it is loopback or explicitly allowed', () => {
    const options = { runnerId: RUNNER_A.id, secret: RUNNER_A.secret, logger: silentLogger() };
    expect(() => new BotClient({ ...options, baseUrl: 'http://patchbot.contoso.com' })).toThrow(/https/);
    expect(
      () => new BotClient({ ...options, baseUrl: 'http://patchbot.contoso.com', allowInsecureHttp: true }),
    ).not.toThrow();
    expect(() => new BotClient({ ...options, baseUrl: 'https://patchbot.contoso.com' })).not.toThrow();
  });
});
