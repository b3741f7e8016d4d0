import type { TurnContext } from 'botbuilder';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
} from 'botbuilder';
import restify, { type Server } from 'restify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { createTranslator, resolveLocale } from '../i18n/index.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { activityShapeProblem } from './activity-shape.js';
import type { PatchBot } from './patch-bot.js';
import { mountRunnerApi, type RunnerApi } from './runner-api.js';
import type { RunnerBackend } from './runner-backend.js';

export interface BotServer {
  server: Server;
  adapter: CloudAdapter;
  runnerApi: RunnerApi;
  /** Where it listens, once started. */
  url: string;
  close(): Promise<void>;
}

export interface BotServerDeps {
  config: Pick<Config, 'bot' | 'port' | 'host' | 'longPollMs' | 'heartbeatTimeoutMs'>;
  logger: Logger;
  store: Store;
  backend: RunnerBackend;
  /** The bot is created after the adapter (it needs the adapter for proactive sends). */
  createBot(adapter: CloudAdapter): PatchBot;
  onRunnerRefusal?: Parameters<typeof mountRunnerApi>[1]['onRefusal'];
}

const MAX_ACTIVITY_BYTES = 512 * 1024;
/** How long close() lets requests already being handled finish before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

export function createAdapter(config: Pick<Config, 'bot'>, logger: Logger): CloudAdapter {
  // Real JWT validation whenever MicrosoftAppId is set; none only in lab mode (empty id).
  const auth = new ConfigurationBotFrameworkAuthentication(
    config.bot as ConfigurationBotFrameworkAuthenticationOptions,
  );
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const ref = randomUUID().slice(0, 8);
    logger.error(
      { err: error, ref, activityId: context.activity?.id, type: context.activity?.type },
      'turn failed',
    );
    if (context.activity?.type === 'message') {
      await context
        .sendActivity(
          createTranslator(resolveLocale(context.activity.locale)).t('bot.error.generic', { ref }),
        )
        .catch((sendError: unknown) =>
          logger.warn({ err: sendError, ref }, 'could not tell the user about a failed turn'),
        );
    }
  };
  return adapter;
}

/** The restify server: Bot Framework messages, the runner API and health endpoints. */
export async function startBotServer(deps: BotServerDeps): Promise<BotServer> {
  const { config, logger, store } = deps;
  const server = restify.createServer({ name: 'patch-bot', handleUncaughtExceptions: false });
  const adapter = createAdapter(config, logger);
  const bot = deps.createBot(adapter);

  server.post(
    '/api/messages',
    restify.plugins.bodyParser({ maxBodySize: MAX_ACTIVITY_BYTES, mapParams: false }),
    async (req, res) => {
      const problem = activityShapeProblem(req.body);
      if (problem) {
        res.send(400, { error: problem });
        return;
      }
      await adapter.process(req, res, (context) => bot.run(context));
    },
  );
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    return next();
  });
  server.get('/readyz', async (_req, res) => {
    try {
      await store.close();
      res.send(200, { status: 'ready' });
    } catch (error) {
      logger.error({ err: error }, 'store not writable');
      res.send(503, { status: 'store not writable' });
    }
  });
  // While closing, every answer ends its keep-alive connection (see close()).
  let closing = false;
  server.pre((_req, res, next) => {
    if (closing) res.setHeader('Connection', 'close');
    return next();
  });
  const runnerApi = mountRunnerApi(server, {
    backend: deps.backend,
    logger: logger.child({ area: 'runner-api' }),
    longPollMs: config.longPollMs,
    onRefusal: deps.onRunnerRefusal,
  });
  server.on('restifyError', (_req, _res, err, callback) => {
    logger.warn({ err }, 'request error');
    return callback();
  });

  await new Promise<void>((resolve) => server.listen(config.port, config.host, () => resolve()));
  const address = server.address();
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
  return {
    server,
    adapter,
    runnerApi,
    url,
    close: async () => {
      closing = true;
      await runnerApi.shutdown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // server.close() drops only the connections idle at that moment. A runner heartbeating
      // more often than the keep-alive timeout keeps its connection busy, so it would go on
      // talking to this closed server forever (and the close would never end): answers now say
      // "Connection: close", idle connections are dropped as they appear, and whatever is still
      // open after the grace period is cut.
      const http = server.server;
      const sweep = setInterval(() => http.closeIdleConnections(), 50);
      const cut = setTimeout(() => http.closeAllConnections(), CLOSE_GRACE_MS);
      try {
        await closed;
      } finally {
        clearInterval(sweep);
        clearTimeout(cut);
      }
    },
  };
}
