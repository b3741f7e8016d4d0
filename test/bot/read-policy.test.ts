/**
 * Who may read status and history (issue 16, finding 6): the run's own conversation (any thread
 * of its channel) and the people named as requesters or approvers; anyone else gets a clear
 * refusal, in their language, and sees none of the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { mayRead } from '../../src/runs/policy.js';
import { channelThread } from '../support/teams-client.js';
import { cardActions, cardOf, cardText, startBotHarness, waitUntil, type BotHarness } from './harness.js';

let h: BotHarness;
const BEA = '29:lab-user-bea';

beforeAll(async () => {
  // Bea is a named approver (no approval required, so runs start at once).
  h = await startBotHarness({ PATCHBOT_APPROVERS: BEA });
}, 60_000);
afterAll(async () => h?.stop());

const refusal = createTranslator('en-US').t('bot.not-allowed.read');

/** Says `text` as `user` in the group chat (not where the run was requested); the bot's answer. */
async function askInGroupChat(text: string, user: string): Promise<string> {
  const conversation = h.teams.groupChat.id;
  const before = h.connector.messages(conversation).length;
  expect((await h.teams.sayInGroupChat(text, { from: h.teams.user(user) })).status).toBe(200);
  const reply = await waitUntil(
    () => h.connector.messages(conversation)[before],
    5000,
    `an answer to "${text}"`,
  );
  return `${reply.activity.text ?? ''}\n${cardText(cardOf(reply.activity))}`;
}

describe('status and history are read by the run’s own conversation and named people only', () => {
  let runId: number;

  beforeAll(async () => {
    const alex = h.teams.user('Alex');
    const post = await h.teams.postInChannel('update backend01 standard', { from: alex });
    const thread = (post.activity!.conversation as { id: string }).id;
    const plan = await waitUntil(
      () => h.connector.messages(thread).find((m) => cardOf(m.activity)),
      5000,
      'the plan card',
    );
    const confirm = cardActions(cardOf(plan.activity)!).find((a) => a.verb === 'plan.confirm')!;
    runId = confirm.data.runId as number;
    await h.teams.pressCardButton({
      conversation: channelThread(post.activity!.id),
      replyToId: plan.id,
      verb: 'plan.confirm',
      data: confirm.data,
      from: alex,
    });
    await waitUntil(
      async () => (await h.app.store.findRun(runId))?.status === 'succeeded',
      30_000,
      'the run',
    );
  }, 60_000);

  it('refuses someone in another conversation: status of the run, of its server, and history', async () => {
    for (const command of [`status ${runId}`, 'status backend01', 'history', 'history backend01']) {
      const answer = await askInGroupChat(command, 'Chen');
      expect(answer, command).toContain(refusal);
      expect(answer, command).not.toMatch(/Alex|succeeded|SkypeServerUpdateInstaller/);
    }
  });

  it('answers a named approver anywhere', async () => {
    const answer = await askInGroupChat(`status ${runId}`, 'Bea');
    expect(answer).not.toContain(refusal);
    expect(answer).toContain('backend01');
  });

  it('answers anyone in the run’s own channel, in another thread too', async () => {
    const post = await h.teams.postInChannel(`status ${runId}`, { from: h.teams.user('Chen') });
    const thread = (post.activity!.conversation as { id: string }).id;
    const reply = await waitUntil(() => h.connector.messages(thread)[0], 5000, 'the answer');
    expect(`${reply.activity.text ?? ''}${cardText(cardOf(reply.activity))}`).toContain('backend01');
  });

  it('says so in every language', async () => {
    for (const locale of ['de-DE', 'es-ES', 'zh-CN']) {
      const text = createTranslator(locale).t('bot.not-allowed.read');
      expect(text).not.toBe(refusal);
      expect(text).toContain('PATCHBOT_READERS');
    }
  });
});

describe('mayRead', () => {
  const run = { conversationId: '19:patching@thread.tacv2;messageid=1' };
  const eve = { person: { id: '29:eve', name: 'Eve' }, conversationId: 'a:eve-personal' };
  const base = { requesters: ['*'], approvers: [], readers: [] };

  it.each([
    ['the same thread', { ...eve, conversationId: run.conversationId }, base, true],
    [
      'another thread of the channel',
      { ...eve, conversationId: '19:patching@thread.tacv2;messageid=9' },
      base,
      true,
    ],
    ['another conversation, with requesters = *', eve, base, false],
    ['a named requester', eve, { ...base, requesters: ['29:eve'] }, true],
    [
      'a named approver (by AAD id)',
      { ...eve, person: { ...eve.person, aadObjectId: 'aad-eve' } },
      { ...base, approvers: ['aad-eve'] },
      true,
    ],
    ['a named reader', eve, { ...base, readers: ['29:eve'] }, true],
    ['readers = *', eve, { ...base, readers: ['*'] }, true],
  ] as const)('%s: %s', (_what, reader, policy, expected) => {
    expect(
      mayRead(
        {
          ...policy,
          requesters: [...policy.requesters],
          approvers: [...policy.approvers],
          readers: [...policy.readers],
        },
        reader,
        run,
      ),
    ).toBe(expected);
  });
});
