import type { CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { Store } from '../store/store.js';
import type { ConversationSender } from './notifier.js';

/**
 * Proactive messages through botbuilder, using the conversation references the bot stored.
 * botbuilder hands an error thrown inside continueConversationAsync to the adapter's onTurnError
 * and then resolves normally, so a refused send (429, 412, 5xx) would look delivered. Each call
 * therefore keeps its own error and throws it afterwards, for the notifier to retry.
 */
export class TeamsSender implements ConversationSender {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly store: Store,
  ) {}

  async send(conversationId: string, activity: Record<string, unknown>): Promise<string | undefined> {
    let id: string | undefined;
    await this.proactive(conversationId, async (context) => {
      id = (await context.sendActivity({ type: 'message', ...activity }))?.id;
    });
    return id;
  }

  async update(conversationId: string, activityId: string, activity: Record<string, unknown>): Promise<void> {
    await this.proactive(conversationId, async (context, reference) => {
      await context.updateActivity({
        type: 'message',
        ...activity,
        id: activityId,
        conversation: reference.conversation,
      });
    });
  }

  private async proactive(
    conversationId: string,
    work: (context: TurnContext, reference: Partial<ConversationReference>) => Promise<void>,
  ): Promise<void> {
    const known = this.store.getConversation(conversationId);
    if (!known)
      throw Object.assign(new Error(`no conversation reference for ${conversationId}`), { statusCode: 404 });
    const reference = known.reference as Partial<ConversationReference>;
    let failure: unknown;
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      try {
        await work(context, reference);
      } catch (error) {
        failure = error;
      }
    });
    if (failure !== undefined) throw failure;
  }
}
