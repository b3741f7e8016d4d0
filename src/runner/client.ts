import type { Logger } from '../log.js';
import type { Result } from '../procedure/index.js';
import type { Heartbeat, HeartbeatAnswer, Job, StepResult } from '../protocol/messages.js';
import { signRequest } from '../protocol/signing.js';
import {
  MAX_RESULTS_PER_REQUEST,
  RUNNER_API_PATHS,
  validateHeartbeatAnswer,
  validatePollAnswer,
  validateResultsAnswer,
  type ResultAck,
} from '../protocol/validate-messages.js';

/**
 * The runner's side of the transport: signed calls to the bot's runner API over Node's global
 * fetch. Transport only: what a job means and what to resend lives in the executor and journal.
 * Each attempt is signed afresh (new timestamp and nonce), because the bot refuses a replayed nonce.
 */

export type RunnerApiErrorKind =
  /** 401: unknown runner, wrong secret, clock off by more than 5 minutes, replay. Fix config, do not retry. */
  | 'unauthorized'
  /** 400: the bot refused the body. */
  | 'bad-request'
  /** 403: a run or server that is not this runner's. */
  | 'forbidden'
  | 'too-large'
  /** The bot answered something this client cannot read. */
  | 'bad-answer'
  /** Network errors or 5xx/429 on every attempt. */
  | 'unavailable'
  | 'unexpected-status'
  /** The caller's signal aborted. */
  | 'aborted';

export class RunnerApiError extends Error {
  override readonly name = 'RunnerApiError';
  constructor(
    readonly kind: RunnerApiErrorKind,
    message: string,
    /** HTTP status, or null when no answer arrived. */
    readonly status: number | null = null,
    /** The bot's error code (e.g. 'stale-timestamp', 'not-own-run'), when it sent one. */
    readonly code: string | null = null,
    /** For sendResults: acks of the results the bot recorded before the failure. */
    readonly acks: ResultAck[] = [],
  ) {
    super(message);
  }
}

export interface RetryPolicy {
  /** Total tries per call, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Cap on a Retry-After the bot asks for, so a bad header cannot park the runner for hours. */
  maxRetryAfterMs: number;
  /**
   * Cap on the wait when no bot answered: no connection (refused, reset, timed out) or a proxy's
   * 502/503. A hand-over to a standby instance takes seconds, and a runner must not sleep through
   * the new leader's first seconds in a long backoff. Other failures keep maxDelayMs.
   */
  unavailableMaxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  unavailableMaxDelayMs: 3_000,
};

export interface BotClientOptions {
  /** e.g. https://patchbot.contoso.com; plain http only to a loopback address (lab mode) unless allowed. */
  baseUrl: string;
  runnerId: string;
  /** Used only to sign; never logged, never part of an error. */
  secret: string;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /** Wait the runner asks the bot for on each poll (default 25 s); the bot caps it at its own limit. */
  pollWaitMs?: number;
  /** Per-attempt timeout for results and heartbeats; polls get their wait plus this. */
  requestTimeoutMs?: number;
  /** Results are sent in batches that stay under the bot's body cap. */
  maxBodyBytes?: number;
  allowInsecureHttp?: boolean;
  /** Jitter source, replaceable in tests. */
  random?: () => number;
}

const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** A proxy or load balancer with no bot behind it, or a standby instance. */
const BOT_UNAVAILABLE_STATUSES = new Set([502, 503]);

/** No bot answered: the call never got an answer, or a proxy (or a standby) said there is none. */
export function botUnavailable(status: number | null): boolean {
  return status === null || BOT_UNAVAILABLE_STATUSES.has(status);
}
const DEFAULT_POLL_WAIT_MS = 25_000;

interface Answer {
  status: number;
  body: unknown;
}

export class BotClient {
  readonly #options: BotClientOptions;
  readonly #retry: RetryPolicy;
  readonly #base: URL;
  readonly #log: Logger;

  constructor(options: BotClientOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#base = new URL(options.baseUrl);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(this.#base.hostname);
    if (
      this.#base.protocol !== 'https:' &&
      !(this.#base.protocol === 'http:' && (loopback || options.allowInsecureHttp))
    ) {
      throw new Error(`The bot URL must use https:// (got ${this.#base.protocol}//${this.#base.host}).`);
    }
    this.#log = options.logger.child({ component: 'bot-client', runnerId: options.runnerId });
  }

  /** The next job, or null when there is none yet or `signal` aborted. */
  async pollJob(signal?: AbortSignal): Promise<Job | null> {
    // Always named, so the bot never holds a poll longer than this client's own timeout allows.
    const waitMs = this.#options.pollWaitMs ?? DEFAULT_POLL_WAIT_MS;
    try {
      const answer = await this.#call(RUNNER_API_PATHS.poll, { waitMs }, waitMs + this.#timeoutMs(), signal);
      if (answer.status === 204) return null;
      return this.#expect(answer, validatePollAnswer).job;
    } catch (error) {
      if (error instanceof RunnerApiError && error.kind === 'aborted') return null;
      throw error;
    }
  }

  /** Sends results in order (batched to fit the body cap); resolves with one ack per result. */
  async sendResults(results: readonly StepResult[], signal?: AbortSignal): Promise<ResultAck[]> {
    const acks: ResultAck[] = [];
    for (const batch of this.#batches(results)) {
      try {
        const answer = await this.#call(
          RUNNER_API_PATHS.results,
          { results: batch },
          this.#timeoutMs(),
          signal,
        );
        acks.push(...this.#expect(answer, validateResultsAnswer).acks);
      } catch (error) {
        if (error instanceof RunnerApiError) {
          throw new RunnerApiError(error.kind, error.message, error.status, error.code, [
            ...acks,
            ...error.acks,
          ]);
        }
        throw error;
      }
    }
    return acks;
  }

  async heartbeat(beat: Heartbeat, signal?: AbortSignal): Promise<HeartbeatAnswer> {
    const answer = await this.#call(RUNNER_API_PATHS.heartbeat, beat, this.#timeoutMs(), signal);
    return this.#expect(answer, validateHeartbeatAnswer);
  }

  #timeoutMs(): number {
    return this.#options.requestTimeoutMs ?? 30_000;
  }

