import type { Config } from './config.js';
import { Notifier } from './bot/notifier.js';
import { countTurnMessages } from './bot/turn-pacing.js';
import { PatchBot } from './bot/patch-bot.js';
import { Presenter } from './bot/presenter.js';
import { startBotServer, type BotServer } from './bot/server.js';
import { TeamsSender } from './bot/teams-sender.js';
import { createViews } from './cards/views.js';
import { CardActions } from './dialogs/card-actions.js';
import { PackageCardActions } from './dialogs/package-card-actions.js';
import { PackageChanges } from './fleet/package-changes.js';
import { PendingQuestions } from './dialogs/pending.js';
import { CommandRouter } from './dialogs/router.js';
import { createTranslator } from './i18n/index.js';
import type { Logger } from './log.js';
import { RunService } from './runs/service.js';
import { openStore } from './store/open-store.js';
import type { OutboxItem, Store } from './store/store.js';

export interface App {
  config: Config;
  store: Store;
  runs: RunService;
  notifier: Notifier;
  http: BotServer;
  /** Base URL of the bot's HTTP server, e.g. http://127.0.0.1:3978 */
  url: string;
  stop(): Promise<void>;
}

export interface AppOptions {
  now?: () => Date;
  /** How often undecided runs expire, silent runners are noticed and downtime warnings go out. */
  sweepIntervalMs?: number;
  /** Longest a request body may take to arrive in full (default 10 s); tests shorten it. */
  bodyTimeoutMs?: number;
}

/**
 * The composition root: builds every part of the bot from the config and wires them together.
 * Nothing else constructs services; src/main.ts calls this, and so do the end-to-end tests.
 */
export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const now = options.now ?? (() => new Date());
  const storeLogger = logger.child({ area: 'store' });
  const store = await openStore(config, now, {
    warn: (message, details) => storeLogger.warn(details, message),
  });
  // Teams refreshes a card per user only for Teams user ids (29:...); with any other form of id
  // (AAD object id, '*') the buttons stay on the shared card and the bot checks each click.
  const approverIds =
    config.policy.approvers.every((id) => id.startsWith('29:')) && config.policy.approvers.length > 0
      ? config.policy.approvers
      : undefined;
  const views = createViews({ now, approverIds, runnerOfflineAfterMs: config.heartbeatTimeoutMs });
  let notifier: Notifier | undefined;
  const presenter = new Presenter(store, views, { kick: () => notifier?.kick() });
  const runs = new RunService({
    store,
    policy: config.policy,
    now,
    observer: presenter,
    logger: logger.child({ area: 'runs' }),
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
  });
  const packageChanges = new PackageChanges({ store, policy: config.policy, now });
  const router = new CommandRouter({
    runs,
    store,
    views,
    pending: new PendingQuestions(),
    policy: config.policy,
    packageChanges,
  });
  const packageCards = new PackageCardActions(packageChanges, views, store, () => notifier?.kick(), now);
  const cardActions = new CardActions(runs, views, packageCards);

  const rememberCard = async (item: OutboxItem, activityId: string | undefined) => {
    const run = item.onSent && activityId ? store.getRun(item.onSent.rememberAsCardOf) : undefined;
    if (run && !run.cardActivityId && activityId) await runs.attachCard(run, activityId);
  };
  const http = await startBotServer({
    config,
    logger,
    store,
    backend: runs.dispatcher,
    bodyTimeoutMs: options.bodyTimeoutMs,
    createBot: (adapter) => {
      notifier = new Notifier({
        store,
        sender: new TeamsSender(adapter, config.bot.MicrosoftAppId, store),
        logger: logger.child({ area: 'notifier' }),
        onSent: rememberCard,
        resendNote: (item) => {
          const run = item.runId === null ? undefined : store.getRun(item.runId);
          const locale = store.getConversation(item.conversationId)?.locale ?? run?.locale ?? 'en-US';
          return createTranslator(locale).t('bot.resent-after-restart');
        },
      });
      adapter.use(countTurnMessages((conversationId) => notifier?.noteSentInTurn(conversationId)));
      return new PatchBot({ router, cardActions, store, logger });
    },
    onRunnerRefusal: (event) => {
      void store
        .appendAudit({
          at: now().toISOString(),
          action: 'refuse',
          actor: { runnerId: event.runnerId ?? '(unknown)' },
          ...(event.runId === undefined ? {} : { runId: event.runId }),
          detail: { why: event.reason, path: event.path, remote: event.remote },
        })
        .catch((error: unknown) => logger.error({ err: error }, 'audit write failed'));
    },
  });
  const delivery = notifier!;
  delivery.kick();
  const sweeper = setInterval(() => {
    runs.sweep().catch((error: unknown) => logger.error({ err: error }, 'sweep failed'));
    packageChanges
      .expireOld()
      .then((expired) => Promise.all(expired.map((change) => packageCards.updateCard(change))))
      .catch((error: unknown) => logger.error({ err: error }, 'package sweep failed'));
  }, options.sweepIntervalMs ?? 5_000);
  sweeper.unref();

  return {
    config,
    store,
    runs,
    notifier: delivery,
    http,
    url: http.url,
    stop: async () => {
      clearInterval(sweeper);
      await http.close();
      await delivery.stop();
      await store.close();
    },
  };
}
