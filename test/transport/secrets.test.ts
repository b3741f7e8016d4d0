import type { Next, Request, Response } from 'restify';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADERS } from '../../src/protocol/signing.js';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import {
  capturedLogger,
  clientFor,
  heartbeat,
  job,
  rawPost,
  RUNNER_A,
  RUNNER_B,
  startBot,
  stepResult,
  type TestBot,
} from './harness.js';

let bot: TestBot;
afterEach(async () => bot?.close());

describe('secrets never reach the logs', () => {
  it('not on success, refusal, retry or error paths, on either side', async () => {
    const botLog = capturedLogger();
    const runnerLog = capturedLogger();
    const signatures: string[] = [];
    let failNext = 1;
    const before = (req: Request, res: Response, next: Next) => {
      signatures.push(String(req.headers[SIGNATURE_HEADERS.signature]));
      if (failNext-- > 0) {
        res.send(503, { error: 'busy', message: 'later' });
        return next(false);
      }
      return next();
    };
    bot = await startBot({ logger: botLog.logger, before });
    bot.backend.offerJob(RUNNER_A.id, job(1));
    const good = clientFor(bot, RUNNER_A, { logger: runnerLog.logger });
    const wrongSecret = clientFor(
      bot,
      { id: RUNNER_A.id, secret: RUNNER_B.secret },
      { logger: runnerLog.logger },
    );

    expect(await good.pollJob()).toEqual(job(1)); // first attempt meets the 503: a logged retry
    await good.sendResults([stepResult(1)]);
    await good.heartbeat(heartbeat(RUNNER_A));
    const refused = await wrongSecret.heartbeat(heartbeat(RUNNER_A)).catch((e: unknown) => e);
    await rawPost(bot, RUNNER_API_PATHS.poll, '{}', { timestamp: 0 });
    await rawPost(bot, RUNNER_API_PATHS.results, '{"results":[]}', { runner: RUNNER_B });
    bot.backend.findRunner = async () => {
      throw new Error('store unavailable');
    };
    await rawPost(bot, RUNNER_API_PATHS.poll, '{}');

    const everything = [botLog.text(), runnerLog.text(), String(refused), JSON.stringify(refused)].join('\n');
    expect(everything).toContain('runner request refused');
    expect(everything).toContain('retrying');
    expect(everything).toContain('runner API request failed');
    expect(signatures.length).toBeGreaterThan(5);
    for (const secret of [RUNNER_A.secret, RUNNER_B.secret, ...signatures]) {
      expect(everything).not.toContain(secret);
    }
  });
});