  #expect<T>(answer: Answer, validate: (value: unknown) => Result<T>): T {
    if (answer.status !== 200) {
      throw new RunnerApiError('unexpected-status', `The bot answered ${answer.status}.`, answer.status);
    }
    const checked = validate(answer.body);
    if (!checked.ok)
      throw new RunnerApiError('bad-answer', `The bot's answer is invalid: ${checked.error.message}`, 200);
    return checked.value;
  }

  #batches(results: readonly StepResult[]): StepResult[][] {
    const limit = (this.#options.maxBodyBytes ?? 256 * 1024) - 1024;
    const batches: StepResult[][] = [];
    let current: StepResult[] = [];
    let size = 0;
    for (const result of results) {
      const bytes = Buffer.byteLength(JSON.stringify(result)) + 1;
      if (current.length > 0 && (size + bytes > limit || current.length >= MAX_RESULTS_PER_REQUEST)) {
        batches.push(current);
        current = [];
        size = 0;
      }
      current.push(result);
      size += bytes;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  /** One signed POST with retries; resolves with any 2xx answer, throws RunnerApiError otherwise. */
  async #call(path: string, payload: unknown, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    const body = JSON.stringify(payload);
    const url = new URL(path, this.#base);
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new RunnerApiError('aborted', 'The request was cancelled.');
      let retryReason: string;
      let retryAfterMs: number | null = null;
      let status: number | null = null;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...signRequest({
              runnerId: this.#options.runnerId,
              secret: this.#options.secret,
              method: 'POST',
              path: url.pathname + url.search,
              body,
            }),
          },
          body,
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
            : AbortSignal.timeout(timeoutMs),
        });
        const answer: Answer = { status: response.status, body: await readJson(response) };
        if (response.ok) return answer;
        if (!RETRIED_STATUSES.has(response.status)) throw refusal(answer);
        retryReason = `status ${response.status}`;
        status = response.status;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        if (attempt >= this.#retry.maxAttempts)
          throw unavailable(path, attempt, retryReason, response.status);
      } catch (error) {
        if (error instanceof RunnerApiError) throw error;
        if (signal?.aborted) throw new RunnerApiError('aborted', 'The request was cancelled.');
        // fetch failed (DNS, refused, reset, TLS) or our own per-attempt timeout fired.
        retryReason = error instanceof Error ? error.message : 'network error';
        if (attempt >= this.#retry.maxAttempts) throw unavailable(path, attempt, retryReason, null);
      }
      const delayMs = this.#delay(attempt, retryAfterMs, botUnavailable(status));
      this.#log.warn({ path, attempt, reason: retryReason, delayMs }, 'runner API call failed; retrying');
      await sleep(delayMs, signal);
    }
  }

  /**
   * Exponential backoff with "equal jitter" (half fixed, half random), capped lower when no bot
   * answered; a Retry-After wins when given.
   */
  #delay(attempt: number, retryAfterMs: number | null, noBot: boolean): number {
    if (retryAfterMs !== null) return Math.min(retryAfterMs, this.#retry.maxRetryAfterMs);
    const cap = noBot
      ? Math.min(this.#retry.maxDelayMs, this.#retry.unavailableMaxDelayMs)
      : this.#retry.maxDelayMs;
    const ceiling = Math.min(cap, this.#retry.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(ceiling / 2 + (this.#options.random ?? Math.random)() * (ceiling / 2));
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function refusal(answer: Answer): RunnerApiError {
  const { status } = answer;
  const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<
    string,
    unknown
  >;
  const code = typeof body.error === 'string' ? body.error.slice(0, 64) : null;
  const said = typeof body.message === 'string' ? `: ${body.message.slice(0, 300)}` : '';
  const acks = validateResultsAnswer({ acks: body.acks });
  const kind: RunnerApiErrorKind =
    status === 401
      ? 'unauthorized'
      : status === 400
        ? 'bad-request'
        : status === 403
          ? 'forbidden'
          : status === 413
            ? 'too-large'
            : 'unexpected-status';
  return new RunnerApiError(
    kind,
    `The bot refused the request (${status})${said}`,
    status,
    code,
    acks.ok ? acks.value.acks : [],
  );
}

function unavailable(path: string, attempts: number, reason: string, status: number | null): RunnerApiError {
  return new RunnerApiError('unavailable', `${path} failed ${attempts} times; last: ${reason}.`, status);
}

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
function parseRetryAfter(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d{1,9}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
