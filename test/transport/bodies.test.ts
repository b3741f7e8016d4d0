import { afterEach, describe, expect, it } from 'vitest';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import { RunnerApiError } from '../../src/runner/client.js';
import {
  clientFor,
  heartbeat,
  job,
  profile,
  rawPost,
  RUNNER_A,
  RUNNER_B,
  startBot,
  stepResult,
  type TestBot,
} from './harness.js';

let bot: TestBot;
afterEach(async () => bot?.close());

const { poll, results, heartbeat: beatPath } = RUNNER_API_PATHS;
const resultsBody = (extra: object) => JSON.stringify({ results: [{ ...stepResult(1), ...extra }] });

const invalidUtf8 = Buffer.concat([
  Buffer.from('{"waitMs":1,"x":"'),
  Buffer.from([0xc3, 0x28]),
  Buffer.from('"}'),
]);

const malformed: Array<[string, string, string | Buffer, 'malformed-json' | 'invalid-body']> = [
  ['not JSON', poll, '{"waitMs":', 'malformed-json'],
  ['an empty body', poll, '', 'malformed-json'],
  ['invalid UTF-8', poll, invalidUtf8, 'malformed-json'],
  ['a JSON array', poll, '[]', 'invalid-body'],
  ['an extra field', poll, '{"waitMs":10,"command":"Remove-Item C:\\\\"}', 'invalid-body'],
  ['a negative wait', poll, '{"waitMs":-1}', 'invalid-body'],
  ['no results', results, '{"results":[]}', 'invalid-body'],
  ['an unknown step id', results, resultsBody({ stepId: 'Invoke-Expression' }), 'invalid-body'],
  ['an unknown status', results, resultsBody({ status: 'done' }), 'invalid-body'],
  [
    'a missing field',
    results,
    JSON.stringify({ results: [{ ...stepResult(1), stdout: undefined }] }),
    'invalid-body',
  ],
  ['stdout over the cap', results, resultsBody({ stdout: 'x'.repeat(4001) }), 'invalid-body'],
  ['an excerpt over the cap', results, resultsBody({ errorExcerpt: 'x'.repeat(401) }), 'invalid-body'],
  ['a string duration', results, resultsBody({ durationMs: '5' }), 'invalid-body'],
  ['a fractional run id', results, resultsBody({ runId: 1.5 }), 'invalid-body'],
  [
    'a heartbeat with a bad profile',
    beatPath,
    JSON.stringify({
      ...heartbeat(RUNNER_A),
      info: {
        runnerId: 'runner-a',
        version: '1',
        profile: { ...profile('backend01'), stagingDir: 'C:\\..\\x' },
      },
    }),
    'invalid-body',
  ],
];

describe('malformed and oversized bodies', () => {
  it.each(malformed)('answers 400 to %s', async (_name, path, body, expected) => {
    bot = await startBot({ api: { longPollMs: 20 } });
    const answer = await rawPost(bot, path, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: expected });
    expect(bot.backend.recorded.size).toBe(0);
  });

  it('names the failing field in the 400 message', async () => {
    bot = await startBot();
    const answer = await rawPost(bot, results, resultsBody({ durationMs: 'soon' }));
    expect(answer.body).toMatchObject({ message: 'body.results[0].durationMs: expected a finite number.' });
  });

  it('answers 413 past the body cap, and keeps serving', async () => {
    bot = await startBot({ api: { maxBodyBytes: 64 * 1024 } });
    const huge = JSON.stringify({ results: [stepResult(1, { stdout: 'x'.repeat(200 * 1024) })] });
    const answer = await rawPost(bot, results, huge);
    expect(answer.status).toBe(413);
    const enormous = JSON.stringify({ pad: 'y'.repeat(2 * 1024 * 1024) });
    // Far past the cap the bot may cut the connection instead of draining megabytes to answer.
    const status = await rawPost(bot, poll, enormous).then(
      (a) => String(a.status),
      () => 'connection cut',
    );
    expect(status).toMatch(/^(413|connection cut)$/);
    bot.backend.offerJob(RUNNER_A.id, job(1));
    expect(await clientFor(bot, RUNNER_A).pollJob()).toEqual(job(1));
  });

  it('the client reports a 400 as a typed error without retrying', async () => {
    bot = await startBot();
    const client = clientFor(bot, RUNNER_A, { retry: { maxAttempts: 4 } });
    const bad = stepResult(1, { stepId: 'nope' as never });
    await expect(client.sendResults([bad])).rejects.toMatchObject({ kind: 'bad-request', status: 400 });
  });
});

describe('a runner may only speak for its own runs and server (403)', () => {
  it("refuses a result for another runner's run, keeping the acks recorded before it", async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(1));
    bot.backend.offerJob(RUNNER_B.id, job(2, RUNNER_B.server));
    const error = await clientFor(bot, RUNNER_B)
      .sendResults([stepResult(2), stepResult(1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerApiError);
    expect(error).toMatchObject({ kind: 'forbidden', status: 403, code: 'not-own-run' });
    expect((error as RunnerApiError).acks).toEqual([
      { runId: 2, stepId: 'precheck.role', attempt: 1, outcome: 'accepted' },
    ]);
    expect(bot.backend.recorded.has('1/precheck.role/1')).toBe(false);
    expect(bot.refusals).toEqual([expect.objectContaining({ runnerId: RUNNER_B.id, reason: 'not-own-run' })]);
  });

  it('refuses a heartbeat naming another server, another runner id, or another run', async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(1));
    const client = clientFor(bot, RUNNER_B);
    const asOtherServer = {
      ...heartbeat(RUNNER_B),
      info: { ...heartbeat(RUNNER_B).info, profile: profile('backend01') },
    };
    const asOtherRunner = {
      ...heartbeat(RUNNER_B),
      info: { ...heartbeat(RUNNER_B).info, runnerId: RUNNER_A.id },
    };
    for (const [beat, code] of [
      [asOtherServer, 'not-own-server'],
      [asOtherRunner, 'not-own-runner-id'],
      [heartbeat(RUNNER_B, 1), 'not-own-run'],
    ] as const) {
      await expect(client.heartbeat(beat)).rejects.toMatchObject({ kind: 'forbidden', status: 403, code });
    }
    expect(bot.backend.beats).toHaveLength(0);
  });

  it('never hands a job for another server to a runner', async () => {
    bot = await startBot();
    bot.backend.offerJob(RUNNER_A.id, job(3, 'backend99'));
    await expect(clientFor(bot, RUNNER_A, { retry: { maxAttempts: 1 } }).pollJob()).rejects.toMatchObject({
      kind: 'unavailable',
      status: 500,
    });
  });
});

describe('a bot that mounted a body parser globally', () => {
  it('still verifies over the exact bytes', async () => {
    bot = await startBot({ globalBodyParser: true });
    bot.backend.offerJob(RUNNER_A.id, job(4));
    const client = clientFor(bot, RUNNER_A);
    expect(await client.sendResults([stepResult(4, { stdout: 'ünïcødé ✓ 補丁' })])).toHaveLength(1);
    expect(
      (await rawPost(bot, beatPath, JSON.stringify(heartbeat(RUNNER_A)), { signBody: '{}' })).status,
    ).toBe(401);
  });
});
