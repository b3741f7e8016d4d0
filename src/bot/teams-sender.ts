import type { CloudAdapter } from 'botbuilder';
import type { ConversationReference } from 'botbuilder';
import type { Store } from '../store/store.js';
import type { ConversationSender } from './notifier.js';

/** Proactive messages through botbuilder, using the conversation references the bot stored. */
export class TeamsSender implements ConversationSender {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly store: Store,
  ) {}

  private reference(conversationId: string): Partial<ConversationReference> {
    const known = this.store.getConversation(conversationId);
    if (!known)
      throw Object.assign(new Error(`no conversation reference for ${conversationId}`), { statusCode: 404 });
    return known.reference as Partial<ConversationReference>;
  }

  async send(conversationId: string, activity: Record<string, unknown>): Promise<string | undefined> {
    let id: string | undefined;
    await this.adapter.continueConversationAsync(
      this.appId,
      this.reference(conversationId),
      async (context) => {
        id = (await context.sendActivity({ type: 'message', ...activity }))?.id;
      },
    );
    return id;
  }

  async update(conversationId: string, activityId: string, activity: Record<string, unknown>): Promise<void> {
    const reference = this.reference(conversationId);
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      await context.updateActivity({
        type: 'message',
        ...activity,
        id: activityId,
        conversation: reference.conversation,
      });
    });
  }
}
