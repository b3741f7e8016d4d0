import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Request signing shared by the bot and the runners. Each runner has its own secret; every request
 * carries an HMAC-SHA256 over the method, path, runner id, timestamp, a random nonce and the SHA-256
 * of the exact body bytes. The bot refuses stale timestamps and nonces it has already seen.
 * Nothing in this module ever puts a secret or a signature into an error message.
 */

export const SIGNATURE_HEADERS = {
  runner: 'x-patchbot-runner',
  timestamp: 'x-patchbot-timestamp',
  nonce: 'x-patchbot-nonce',
  signature: 'x-patchbot-signature',
} as const;

/** First line of the string to sign, so a signature can never be reused under a future scheme. */
export const SIGNATURE_SCHEME = 'PATCHBOT-HMAC-SHA256-V1';

/** How far a request's timestamp may be from the bot's clock, either way. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

export const RUNNER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const METHOD_PATTERN = /^[A-Z]{1,16}$/;

export interface SigningInput {
  runnerId: string;
  secret: string;
  method: string;
  /** Path and query exactly as sent on the request line, e.g. /api/runner/poll. */
  path: string;
  body: Uint8Array | string;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Defaults to 16 random bytes, base64url. */
  nonce?: string;
}

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * One field per line. Every field is format-checked before it gets here and none may contain a
 * line break (an HTTP request line cannot either), so two different requests never share a string.
 */
