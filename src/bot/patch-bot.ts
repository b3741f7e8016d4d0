import {
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import type { CardActions } from '../dialogs/card-actions.js';
import type { CommandRouter } from '../dialogs/router.js';
import type { Turn } from '../dialogs/turn.js';
import { createTranslator, resolveLocale } from '../i18n/index.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Person } from '../store/types.js';

export interface PatchBotDeps {
  router: CommandRouter;
  cardActions: CardActions;
  store: Store;
  logger: Logger;
}

const MESSAGE_TYPE = 'application/vnd.microsoft.activity.message';
const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * The Teams edge: turns activities into dialog calls and nothing more. Personal chat, group chats
 * and channels alike; in channels Teams only delivers messages that @mention the bot, and the
 * mention markup is stripped by the command grammar.
 */
export class PatchBot extends TeamsActivityHandler {
  constructor(private readonly deps: PatchBotDeps) {
    super();
    this.onMessage(async (context, next) => {
      const turn = await this.turnOf(context);
      await deps.router.onMessage(turn, String(context.activity.text ?? ''));
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      if ((context.activity.membersAdded ?? []).some((m) => m.id === botId)) {
        await this.remember(context);
        await context.sendActivity(createTranslator(resolveLocale(context.activity.locale)).t('bot.welcome'));
      }
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const turn = await this.turnOf(context);
    const action = (invokeValue ?? {}).action as { verb?: unknown; data?: unknown } | undefined;
    // Answer fast: the handler only records the decision; runners and messages follow asynchronously.
    const answer = await this.deps.cardActions.handle({
      verb: action?.verb,
      data: action?.data,
      user: turn.user,
      conversationId: turn.conversationId,
      locale: turn.locale,
    });
    return 'card' in answer
      ? { statusCode: 200, type: CARD_TYPE, value: answer.card.content }
      : { statusCode: 200, type: MESSAGE_TYPE, value: answer.message as unknown as Record<string, unknown> };
  }

  /** Builds the dialog's view of the turn and keeps the conversation reference for proactive messages. */
  private async turnOf(context: TurnContext): Promise<Turn> {
    const conversation = await this.remember(context);
    const from = context.activity.from ?? { id: '', name: '' };
    const user: Person = {
      id: String(from.id ?? ''),
      name: String(from.name ?? ''),
      aadObjectId: from.aadObjectId,
    };
    const userLocale = resolveLocale(context.activity.locale);
    return {
      user,
      conversationId: String(context.activity.conversation?.id ?? ''),
      locale: conversation?.locale ?? userLocale,
      userLocale,
      reply: async (reply) => {
        const response = await context.sendActivity(
          typeof reply === 'string' ? reply : { type: 'message', ...reply },
        );
        return response?.id;
      },
    };
  }

  private async remember(context: TurnContext) {
    const conversationId = context.activity.conversation?.id;
    if (!conversationId) return undefined;
    const known = this.deps.store.getConversation(conversationId);
    const reference = TurnContext.getConversationReference(context.activity) as Record<string, unknown>;
    // The reference names the incoming activity, which differs on every turn; saving it each time
    // rewrote the whole store file per message. Save only when something else changed.
    if (!known || referenceKey(known.reference) !== referenceKey(reference)) {
      await this.deps.store.saveConversation({ conversationId, reference, locale: known?.locale ?? null });
    }
    return this.deps.store.getConversation(conversationId);
  }
}

/** A conversation reference without its per-message activityId, for telling real changes apart. */
function referenceKey(reference: Record<string, unknown>): string {
  const { activityId: _perMessage, ...lasting } = reference;
  return JSON.stringify(lasting);
}
