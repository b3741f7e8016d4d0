import type { Activity, TurnContext } from 'botbuilder';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
} from 'botbuilder';
import restify, { type Request, type Response, type Server } from 'restify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { createTranslator, resolveLocale } from '../i18n/index.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { activityShapeProblem } from './activity-shape.js';
import { DEFAULT_BODY_TIMEOUT_MS, readJsonBody } from './body-reader.js';
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
  /** Longest a request body may take to arrive in full (default 10 s). */
  bodyTimeoutMs?: number;
}

const MAX_ACTIVITY_BYTES = 512 * 1024;
/** How long close() lets requests already being handled finish before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

/**
 * CloudAdapter.process() answers an authentication failure with the error's own text (a key
 * fetch that failed names the URL and the DNS error) and parses bodies only through a body
 * parser mounted in front of it. This adapter lets the route authenticate first and then run
 * the turn, so each failure gets a fixed answer and the detail stays in the log.
 */
export class PatchBotAdapter extends CloudAdapter {
  constructor(readonly auth: ConfigurationBotFrameworkAuthentication) {
    super(auth);
  }

  async authenticate(activity: Activity, authHeader: string) {
    return this.auth.authenticateRequest(activity, authHeader);
  }

  runTurn(
    authenticated: Awaited<ReturnType<PatchBotAdapter['authenticate']>>,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ) {
    return this.processActivity(authenticated, activity, logic);
  }
}

/** Fixed answers for the edge's failures: what went wrong in detail is only logged. */
const AUTH_REFUSED = { error: 'unauthorized', message: 'The request is not authenticated.' };
const AUTH_UNAVAILABLE = {
  error: 'auth-unavailable',
  message: 'The bot cannot check credentials right now; retry later.',
};
const TURN_FAILED = { error: 'internal', message: 'The bot could not handle this activity.' };

export function createAdapter(config: Pick<Config, 'bot'>, logger: Logger): PatchBotAdapter {
  // Real JWT validation whenever MicrosoftAppId is set; none only in lab mode (empty id).
  const auth = new ConfigurationBotFrameworkAuthentication(
    config.bot as ConfigurationBotFrameworkAuthenticationOptions,
  );
  const adapter = new PatchBotAdapter(auth);
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

  const bodyLimits = {
    maxBytes: MAX_ACTIVITY_BYTES,
    timeoutMs: deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  };
  // JSON only, read here (never restify's bodyParser: its multipart parser writes uploads to the
  // temp folder before anyone is authenticated).
  server.post('/api/messages', async (req: Request, res: Response) => {
    const body = await readJsonBody(req, bodyLimits);
    if (!body.ok) {
      if (body.refusal) answer(res, body.refusal.status, body.refusal, { Connection: 'close' });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.bytes));
    } catch {
      answer(res, 400, { error: 'malformed-json', message: 'The body is not valid UTF-8 JSON.' });
      return;
    }
    const problem = activityShapeProblem(parsed);
    if (problem) {
      answer(res, 400, { error: problem });
      return;
    }
    const activity = withDates(parsed as Activity);
    const header = req.headers.authorization ?? '';
    let authenticated;
    try {
      authenticated = await adapter.authenticate(activity, header);
    } catch (error) {
      const refused = (error as { statusCode?: unknown }).statusCode === 401;
      logger.warn(
        { err: error, remote: req.socket?.remoteAddress ?? null, activityId: activity.id },
        refused
          ? 'activity refused: not authenticated'
          : 'activity refused: credentials could not be checked',
      );
      if (refused) answer(res, 401, AUTH_REFUSED, { 'WWW-Authenticate': 'Bearer' });
      else answer(res, 503, AUTH_UNAVAILABLE, { 'Retry-After': '5' });
      return;
    }
    try {
      const invoke = await adapter.runTurn(authenticated, activity, (context) => bot.run(context));
      answer(res, invoke?.status ?? 200, invoke?.body as object | undefined);
    } catch (error) {
      logger.error({ err: error, activityId: activity.id }, 'activity failed');
      answer(res, 500, TURN_FAILED);
    }
  });
  // Cheap and side-effect free: anyone may call these, as often as they like.
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    return next();
  });
  server.get('/readyz', (_req, res, next) => {
    const health = store.health();
    if (health.ok) res.send(200, { status: 'ready' });
    else res.send(503, { status: 'store not writable' });
    return next();
  });
  // While closing, every answer ends its keep-alive connection (see close()).
  let closing = false;
  server.pre((_req, res, next) => {
    if (closing) res.setHeader('Connection', 'close');
    return next();
  });
  const runnerApi = mountRunnerApi(server, {
    backend: deps.backend,
    bodyTimeoutMs: deps.bodyTimeoutMs,
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
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
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

function answer(res: Response, status: number, body?: object, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  if (body === undefined) res.send(status);
  else res.send(status, body);
}

/** What botbuilder's own request handling does to an activity's time fields before a turn. */
function withDates(activity: Activity): Activity {
  const raw = activity as unknown as Record<string, unknown>;
  for (const [field, rawField] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    if (typeof raw[field] === 'string') {
      raw[rawField] = raw[field];
      raw[field] = new Date(raw[field]);
    }
  }
  return activity;
}