export function stringToSign(fields: {
  method: string;
  path: string;
  runnerId: string;
  timestamp: string;
  nonce: string;
  bodySha256: string;
}): string {
  return [
    SIGNATURE_SCHEME,
    fields.method.toUpperCase(),
    fields.path,
    fields.runnerId,
    fields.timestamp,
    fields.nonce,
    fields.bodySha256,
  ].join('\n');
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** The four headers a runner adds to a request. A fresh nonce each call, so each retry is re-signed. */
export function signRequest(input: SigningInput): Record<string, string> {
  if (input.secret.length === 0) throw new Error('The runner secret is empty; refusing to sign.');
  if (!RUNNER_ID_PATTERN.test(input.runnerId)) {
    throw new Error('The runner id must be 1-64 letters, digits, dots, dashes or underscores.');
  }
  const timestamp = String(Math.trunc(input.timestamp ?? Date.now()));
  const nonce = input.nonce ?? newNonce();
  const text = stringToSign({
    method: input.method,
    path: input.path,
    runnerId: input.runnerId,
    timestamp,
    nonce,
    bodySha256: sha256Hex(input.body),
  });
  return {
    [SIGNATURE_HEADERS.runner]: input.runnerId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: hmacHex(input.secret, text),
  };
}

export type RefusalReason =
  | 'missing-headers'
  | 'malformed-headers'
  | 'unknown-runner'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'replayed-nonce'
  /** The replay cache is at its limit; refusing is the only way to stay both safe and bounded. */
  | 'replay-cache-full';

export const REFUSAL_MESSAGES: Readonly<Record<RefusalReason, string>> = {
  'missing-headers': `The request is not signed: it needs the ${Object.values(SIGNATURE_HEADERS).join(', ')} headers.`,
  'malformed-headers':
    'The signature headers are malformed (runner id, timestamp, nonce or signature format).',
  'unknown-runner': 'No runner is registered under this id.',
  'stale-timestamp':
    "The request timestamp is too far from the bot's clock (more than 5 minutes by default); check the runner's clock (NTP).",
  'bad-signature': 'The signature does not match the request (wrong secret, or the request was altered).',
  'replayed-nonce':
    'This request was already received once (its nonce was seen before); it is refused as a replay.',
  'replay-cache-full':
    'The bot is receiving more signed requests than it can track right now; try again shortly.',
};

/**
 * Nonces seen recently, per runner. A nonce must be remembered for as long as a request carrying it
 * could still pass the timestamp check: its timestamp may be up to one skew ahead of arrival, and is
 * accepted until one skew after that, so two skews after arrival. Because every entry lives exactly
 * that long from insertion, the Map's insertion order is also its expiry order and expired entries
 * are dropped from the front: memory tracks the request rate, never the uptime.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #retainMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { clockSkewMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.#retainMs = 2 * (options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS);
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Records the nonce; 'replay' if it was already there, 'full' if there is no room left. */
  remember(runnerId: string, nonce: string): 'fresh' | 'replay' | 'full' {
    const now = this.#now();
    this.#forgetExpired(now);
    const key = `${runnerId}\n${nonce}`;
    if (this.#seen.has(key)) return 'replay';
    if (this.#seen.size >= this.#maxEntries) return 'full';
    this.#seen.set(key, now + this.#retainMs);
    return 'fresh';
  }

  #forgetExpired(now: number): void {
    for (const [key, forgetAt] of this.#seen) {
      // Kept through forgetAt itself: the timestamp check is inclusive at the edge too.
      if (forgetAt >= now) break;
      this.#seen.delete(key);
    }
  }
}

export interface RequestToVerify {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export type VerifyOutcome<R> =
  | { ok: true; runnerId: string; runner: R }
  /** runnerId is the header value only when it is well-formed, so it is safe to log. */
  | { ok: false; reason: RefusalReason; runnerId: string | null };

export interface VerifierOptions<R extends { secret: string }> {
  findRunner: (runnerId: string) => Promise<R | null>;
  clockSkewMs?: number;
  replayCache?: ReplayCache;
  now?: () => number;
}

/** Checks, in order: headers present and well-formed, timestamp fresh, runner known, signature, nonce unseen. */
export class RequestVerifier<R extends { secret: string }> {
  readonly #findRunner: (runnerId: string) => Promise<R | null>;
  readonly #clockSkewMs: number;
  readonly #replays: ReplayCache;
  readonly #now: () => number;

  constructor(options: VerifierOptions<R>) {
    this.#findRunner = options.findRunner;
    this.#clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    this.#now = options.now ?? Date.now;
    this.#replays =
      options.replayCache ?? new ReplayCache({ clockSkewMs: this.#clockSkewMs, now: this.#now });
  }

  async verify(request: RequestToVerify): Promise<VerifyOutcome<R>> {
    const fields = readSignatureHeaders(request.headers);
    if (fields === 'missing' || fields === 'malformed') {
      const runnerId = single(request.headers[SIGNATURE_HEADERS.runner]);
      const safeId = runnerId !== null && RUNNER_ID_PATTERN.test(runnerId) ? runnerId : null;
      return {
        ok: false,
        reason: fields === 'missing' ? 'missing-headers' : 'malformed-headers',
        runnerId: safeId,
      };
    }
    const { runnerId } = fields;
    const refuse = (reason: RefusalReason): VerifyOutcome<R> => ({ ok: false, reason, runnerId });
    if (!METHOD_PATTERN.test(request.method)) return refuse('malformed-headers');
    if (Math.abs(this.#now() - Number(fields.timestamp)) > this.#clockSkewMs)
      return refuse('stale-timestamp');

    const runner = await this.#findRunner(runnerId);
    if (runner === null || runner.secret.length === 0) return refuse('unknown-runner');

    const expected = hmacHex(
      runner.secret,
      stringToSign({
        method: request.method,
        path: request.path,
        runnerId,
        timestamp: fields.timestamp,
        nonce: fields.nonce,
        bodySha256: sha256Hex(request.body),
      }),
    );
    // Both are 64 hex digits (checked above), so the buffers have equal length as timingSafeEqual needs.
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(fields.signature, 'hex'))) {
      return refuse('bad-signature');
    }
    // Only authentic requests reach the cache, so nobody without a secret can fill it.
    const seen = this.#replays.remember(runnerId, fields.nonce);
    if (seen === 'replay') return refuse('replayed-nonce');
    if (seen === 'full') return refuse('replay-cache-full');
    return { ok: true, runnerId, runner };
  }
}

function single(value: string | string[] | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function readSignatureHeaders(
  headers: Record<string, string | string[] | undefined>,
): { runnerId: string; timestamp: string; nonce: string; signature: string } | 'missing' | 'malformed' {
  const raw = Object.values(SIGNATURE_HEADERS).map((name) => headers[name]);
  if (raw.some((value) => value === undefined)) return 'missing';
  const [runnerId, timestamp, nonce, signature] = raw.map(single);
  if (
    runnerId == null ||
    timestamp == null ||
    nonce == null ||
    signature == null ||
    !RUNNER_ID_PATTERN.test(runnerId) ||
    !TIMESTAMP_PATTERN.test(timestamp) ||
    !NONCE_PATTERN.test(nonce) ||
    !SIGNATURE_PATTERN.test(signature)
  ) {
    return 'malformed';
  }
  return { runnerId, timestamp, nonce, signature };
}
