/**
 * Failure injection over real HTTP, and what botbuilder 4.23 makes of each failure when a bot
 * sends or updates proactively (continueConversationAsync with a stored reference).
 *
 * What botbuilder throws (verified below): an @azure/core-rest-pipeline `RestError` with
 *   statusCode: number            (own property; `status` is undefined)
 *   code: string                  (the `error.code` of the connector's JSON body)
 *   details: parsed error body
 *   response: { status, headers: HttpHeaders with get(name), bodyAsText, parsedBody, request }
 *                                 (non-enumerable, so it is absent from Object.keys/JSON)
 * so `error.statusCode` and `error.response.headers.get('retry-after')` are the fields to read;
 * `response.headers['retry-after']` is always undefined.
 *
 * Before throwing, botbuilder's HTTP pipeline already retries on its own (3 retries, 4 calls):
 * 429 or 503 *with* Retry-After after the announced delay; 408 and 5xx except 501/505 after
 * ~0.5-1 s, 1-2 s, 2-4 s. 429 without Retry-After and 412 fail at once.
 *
 * And: if the adapter has an onTurnError handler (the project's has), an error inside a
 * continueConversationAsync callback goes to that handler and the call RESOLVES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureConnector, type CaptureConnector } from '../../src/lab/capture-connector.js';
import { startSampleBot, type RunningSampleBot } from '../support/sample-bot.js';
import { createTeamsClient, type TeamsClient } from '../support/teams-client.js';

interface RestErrorShape {
  name: string;
  statusCode: number;
  status?: number;
  code: string;
  response: { status: number; headers: { get(name: string): string | undefined } };
}

let connector: CaptureConnector;
let bot: RunningSampleBot;
let teams: TeamsClient;

beforeAll(async () => {
  connector = await startCaptureConnector();
  bot = await startSampleBot();
  teams = createTeamsClient({ botEndpoint: bot.endpoint, serviceUrl: connector.url });
});
afterAll(async () => {
  await bot.close();
  await connector.close();
});

/** A fresh channel thread with a card in it; returns the thread id and the card's message id. */
async function threadWithCard(): Promise<{ thread: string; cardId: string }> {
  const post = await teams.postInChannel('card');
  const thread = (post.activity?.conversation as { id: string }).id;
  const cardId = connector.messages(thread)[0]?.id;
  if (!cardId) throw new Error('no card');
  return { thread, cardId };
}

async function failureOf(call: Promise<unknown>): Promise<RestErrorShape> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error('expected the call to fail');
  return error as RestErrorShape;
}

const textsIn = (conversationId: string) =>
  connector.messages(conversationId).map((m) => m.activity.text ?? '(card)');

const attemptsAt = (conversationId: string) =>
  connector.requests.filter((r) => r.conversationId === conversationId).length;

