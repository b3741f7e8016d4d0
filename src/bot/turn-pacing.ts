import { ActivityEventNames, ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';

/**
 * Teams counts every message a bot posts or updates in a conversation, whether it answers a
 * turn or arrives later from the outbox. This middleware tells the notifier's pacer about the
 * messages turns send and update, so the outbox does not fill a window a reply already used.
 * Counted when Teams' answer arrives, as the notifier counts its own.
 */
export function countTurnMessages(record: (conversationId: string) => void): Middleware {
  return {
    onTurn: async (context: TurnContext, next: () => Promise<void>) => {
      const conversationId = context.activity.conversation?.id;
      // The notifier's own proactive sends run as continuation turns; it counts those itself.
      const proactive =
        context.activity.type === ActivityTypes.Event &&
        context.activity.name === ActivityEventNames.ContinueConversation;
      if (conversationId && !proactive) {
        context.onSendActivities(async (_context, activities, send) => {
          try {
            return await send();
          } finally {
            for (const activity of activities)
              if (activity.type === ActivityTypes.Message) record(conversationId);
          }
        });
        context.onUpdateActivity(async (_context, _activity, update) => {
          try {
            await update();
          } finally {
            record(conversationId);
          }
        });
      }
      await next();
    },
  };
}
