/**
 * A tiny botbuilder bot for testing the test infrastructure itself (capture connector, Teams
 * client): CloudAdapter in lab mode (empty MicrosoftAppId, no JWT) on restify, like
 * src/bot/server.ts, with an echo, a card, an Action.Execute answer, and proactive send/update
 * through continueConversationAsync with the stored conversation reference, like
 * src/bot/teams-sender.ts. It is not the patch bot.
 */
import {
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type ConversationReference,
} from 'botbuilder';
import restify from 'restify';

export const SAMPLE_VERB = 'sample.approve';

export function sampleCard(title: string): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [{ type: 'TextBlock', text: title, wrap: true }],
    actions: [{ type: 'Action.Execute', title: 'Approve', verb: SAMPLE_VERB, data: { title } }],
  };
}

class SampleBot extends TeamsActivityHandler {
  readonly references = new Map<string, Partial<ConversationReference>>();
  readonly turnErrors: unknown[] = [];

  constructor() {
    super();
    this.onMessage(async (context, next) => {
      this.remember(context);
      const text = TurnContext.removeRecipientMention(context.activity)?.trim() ?? '';
      if (text === 'card') {
        await context.sendActivity({
          attachments: [CardFactory.adaptiveCard(sampleCard('Plan for backend01'))],
        });
      } else {
        await context.sendActivity(`echo: ${text}`);
      }
      await next();
    });
    this.onConversationUpdate(async (context, next) => {
      this.remember(context);
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const who = context.activity.from.name ?? context.activity.from.id;
    const title = String((invokeValue.action.data as { title?: unknown }).title ?? '');
    return {
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
      value: { ...sampleCard(`${title}: ${invokeValue.action.verb} by ${who}`), actions: [] },
    };
  }

  private remember(context: TurnContext): void {
    const reference = TurnContext.getConversationReference(context.activity);
    if (reference.conversation?.id) this.references.set(reference.conversation.id, reference);
  }
}

export interface RunningSampleBot {
  /** `http://127.0.0.1:<port>/api/messages` */
  readonly endpoint: string;
  readonly references: ReadonlyMap<string, Partial<ConversationReference>>;
  /** Errors botbuilder reported through onTurnError. */
  readonly turnErrors: readonly unknown[];
  /** Proactive send, as the notifier's TeamsSender does it; returns the id Teams assigned. */
  send(conversationId: string, activity: Record<string, unknown>): Promise<string | undefined>;
  /** Proactive update of a message, as the notifier's TeamsSender does it. */
  update(conversationId: string, activityId: string, activity: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface SampleBotOptions {
  /**
   * How proactive calls report failures. 'rethrow' (default) catches the error inside the
   * continueConversationAsync callback and throws it to the caller. 'adapter' calls botbuilder
   * exactly like src/bot/teams-sender.ts: because the adapter has an onTurnError handler,
   * botbuilder hands the error to that handler and continueConversationAsync resolves normally.
   */
  proactiveErrors?: 'rethrow' | 'adapter';
}

/** Runs `logic` in a proactive turn; with 'rethrow', errors reach the caller instead of onTurnError. */
async function proactiveTurn(
  adapter: CloudAdapter,
  reference: Partial<ConversationReference>,
  mode: 'rethrow' | 'adapter',
  logic: (context: TurnContext) => Promise<void>,
): Promise<void> {
  if (mode === 'adapter') {
    await adapter.continueConversationAsync('', reference, logic);
    return;
  }
  let failure: { error: unknown } | undefined;
  await adapter.continueConversationAsync('', reference, async (context) => {
    try {
      await logic(context);
    } catch (error) {
      failure = { error };
    }
  });
  if (failure) throw failure.error;
}

export async function startSampleBot(options: SampleBotOptions = {}): Promise<RunningSampleBot> {
  const mode = options.proactiveErrors ?? 'rethrow';
  const auth = new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' });
  const adapter = new CloudAdapter(auth);
  const bot = new SampleBot();
  adapter.onTurnError = async (_context, error) => {
    bot.turnErrors.push(error);
  };
  const server = restify.createServer({ name: 'sample-bot', handleUncaughtExceptions: false });
  server.post('/api/messages', restify.plugins.bodyParser({ mapParams: false }), async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

  const reference = (conversationId: string): Partial<ConversationReference> => {
    const known = bot.references.get(conversationId);
    if (!known) throw new Error(`sample bot has no reference for ${conversationId}`);
    return known;
  };
  return {
    endpoint: `http://127.0.0.1:${server.address().port}/api/messages`,
    references: bot.references,
    turnErrors: bot.turnErrors,
    async send(conversationId, activity) {
      let id: string | undefined;
      await proactiveTurn(adapter, reference(conversationId), mode, async (context) => {
        id = (await context.sendActivity({ type: 'message', ...activity }))?.id;
      });
      return id;
    },
    async update(conversationId, activityId, activity) {
      const known = reference(conversationId);
      await proactiveTurn(adapter, known, mode, async (context) => {
        await context.updateActivity({
          type: 'message',
          ...activity,
          id: activityId,
          conversation: known.conversation,
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
