import type { Request, Response, Server } from 'restify';
import type { Logger } from '../log.js';
import { preview, validateHostName } from '../procedure/index.js';
import {
  DEFAULT_CLOCK_SKEW_MS,
  REFUSAL_MESSAGES,
  ReplayCache,
  RequestVerifier,
  type RefusalReason,
} from '../protocol/signing.js';
import {
  RUNNER_API_PATHS,
  validateHeartbeat,
  validatePollRequest,
  validateResultsRequest,
  type ApiErrorBody,
  type ResultAck,
} from '../protocol/validate-messages.js';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  isJsonContentType,
  readJsonBody,
  tooLarge,
  UNSUPPORTED_MEDIA_TYPE,
  type BodyRefusal,
} from './body-reader.js';
import type { RefusalEvent, RefusalEventReason, RegisteredRunner, RunnerBackend } from './runner-backend.js';

export type { RefusalEvent, RefusalEventReason } from './runner-backend.js';

export const DEFAULT_LONG_POLL_MS = 25_000;
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface RunnerApiOptions {
  backend: RunnerBackend;
  logger: Logger;
  onRefusal?: (event: RefusalEvent) => void;
  /** Longest a poll waits for a job before answering 204 (default 25 s, below common proxy idle timeouts). */
  longPollMs?: number;
  maxBodyBytes?: number;
  /** Longest a body may take to arrive in full (default 10 s). */
  bodyTimeoutMs?: number;
  clockSkewMs?: number;
  /** Retry-After sent with the 503 that ends long-polls on shutdown. */
  shutdownRetryAfterSeconds?: number;
  replayCacheEntries?: number;
  now?: () => number;
}

export interface RunnerApi {
  /**
   * Ends every waiting long-poll with 503 + Retry-After and refuses new polls; resolves once those
   * answers are written. Await it before server.close(), which otherwise waits out each long-poll.
   */
  shutdown(): Promise<void>;
  readonly waitingPolls: number;
}

interface Admitted {
  runnerId: string;
  runner: RegisteredRunner;
  body: unknown;
  req: Request;
  res: Response;
}

type AbortReason = 'timeout' | 'runner-gone' | 'superseded' | 'shutdown';

/**
 * Mounts POST /api/runner/{poll,results,heartbeat}. These routes read the raw body themselves so the
 * HMAC covers the exact bytes: mount restify's bodyParser per route for /api/messages rather than with
 * server.use(). (If a global body parser already consumed the body, its raw copy is used instead.)
 */
