/**
 * Proves the end-to-end harness against a throwaway echo bot: the Playground, headless
 * Chromium, the REST invoke and the conversation stream all work together.
 */
import type { AddressInfo } from 'node:net';
import {
  ActivityHandler,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TurnContext,
  type Activity,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import restify from 'restify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameText } from './support/conversation-stream.js';
import { invokeCardAction, postUserMessage } from './support/playground-api.js';
import { startPlaygroundHarness, type PlaygroundHarness } from './support/playground-harness.js';

const ACKNOWLEDGE_VERB = 'echo.acknowledge';

function echoCard(said: string, acknowledgedBy?: string): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: `Echo card: ${said}`, weight: 'Bolder' },
      {
        type: 'FactSet',
        facts: [
          { title: 'You said', value: said },
          { title: 'Acknowledged by', value: acknowledgedBy ?? 'nobody yet' },
        ],
      },
    ],
    actions: [{ type: 'Action.Execute', title: 'Acknowledge', verb: ACKNOWLEDGE_VERB, data: { said } }],
  };
}

/** Echoes text, sends a card, answers the card's button with an updated card; "progress" edits a message. */
class EchoBot extends ActivityHandler {
  readonly received: Partial<Activity>[] = [];

  constructor() {
    super();
    this.onMessage(async (context, next) => {
      this.received.push(context.activity);
      const said = (TurnContext.removeRecipientMention(context.activity) ?? '').trim();
      if (said === 'progress') {
        const sent = await context.sendActivity('Progress: step 1 of 2');
        await context.updateActivity({ id: sent?.id, type: 'message', text: 'Progress: done' });
      } else {
        await context.sendActivity(`echo: ${said}`);
        await context.sendActivity({ attachments: [CardFactory.adaptiveCard(echoCard(said))] });
      }
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    this.received.push(context.activity);
    const said = String((invokeValue.action.data as { said?: unknown }).said ?? '');
    const card = echoCard(said, context.activity.from.name);
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  }
}

async function startEchoBot(): Promise<{ bot: EchoBot; endpoint: string; close: () => Promise<void> }> {
  // No MicrosoftAppId: the playground sends no Bot Framework token.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new EchoBot();
  const server = restify.createServer({ handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    bot,
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('playground harness (echo bot)', () => {
  let echo: Awaited<ReturnType<typeof startEchoBot>>;
  let harness: PlaygroundHarness;

  beforeAll(async () => {
    echo = await startEchoBot();
    harness = await startPlaygroundHarness({ botEndpoint: echo.endpoint });
  });

  afterAll(async () => {
    await harness?.stop();
    await echo?.close();
  });

  it('shows the reply to a personal chat message, with its card and facts', async () => {
    const ui = harness.page();
    await ui.selectConversation('Personal Chat');
    await ui.sendMessage('hello patch bot');

    await ui.waitForMessage('echo: hello patch bot');
    const card = await ui.waitForCard('Echo card: hello patch bot');
    expect(await ui.readFacts(card)).toEqual([
      { title: 'You said', value: 'hello patch bot' },
      { title: 'Acknowledged by', value: 'nobody yet' },
    ]);
    await ui.screenshot('playground-harness-personal-chat');
  });

  it('updates the card in place when its button is clicked', async () => {
    const ui = harness.page();
    const card = await ui.waitForCard('Echo card: hello patch bot');
    const cardsBefore = await ui.cards().count();

    await ui.clickCardButton(card, 'Acknowledge');

    const updated = await ui.waitForCard('Alex Admin');
    expect(await ui.readFacts(updated)).toContainEqual({ title: 'Acknowledged by', value: 'Alex Admin' });
    expect(await ui.cards().count()).toBe(cardsBefore);
    expect(await ui.cards('nobody yet').count()).toBe(0);
    await ui.screenshot('playground-harness-card-updated');
  });

  it('answers an @mention in a channel inside the post thread', async () => {
    const ui = harness.page();
    const channel = harness.tenant.team.channel;
    await ui.selectConversation('IT Ops - Patching');
    await ui.sendMessage('status of the channel', { mentionBot: true });

    const thread = await ui.threadContaining('echo: status of the channel');
    await expect(thread.innerText()).resolves.toContain('status of the channel');
    await ui.waitForCard('Echo card: status of the channel');

    const message = echo.bot.received.find((activity) => activity.text?.includes('status of the channel'));
    expect(message?.conversation?.id).toMatch(new RegExp(`^${escapeRegExp(channel.id)};messageid=\\d+$`));
    expect(message?.channelData?.channel?.id).toBe(channel.id);
    expect(message?.channelData?.team?.id).toBe(harness.tenant.team.id);
    await ui.screenshot('playground-harness-channel-thread');
  });

  it('lets another team member press a card button through the REST invoke', async () => {
    const { tenant, stream, playground } = harness;
    const bea = tenant.otherUsers.find((user) => user.givenName === 'Bea');
    if (bea === undefined) throw new Error('Bea is missing from the tenant');
    const posted = (await postUserMessage(playground.url, {
      conversationId: tenant.team.channel.id,
      text: 'needs approval',
      fromId: tenant.currentUser.id,
      mention: tenant.bot,
    })) as { postConversationId: string };
    const cardFrame = await stream.waitFor((frame) => frameText(frame).includes('Echo card: needs approval'));
    expect(cardFrame.actionConversationId).toBe(posted.postConversationId);

    const answer = await invokeCardAction(playground.url, {
      conversationId: cardFrame.actionConversationId,
      replyToId: cardFrame.message?.messageId ?? '',
      fromId: bea.id,
      verb: ACKNOWLEDGE_VERB,
      data: { said: 'needs approval' },
    });

    expect(JSON.stringify(answer.value)).toContain('Bea Approver');
    const invoke = echo.bot.received.at(-1);
    expect(invoke?.type).toBe('invoke');
    expect(invoke?.from?.aadObjectId).toBe(bea.aadObjectId);

    // Only the current user is a member of the personal chat.
    const personalCard = await stream.waitFor((frame) =>
      frameText(frame).includes('Echo card: hello patch bot'),
    );
    await expect(
      invokeCardAction(playground.url, {
        conversationId: tenant.personalChat.id,
        replyToId: personalCard.message?.messageId ?? '',
        fromId: bea.id,
        verb: ACKNOWLEDGE_VERB,
      }),
    ).rejects.toThrow(/UserNotFound/);
  });

  it('streams every message the bot creates and updates over the WebSocket', async () => {
    const { tenant, stream, playground } = harness;
    await postUserMessage(playground.url, {
      conversationId: tenant.personalChat.id,
      text: 'progress',
      fromId: tenant.currentUser.id,
    });

    const created = await stream.waitFor((frame) => frame.message?.text === 'Progress: step 1 of 2');
    const updated = await stream.waitFor(
      (frame) => frame.action === 'updateMessage' && frame.message?.text === 'Progress: done',
    );
    expect(created.action).toBe('createMessage');
    expect(created.actionConversationId).toBe(tenant.personalChat.id);
    expect(updated.message?.messageId).toBe(created.message?.messageId);

    const botTexts = stream.botFrames(tenant.bot.id).map(frameText);
    expect(botTexts.some((text) => text.includes('echo: hello patch bot'))).toBe(true);
    expect(botTexts.some((text) => text.includes('echo: status of the channel'))).toBe(true);

    const ui = harness.page();
    await ui.selectConversation('Personal Chat');
    await ui.waitForMessage('Progress: done');
    expect(await ui.messages().filter({ hasText: 'step 1 of 2' }).count()).toBe(0);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
