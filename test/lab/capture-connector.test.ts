/**
 * The capture connector and the Teams client, driven end to end over real HTTP with a tiny
 * botbuilder bot (test/support/sample-bot.ts): what Teams would send in, what botbuilder sends
 * out, and what a Teams client would show afterwards.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCaptureConnector, type CaptureConnector } from '../../src/lab/capture-connector.js';
import { LAB_TENANT } from '../../src/lab/playground-tenant.js';
import { SAMPLE_VERB, startSampleBot, type RunningSampleBot } from '../support/sample-bot.js';
import { channelThread, createTeamsClient, type TeamsClient } from '../support/teams-client.js';

let connector: CaptureConnector;
let bot: RunningSampleBot;
let teams: TeamsClient;
const warnings: unknown[] = [];

beforeAll(async () => {
  connector = await startCaptureConnector({ logger: { warn: (fields: unknown) => warnings.push(fields) } });
  bot = await startSampleBot();
  teams = createTeamsClient({ botEndpoint: bot.endpoint, serviceUrl: connector.url });
});
afterAll(async () => {
  await bot.close();
  await connector.close();
});

const conversationOf = (activity: unknown): string =>
  ((activity as { conversation: { id: string } }).conversation ?? { id: '' }).id;

describe('conversations over real HTTP', () => {
  it('answers a personal chat message with a reply the connector records', async () => {
    const before = connector.activities.length;
    const answer = await teams.sayInPersonalChat('hello there');

    expect(answer.status).toBe(200);
    const [reply, ...rest] = connector.activities.slice(before);
    expect(rest).toEqual([]);
    expect(reply).toMatchObject({
      kind: 'reply',
      conversationId: LAB_TENANT.personalChat.id,
      replyToId: answer.activity?.id,
      activity: { type: 'message', text: 'echo: hello there', from: { id: LAB_TENANT.bot.id } },
    });
    expect(reply?.activityId).toMatch(/^\d{13,}$/);
    expect(connector.requests.at(-1)).toMatchObject({ status: 201, authorized: false });
  });

  it('delivers a group chat message that @mentions the bot, mention removed', async () => {
    const answer = await teams.sayInGroupChat('status backend01', { from: teams.user('Chen') });

    expect(answer.status).toBe(200);
    expect(answer.activity).toMatchObject({
      text: `<at>${LAB_TENANT.bot.name}</at> status backend01`,
      conversation: { conversationType: 'groupChat', isGroup: true, id: LAB_TENANT.groupChat.id },
      from: { id: teams.user('Chen').id },
    });
    const texts = connector.messages(LAB_TENANT.groupChat.id).map((m) => m.activity.text);
    expect(texts).toContain('echo: status backend01');
  });

  it('threads a channel post, shows its card, answers Action.Execute and updates the card in place', async () => {
    const post = await teams.postInChannel('card');
    const thread = conversationOf(post.activity);
    expect(thread).toBe(`${LAB_TENANT.team.channel.id};messageid=${post.activity?.id}`);
    expect(post.activity).toMatchObject({
      channelData: {
        team: { id: LAB_TENANT.team.id },
        channel: { id: LAB_TENANT.team.channel.id },
        tenant: { id: LAB_TENANT.tenantId },
      },
      entities: expect.arrayContaining([
        expect.objectContaining({ type: 'mention', mentioned: { id: LAB_TENANT.bot.id, name: 'PatchBot' } }),
      ]),
    });
    // botbuilder puts the whole id in one URL-encoded segment; the connector decodes it back.
    expect(connector.requests.at(-1)?.rawPath).toContain(encodeURIComponent(thread));

    const [cardMessage] = connector.messages(thread);
    if (!cardMessage) throw new Error('no card was posted in the thread');
    expect(connector.currentCard(cardMessage.id)).toMatchObject({
      type: 'AdaptiveCard',
      actions: [{ type: 'Action.Execute', verb: SAMPLE_VERB }],
    });

    const press = await teams.pressCardButton({
      conversation: channelThread(post.activity?.id ?? '', LAB_TENANT.team.channel.id),
      replyToId: cardMessage.id,
      verb: SAMPLE_VERB,
      data: { title: 'Plan for backend01' },
      from: teams.user('Bea'),
    });
    expect(press.status).toBe(200);
    expect(press.body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
      value: { body: [{ text: `Plan for backend01: ${SAMPLE_VERB} by Bea Approver` }] },
    });

    const sentId = await bot.send(thread, { text: 'step 1 of 11 done' });
    await bot.update(thread, cardMessage.id, {
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'Running' }] },
        },
      ],
    });

    const inThread = connector.activities.filter((a) => a.conversationId === thread);
    // A proactive send through continueConversationAsync arrives as a *reply* (POST
    // .../activities/<id>): botbuilder gives the continuation activity a random id and then
    // replies to it. Teams ignores an unknown replyToId, so does the connector.
    expect(inThread.map((a) => a.kind)).toEqual(['reply', 'reply', 'update']);
    expect(inThread[1]).toMatchObject({ activityId: sentId, activity: { text: 'step 1 of 11 done' } });
    expect(inThread[2]).toMatchObject({ activityId: cardMessage.id });
    expect(connector.currentCard(cardMessage.id)).toMatchObject({ body: [{ text: 'Running' }] });
    expect(connector.message(cardMessage.id)?.versions).toBe(2);
    expect(connector.messages(thread).map((m) => m.id)).toEqual([cardMessage.id, sentId]);
  });

  it('posts into an existing thread and into General (whose id is the team id)', async () => {
    const root = await teams.postInChannel('root post', { channelId: LAB_TENANT.team.id });
    const rootId = root.activity?.id ?? '';
    const reply = await teams.postInChannel('second', {
      channelId: LAB_TENANT.team.id,
      threadRootId: rootId,
    });

    expect(reply.activity).toMatchObject({
      replyToId: rootId,
      conversation: { id: `${LAB_TENANT.team.id};messageid=${rootId}` },
    });
    const texts = connector.messages(`${LAB_TENANT.team.id};messageid=${rootId}`).map((m) => m.activity.text);
    expect(texts).toEqual(['echo: root post', 'echo: second']);
  });

  it('waitFor resolves with the first truthy result and rejects after its timeout', async () => {
    const thread = conversationOf((await teams.postInChannel('card')).activity);
    const pending = connector.waitFor((activities) =>
      activities.find((a) => a.conversationId === thread && a.activity.text === 'later'),
    );
    setTimeout(() => void bot.send(thread, { text: 'later' }), 20);
    await expect(pending).resolves.toMatchObject({ kind: 'reply', conversationId: thread });
    await expect(connector.waitFor(() => false, 50)).rejects.toThrow(/within 50 ms/);
  });

  it('accepts installation events without calling the connector', async () => {
    const before = connector.requests.length;
    const added = await teams.botAdded(channelThread('1', LAB_TENANT.team.id));
    const installed = await teams.installationUpdate(teams.personalChat, 'add');

    expect([added.status, installed.status]).toEqual([200, 200]);
    expect(added.activity).toMatchObject({
      type: 'conversationUpdate',
      membersAdded: [{ id: LAB_TENANT.bot.id }],
      channelData: { eventType: 'teamMemberAdded', team: { id: LAB_TENANT.team.id } },
    });
    expect(connector.requests.length).toBe(before);
  });

  it('refuses malformed bodies at the bot (hostile input)', async () => {
    const answer = await teams.postRaw('{"type": "message", "text": ');
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });
});

describe('connector routes', () => {
  it('answers 404 to an update of a message it never saw; botbuilder surfaces it', async () => {
    const thread = conversationOf((await teams.postInChannel('card')).activity);
    await expect(bot.update(thread, '999', { text: 'x' })).rejects.toMatchObject({ statusCode: 404 });
    expect(connector.requests.at(-1)).toMatchObject({ method: 'PUT', status: 404, refusal: 'not-found' });
  });

  it('deletes messages and refuses bodies that are not activities', async () => {
    const thread = conversationOf((await teams.postInChannel('card')).activity);
    const [card] = connector.messages(thread);
    const path = `${connector.url}v3/conversations/${encodeURIComponent(thread)}/activities`;

    const deleted = await fetch(`${path}/${card?.id}`, { method: 'DELETE' });
    const broken = await fetch(path, {
      method: 'POST',
      body: '{"type":',
      headers: { 'content-type': 'application/json' },
    });
    const notAnObject = await fetch(path, { method: 'POST', body: '[]' });

    expect([deleted.status, broken.status, notAnObject.status]).toEqual([200, 400, 400]);
    expect(connector.currentCard(card?.id ?? '')).toBeUndefined();
    expect(connector.messages(thread)).toEqual([]);
    expect(connector.activities.at(-1)).toMatchObject({ kind: 'delete', activityId: card?.id });
  });

  it('reports unknown routes loudly and answers 404', async () => {
    const before = connector.stats.unknownRoutes;
    const conversation = encodeURIComponent(LAB_TENANT.groupChat.id);
    const response = await fetch(`${connector.url}v3/conversations/${conversation}/members`);

    expect(response.status).toBe(404);
    expect(connector.stats.unknownRoutes).toBe(before + 1);
    expect(warnings.at(-1)).toMatchObject({
      method: 'GET',
      path: `/v3/conversations/${conversation}/members`,
    });
  });

  it('refuses bodies above maxBodyBytes with 413', async () => {
    const small = await startCaptureConnector({ maxBodyBytes: 100 });
    try {
      const response = await fetch(`${small.url}v3/conversations/a%3A1/activities`, {
        method: 'POST',
        body: JSON.stringify({ type: 'message', text: 'x'.repeat(300_000) }),
      });
      expect(response.status).toBe(413);
      expect(small.stats).toMatchObject({ received: 1, accepted: 0, refused: 1 });
    } finally {
      await small.close();
    }
  });

  it('writes to stderr when no logger is given', async () => {
    const quiet = await startCaptureConnector();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await fetch(`${quiet.url}v3/unknown`, { method: 'POST', body: '{}' });
      expect(String(write.mock.calls.at(-1)?.[0])).toMatch(/UNKNOWN Bot Connector route/);
    } finally {
      write.mockRestore();
      await quiet.close();
    }
  });
});