export function mountRunnerApi(server: Server, options: RunnerApiOptions): RunnerApi {
  const { backend, logger } = options;
  const longPollMs = options.longPollMs ?? DEFAULT_LONG_POLL_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyLimits = { maxBytes: maxBodyBytes, timeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS };
  const clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const retryAfter = String(options.shutdownRetryAfterSeconds ?? 5);
  const verifier = new RequestVerifier<RegisteredRunner>({
    findRunner: (id) => backend.findRunner(id),
    clockSkewMs,
    replayCache: new ReplayCache({ clockSkewMs, maxEntries: options.replayCacheEntries, now: options.now }),
    now: options.now,
  });
  /** One waiting poll per runner: a newer poll replaces an older one, which may sit on a dead connection. */
  const polls = new Map<string, AbortController>();
  const pollsInFlight = new Set<Promise<void>>();
  let shuttingDown = false;
  let warnedAboutBodyParser = false;

  function refuse(
    req: Request,
    res: Response,
    reason: RefusalEventReason,
    runnerId: string | null,
    extra = {},
    runId?: number,
  ) {
    const event: RefusalEvent = {
      runnerId,
      reason,
      path: preview(req.url ?? '', 200),
      ...(runId === undefined ? {} : { runId }),
      remote: remoteOf(req),
    };
    logger.warn(event, 'runner request refused');
    options.onRefusal?.(event);
    const { status, headers } = REFUSAL_STATUS[reason] ?? { status: 401, headers: UNAUTHORIZED_HEADERS };
    const message =
      reason in FORBIDDEN_MESSAGES ? FORBIDDEN_MESSAGES[reason] : REFUSAL_MESSAGES[reason as RefusalReason];
    reply(res, status, { error: reason, message, ...(status === 403 ? extra : {}) }, headers);
  }

  async function admit(req: Request, res: Response): Promise<Admitted | null> {
    // Type and size are checked before the signature: an unauthenticated caller can make the bot
    // read at most the cap, for at most the read timeout, and never in any other format than JSON.
    const raw = await readBody(req, bodyLimits, () => {
      if (!warnedAboutBodyParser)
        logger.warn('a body parser read the runner API body first; mount it per route');
      warnedAboutBodyParser = true;
    });
    if (raw === 'runner-gone') return null;
    if (!Buffer.isBuffer(raw)) {
      reply(res, raw.status, { error: raw.error, message: raw.message }, { Connection: 'close' });
      return null;
    }
    const { method = '', url: path = '', headers } = req;
    const verdict = await verifier.verify({ method, path, headers, body: raw });
    if (!verdict.ok) {
      refuse(req, res, verdict.reason, verdict.runnerId);
      return null;
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      reply(res, 400, { error: 'malformed-json', message: 'The body is not valid UTF-8 JSON.' });
      return null;
    }
    return { runnerId: verdict.runnerId, runner: verdict.runner, body, req, res };
  }

  function route(name: string, work: (admitted: Admitted) => Promise<void>) {
    return async (req: Request, res: Response): Promise<void> => {
      try {
        const admitted = await admit(req, res);
        if (admitted) await work(admitted);
      } catch (error) {
        logger.error({ err: error, route: name }, 'runner API request failed');
        reply(res, 500, {
          error: 'internal',
          message: 'The bot could not handle this request; retry later.',
        });
      }
    };
  }

  const badRequest = (res: Response, message: string) => reply(res, 400, { error: 'invalid-body', message });
  const shuttingDownBody = { error: 'shutting-down', message: 'The bot is shutting down.' };
  const unavailable = (res: Response) => reply(res, 503, shuttingDownBody, { 'Retry-After': retryAfter });

  const handlePoll = route('poll', async ({ runnerId, runner, body, res }) => {
    const request = validatePollRequest(body);
    if (!request.ok) return badRequest(res, request.error.message);
    if (shuttingDown) return unavailable(res);

    const controller = new AbortController();
    const abort = (reason: AbortReason) => controller.abort(reason);
    polls.get(runnerId)?.abort('superseded' satisfies AbortReason);
    polls.set(runnerId, controller);
    const timer = setTimeout(abort, Math.min(request.value.waitMs ?? longPollMs, longPollMs), 'timeout');
    const onClose = () => {
      if (!res.writableFinished) abort('runner-gone');
    };
    res.once('close', onClose);
    let job;
    try {
      job = await backend.waitForJob(runnerId, controller.signal);
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
      if (polls.get(runnerId) === controller) polls.delete(runnerId);
    }
    if (job === null) {
      return controller.signal.reason === 'shutdown' ? unavailable(res) : reply(res, 204);
    }
    if (!sameServer(job.server, runner.server)) {
      // A backend bug, never a runner's fault: refuse to hand one server's job to another server's runner.
      logger.error({ runnerId, runId: job.runId }, 'backend offered a job for another server; not delivered');
      return reply(res, 500, { error: 'internal', message: 'The bot could not hand out the job.' });
    }
    if (res.writableEnded || res.destroyed) {
      return logger.warn(
        { runnerId, runId: job.runId },
        'runner left before its job was delivered; offered again',
      );
    }
    reply(res, 200, { job });
  });
  server.post(RUNNER_API_PATHS.poll, async (req: Request, res: Response): Promise<void> => {
    const handled = handlePoll(req, res);
    pollsInFlight.add(handled);
    await handled;
    pollsInFlight.delete(handled);
  });

  server.post(
    RUNNER_API_PATHS.results,
    route('results', async ({ runnerId, body, req, res }) => {
      const request = validateResultsRequest(body);
      if (!request.ok) return badRequest(res, request.error.message);
      const acks: ResultAck[] = [];
      // In order, one at a time: the backend sees results in the order the steps ran.
      for (const result of request.value.results) {
        const outcome = await backend.acceptResult(runnerId, result);
        if (outcome === 'forbidden') return refuse(req, res, 'not-own-run', runnerId, { acks });
        if (outcome === 'not-dispatched')
          return refuse(req, res, 'not-dispatched', runnerId, { acks }, result.runId);
        acks.push({
          ...(result.key === undefined ? {} : { key: result.key }),
          runId: result.runId,
          stepId: result.stepId,
          attempt: result.attempt,
          outcome,
        });
      }
      reply(res, 200, { acks });
    }),
  );

  server.post(
    RUNNER_API_PATHS.heartbeat,
    route('heartbeat', async ({ runnerId, runner, body, req, res }) => {
      const beat = validateHeartbeat(body);
      if (!beat.ok) return badRequest(res, beat.error.message);
      if (beat.value.info.runnerId !== runnerId) return refuse(req, res, 'not-own-runner-id', runnerId);
      if (!sameServer(beat.value.info.profile.server, runner.server))
        return refuse(req, res, 'not-own-server', runnerId);
      const answer = await backend.heartbeat(runnerId, beat.value);
      if (answer === 'forbidden') return refuse(req, res, 'not-own-run', runnerId);
      if (answer === 'not-dispatched')
        return refuse(req, res, 'not-dispatched', runnerId, {}, beat.value.runId ?? undefined);
      reply(res, 200, answer);
    }),
  );

  return {
    async shutdown() {
      shuttingDown = true;
      for (const controller of polls.values()) controller.abort('shutdown' satisfies AbortReason);
      // Bounded: a poll still trickling its body in must not hold the shutdown hostage.
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000).unref()));
      await Promise.race([Promise.allSettled(pollsInFlight), grace]);
      clearTimeout(timer);
    },
    get waitingPolls() {
      return polls.size;
    },
  };
}

