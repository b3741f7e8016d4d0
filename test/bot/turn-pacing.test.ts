import { ActivityEventNames, ActivityTypes, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { countTurnMessages } from '../../src/bot/turn-pacing.js';

describe('messages sent by turns count in the pacing windows', () => {
  it('records each message a turn sends or updates, in its conversation, and nothing else', async () => {
    const recorded: string[] = [];
    const adapter = new TestAdapter(async (context: TurnContext) => {
      await context.sendActivity({ type: ActivityTypes.Typing });
      const sent = await context.sendActivities([{ text: 'plan card' }, { text: 'a note' }]);
      await context.updateActivity({ id: sent[0]!.id, text: 'plan card, confirmed' });
    });
    adapter.use(countTurnMessages((conversationId) => recorded.push(conversationId)));

    await adapter.send('update backend01 standard').startTest();
    const conversationId = adapter.conversation.conversation.id;
    // Two messages and one update; the typing indicator is not a message.
    expect(recorded).toEqual([conversationId, conversationId, conversationId]);
  });

  it('records a send Teams refused too (the cautious side), and lets the error through', async () => {
    const recorded: string[] = [];
    const adapter = new TestAdapter(async (context: TurnContext) => {
      await context.sendActivity('hello');
    });
    adapter.use(countTurnMessages((conversationId) => recorded.push(conversationId)));
    // Stands in for the connector answering 429.
    adapter.use({
      onTurn: async (context, next) => {
        context.onSendActivities(async () => {
          throw Object.assign(new Error('Throttled'), { statusCode: 429 });
        });
        await next();
      },
    });

    await expect(adapter.send('hi').startTest()).rejects.toThrow('Throttled');
    expect(recorded).toHaveLength(1);
  });

  it('leaves proactive continuation turns to the notifier, which counts its own sends', async () => {
    const recorded: string[] = [];
    const adapter = new TestAdapter(async () => undefined);
    adapter.use(countTurnMessages((conversationId) => recorded.push(conversationId)));

    // The activity CloudAdapter.continueConversationAsync runs the notifier's send in
    // (ActivityEx.getContinuationActivity in botframework-schema).
    const reference = adapter.conversation;
    const continuation = {
      type: ActivityTypes.Event,
      name: ActivityEventNames.ContinueConversation,
      channelId: reference.channelId,
      serviceUrl: reference.serviceUrl,
      conversation: reference.conversation,
      recipient: reference.bot,
      from: reference.user,
    };
    await adapter.processActivity(continuation, async (context) => {
      expect(context.activity.name).toBe('ContinueConversation');
      await context.sendActivity('step 3 succeeded');
    });
    expect(recorded).toEqual([]);
  });
});
