import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import { SIGNATURE_HEADERS } from '../../src/protocol/signing.js';
import {
  clientFor,
  heartbeat,
  rawPost,
  RUNNER_A,
  RUNNER_B,
  startBot,
  type RawPostOptions,
  type TestBot,
} from './harness.js';
import { RunnerApiError } from '../../src/runner/client.js';

let bot: TestBot;
beforeAll(async () => {
  bot = await startBot({ api: { longPollMs: 50 } });
});
afterAll(async () => bot.close());

const beat = JSON.stringify(heartbeat(RUNNER_A));
const SIX_MINUTES = 6 * 60_000;

/** Each case: how the request is forged, and the refusal reason the bot must give. */
const refused: Array<[string, string, RawPostOptions, string]> = [
  [
    'a garbage signature',
    beat,
    { headers: { [SIGNATURE_HEADERS.signature]: 'f'.repeat(64) } },
    'bad-signature',
  ],
  ['the wrong secret', beat, { runner: { id: RUNNER_A.id, secret: RUNNER_B.secret } }, 'bad-signature'],
  ['an unknown runner', beat, { runner: { id: 'runner-zz', secret: 'whatever-secret' } }, 'unknown-runner'],
  ['a timestamp 6 minutes old', beat, { timestamp: Date.now() - SIX_MINUTES }, 'stale-timestamp'],
  ['a timestamp 6 minutes ahead', beat, { timestamp: Date.now() + SIX_MINUTES }, 'stale-timestamp'],
  ['a tampered body', beat, { signBody: beat.replace('0.1.0', '0.1.1') }, 'bad-signature'],
  ['a tampered path', beat, { signPath: RUNNER_API_PATHS.poll }, 'bad-signature'],
  ['a tampered method', beat, { signMethod: 'PUT' }, 'bad-signature'],
  [
    'a missing signature header',
    beat,
    { headers: { [SIGNATURE_HEADERS.signature]: undefined } },
    'missing-headers',
  ],
  [
    'a non-numeric timestamp',
    beat,
    { headers: { [SIGNATURE_HEADERS.timestamp]: 'yesterday' } },
    'malformed-headers',
  ],
  ['a short nonce', beat, { nonce: 'abc' }, 'malformed-headers'],
  [
    'a runner id with a tab',
    beat,
    { headers: { [SIGNATURE_HEADERS.runner]: 'runner-a\tx' } },
    'malformed-headers',
  ],
];

describe('the runner API refuses unauthenticated requests with 401', () => {
  it.each(refused)('%s', async (_name, body, options, reason) => {
    const before = bot.refusals.length;
    const answer = await rawPost(bot, RUNNER_API_PATHS.heartbeat, body, options);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('PatchBot-HMAC-SHA256');
    expect(answer.body).toMatchObject({ error: reason, message: expect.any(String) });
    expect(bot.refusals.slice(before)).toEqual([
      expect.objectContaining({
        reason,
        path: RUNNER_API_PATHS.heartbeat,
        remote: expect.stringContaining('127.0.0.1'),
      }),
    ]);
    expect(bot.backend.beats).toHaveLength(0);
  });

  it('refuses a replayed request (same nonce, still fresh) on every route', async () => {
    for (const path of Object.values(RUNNER_API_PATHS)) {
      const body =
        path === RUNNER_API_PATHS.heartbeat ? beat : path === RUNNER_API_PATHS.poll ? '{}' : '{"results":[]}';
      const nonce = `replay-${path.replaceAll('/', '-')}-0123456789`;
      const timestamp = Date.now();
      const first = await rawPost(bot, path, body, { nonce, timestamp });
      expect(first.status).not.toBe(401);
      const replay = await rawPost(bot, path, body, { nonce, timestamp });
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ error: 'replayed-nonce' });
    }
  });

  it('the same nonce from another runner is not a replay of the first', async () => {
    const nonce = 'shared-nonce-0123456789abcdef';
    expect((await rawPost(bot, RUNNER_API_PATHS.poll, '{}', { nonce })).status).toBe(204);
    expect((await rawPost(bot, RUNNER_API_PATHS.poll, '{}', { nonce, runner: RUNNER_B })).status).toBe(204);
  });

  it('names the well-formed claimed runner id in the refusal, and none when it is malformed', async () => {
    const before = bot.refusals.length;
    await rawPost(bot, RUNNER_API_PATHS.poll, '{}', { runner: { id: RUNNER_A.id, secret: 'nope' } });
    await rawPost(bot, RUNNER_API_PATHS.poll, '{}', { headers: { [SIGNATURE_HEADERS.runner]: '../etc' } });
    expect(bot.refusals.slice(before).map((r) => r.runnerId)).toEqual([RUNNER_A.id, null]);
  });

  it('the client surfaces a 401 as a typed error after exactly one attempt', async () => {
    const before = bot.refusals.length;
    const client = clientFor(
      bot,
      { id: RUNNER_A.id, secret: 'not-the-secret' },
      { retry: { maxAttempts: 5 } },
    );
    const error = await client.heartbeat(heartbeat(RUNNER_A)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerApiError);
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, code: 'bad-signature' });
    expect(bot.refusals.length - before).toBe(1);
  });
});