const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'PatchBot-HMAC-SHA256' };
/** Refusals that are not a plain 401. */
const REFUSAL_STATUS: Partial<
  Record<RefusalEventReason, { status: number; headers?: Record<string, string> }>
> = {
  'replay-cache-full': { status: 503, headers: { 'Retry-After': '1' } },
  'not-own-run': { status: 403 },
  'not-dispatched': { status: 403 },
  'not-own-server': { status: 403 },
  'not-own-runner-id': { status: 403 },
};
const FORBIDDEN_MESSAGES: Partial<Record<RefusalEventReason, string>> = {
  'not-own-run': 'This run does not belong to this runner.',
  'not-dispatched':
    'This run was never handed out to a runner (it is not confirmed, approved and queued); nothing changed.',
  'not-own-server': "The heartbeat names a server other than this runner's own.",
  'not-own-runner-id': "The heartbeat names a runner id other than the signing runner's.",
};

function reply(
  res: Response,
  status: number,
  body?: ApiErrorBody | object,
  headers: Record<string, string> = {},
) {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  if (body === undefined) res.send(status);
  else res.send(status, body);
}

function remoteOf(req: Request): string | null {
  // The socket's address, never X-Forwarded-For: anyone can write that header.
  return req.socket?.remoteAddress ?? null;
}

function sameServer(a: string, b: string): boolean {
  const normal = (name: string) => {
    const checked = validateHostName(name);
    return checked.ok ? checked.value : name.toLowerCase();
  };
  return normal(a) === normal(b);
}

/** The exact body bytes, a refusal (not JSON, past the cap, too slow), or 'runner-gone' if the connection dropped mid-body. */
async function readBody(
  req: Request,
  limits: { maxBytes: number; timeoutMs: number },
  onPreParsed: () => void,
): Promise<Buffer | BodyRefusal | 'runner-gone'> {
  const restifyReq = req as Request & { _readBody?: boolean; rawBody?: unknown };
  if (restifyReq._readBody === true || req.readableEnded) {
    onPreParsed();
    if (!isJsonContentType(req.headers['content-type'])) return UNSUPPORTED_MEDIA_TYPE;
    const raw = restifyReq.rawBody ?? req.body;
    const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : '', 'utf8');
    return bytes.length > limits.maxBytes ? tooLarge(limits.maxBytes) : bytes;
  }
  const body = await readJsonBody(req, limits);
  if (body.ok) return body.bytes;
  return body.refusal ?? 'runner-gone';
}
