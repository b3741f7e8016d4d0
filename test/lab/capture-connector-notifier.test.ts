/**
 * The project's Notifier fed with the errors real botbuilder throws when the capture connector
 * throttles: it must read the status and the Retry-After header and deliver the message once.
 * The sender here rethrows errors from the continueConversationAsync callback (see
 * test/support/sample-bot.ts: with an onTurnError handler botbuilder would swallow them).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Notifier } from '../../src/bot/notifier.js';
import { startCaptureConnector, type CaptureConnector } from '../../src/lab/capture-connector.js';
import { silentLogger } from '../../src/log.js';
import type { OutboxItem, Store } from '../../src/store/store.js';
import { startSampleBot, type RunningSampleBot } from '../support/sample-bot.js';
import { createTeamsClient } from '../support/teams-client.js';

let connector: CaptureConnector;
let bot: RunningSampleBot;

beforeAll(async () => {
  connector = await startCaptureConnector();
  bot = await startSampleBot();
});
afterAll(async () => {
  await bot.close();
  await connector.close();
});

/** Just the outbox part of the store, in memory. */
function outboxOnly(items: OutboxItem[]): Store {
  const outbox: Pick<Store, 'outbox' | 'completeOutbox' | 'touchOutbox' | 'markSending'> = {
    outbox: () => [...items],
    markSending: async () => undefined,
    completeOutbox: async (id) => {
      items.splice(
        items.findIndex((i) => i.id === id),
        1,
      );
    },
    touchOutbox: async (id, attempts) => {
      const item = items.find((i) => i.id === id);
      if (item) item.attempts = attempts;
    },
  };
  return outbox as Store;
}

it('retries a 429 after the Retry-After botbuilder exposes, and delivers exactly once', async () => {
  const teams = createTeamsClient({ botEndpoint: bot.endpoint, serviceUrl: connector.url });
  const thread = ((await teams.postInChannel('hi')).activity?.conversation as { id: string }).id;
  // Four refusals = one failed botbuilder call (it retries three times by itself, here at once
  // thanks to Retry-After: 0); the last one asks for a second; then the message is taken.
  connector.inject({ conversationId: thread, status: 429, retryAfterSeconds: 0, times: 3 });
  connector.inject({ conversationId: thread, status: 429, retryAfterSeconds: 1, times: 1 });
  const waits: number[] = [];
  const sent: (string | undefined)[] = [];
  const notifier = new Notifier({
    store: outboxOnly([
      {
        id: 1,
        conversationId: thread,
        runId: null,
        kind: 'send',
        activity: { text: 'step 3 of 11: Stop-CsWindowsService done' },
        createdAt: new Date().toISOString(),
        attempts: 0,
      },
    ]),
    sender: { send: (c, a) => bot.send(c, a), update: (c, id, a) => bot.update(c, id, a) },
    logger: silentLogger(),
    sleep: async (ms) => {
      waits.push(ms);
    },
    onSent: async (_item, id) => {
      sent.push(id);
    },
  });

  notifier.kick();
  await notifier.idle();

  expect(waits).toEqual([1_000]);
  expect(sent).toHaveLength(1);
  const delivered = connector
    .messages(thread)
    .filter((m) => m.activity.text?.toString().startsWith('step 3'));
  expect(delivered.map((m) => m.id)).toEqual(sent);
});