describe('injected failures, as botbuilder sees them', () => {
  it('429 with Retry-After: botbuilder retries 3 times itself, then throws statusCode 429 with the header', async () => {
    const { thread, cardId } = await threadWithCard();
    const before = attemptsAt(thread);
    // Retry-After: 0 lets botbuilder's own three retries go at once; the fourth answer of each
    // call asks for a second, and that is what the caller gets to see.
    const quick = connector.inject({ conversationId: thread, status: 429, retryAfterSeconds: 0, times: 6 });
    const rule = connector.inject({ conversationId: thread, status: 429, retryAfterSeconds: 1 });

    const [sendError, updateError] = await Promise.all([
      failureOf(bot.send(thread, { text: 'x' })),
      failureOf(bot.update(thread, cardId, { text: 'x' })),
    ]);
    rule.remove();

    for (const error of [sendError, updateError]) {
      expect(error).toMatchObject({ name: 'RestError', statusCode: 429, code: 'Throttled' });
      expect(error.status).toBeUndefined();
      expect(error.response.status).toBe(429);
      expect(error.response.headers.get('retry-after')).toBe('1');
      expect(Object.keys(error)).not.toContain('response');
    }
    expect(attemptsAt(thread) - before).toBe(8);
    expect(quick.hits + rule.hits).toBe(8);
    expect(rule.hits).toBe(2);
  });

  it('a single 429 with Retry-After is absorbed by botbuilder: the send succeeds late', async () => {
    const { thread } = await threadWithCard();
    connector.inject({ conversationId: thread, status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();

    const id = await bot.send(thread, { text: 'after one 429' });

    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(connector.message(id ?? '')?.activity.text).toBe('after one 429');
  });

  it('429 without Retry-After and 412 fail on the first answer', async () => {
    const { thread, cardId } = await threadWithCard();
    const before = attemptsAt(thread);
    connector.inject({ conversationId: thread, kind: 'reply', status: 429, times: 1 });
    connector.inject({ conversationId: thread, kind: 'update', status: 412, times: 1 });

    const throttled = await failureOf(bot.send(thread, { text: 'x' }));
    const precondition = await failureOf(bot.update(thread, cardId, { text: 'x' }));

    expect(throttled).toMatchObject({ statusCode: 429, response: { status: 429 } });
    expect(throttled.response.headers.get('retry-after')).toBeUndefined();
    expect(precondition).toMatchObject({
      statusCode: 412,
      code: 'PreconditionFailed',
      response: { status: 412 },
    });
    expect(attemptsAt(thread) - before).toBe(2);
  });

  it('502 and 504 are retried by botbuilder with backoff, then thrown', async () => {
    const { thread, cardId } = await threadWithCard();
    connector.inject({ conversationId: thread, kind: 'reply', status: 502 });
    connector.inject({ conversationId: thread, kind: 'update', status: 504 });

    const [badGateway, gatewayTimeout] = await Promise.all([
      failureOf(bot.send(thread, { text: 'x' })),
      failureOf(bot.update(thread, cardId, { text: 'x' })),
    ]);
    connector.clearFaults();

    expect(badGateway).toMatchObject({ statusCode: 502, code: 'BadGateway', response: { status: 502 } });
    expect(gatewayTimeout).toMatchObject({
      statusCode: 504,
      code: 'GatewayTimeout',
      response: { status: 504 },
    });
    const refused = connector.requests.filter((r) => r.conversationId === thread && r.refusal === 'injected');
    expect(refused.map((r) => r.status).sort()).toEqual([502, 502, 502, 502, 504, 504, 504, 504]);
    expect(connector.message(cardId)?.versions).toBe(1);
  }, 15_000);

  it('slow answers delay the turn but the activity arrives', async () => {
    const { thread } = await threadWithCard();
    connector.inject({ conversationId: thread, delayMs: 300, times: 1 });
    const started = Date.now();

    const id = await bot.send(thread, { text: 'slow' });

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(connector.message(id ?? '')?.activity.text).toBe('slow');
  });

  it('rules can match on the activity and count their hits', async () => {
    const { thread } = await threadWithCard();
    const rule = connector.inject({ when: (call) => call.activity?.text === 'poison', status: 412 });

    await failureOf(bot.send(thread, { text: 'poison' }));
    await bot.send(thread, { text: 'fine' });
    rule.remove();
    await bot.send(thread, { text: 'poison' });

    expect(rule.hits).toBe(1);
    expect(textsIn(thread)).toEqual(['(card)', 'fine', 'poison']);
  });

  it('with an onTurnError handler, continueConversationAsync swallows the failure (like src/bot/teams-sender.ts)', async () => {
    const adapterStyle = await startSampleBot({ proactiveErrors: 'adapter' });
    try {
      const client = createTeamsClient({ botEndpoint: adapterStyle.endpoint, serviceUrl: connector.url });
      const thread = ((await client.postInChannel('card')).activity?.conversation as { id: string }).id;
      connector.inject({ conversationId: thread, status: 412, times: 1 });

      const id = await adapterStyle.send(thread, { text: 'lost?' });

      expect(id).toBeUndefined();
      expect(adapterStyle.turnErrors).toHaveLength(1);
      expect(adapterStyle.turnErrors[0]).toMatchObject({ statusCode: 412 });
      expect(textsIn(thread)).toEqual(['(card)']);
    } finally {
      await adapterStyle.close();
    }
  });
});
