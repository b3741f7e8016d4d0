import type pg from 'pg';
import { StoreWriteError } from '../store.js';

/**
 * Where the store lives, as messages may name it: host:port/database, never the user's password
 * (the URL may hold one, so messages are built from this, not from the URL).
 */
export interface PgTarget {
  /** host:port, for "cannot reach" messages. */
  address: string;
  /** host:port/database. */
  label: string;
  /** Scrubbed from any message that could quote it (a driver error echoing its settings). */
  password: string;
}

export function targetOf(url: string): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Node's own error would not say which setting; the URL is not quoted (it may hold a password).
    throw new Error(
      'The PostgreSQL store URL is not a URL: use postgres://user:password@host:5432/database.',
    );
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const address = `${host}:${parsed.port || '5432'}`;
  const database =
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username);
  return { address, label: `${address}/${database}`, password: decodeURIComponent(parsed.password) };
}

/** Pool settings: small, quick to give up on an unreachable server, no statement left hanging. */
export interface PoolSettings {
  size: number;
  /** Per statement, on the server; migrations run on a connection without it. */
  statementTimeoutMs?: number;
}

export function clientConfig(url: string, settings: Partial<PoolSettings> = {}): pg.PoolConfig {
  return {
    connectionString: url,
    application_name: 'patch-bot',
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    ...(settings.statementTimeoutMs ? { statement_timeout: settings.statementTimeoutMs } : {}),
    // A transaction left open by a process that hung must not hold its row locks for long.
    idle_in_transaction_session_timeout: 30_000,
    ...(settings.size ? { max: settings.size } : {}),
  };
}

export const STATEMENT_TIMEOUT_MS = 10_000;

/** The database could not be used at start: nothing was changed, nothing is left open. */
export class PgStoreConnectError extends Error {
  constructor(target: PgTarget, cause: unknown) {
    const reason = causeOf(cause, target);
    const unreachable = isNetworkError(cause);
    super(
      unreachable
        ? `Cannot reach PostgreSQL at ${target.address} (${reason}): check PATCHBOT_DATABASE_URL and that the server runs.`
        : `Cannot use PostgreSQL at ${target.label} (${reason}): check PATCHBOT_DATABASE_URL (user, password, database).`,
    );
    this.name = 'PgStoreConnectError';
  }
}

/**
 * A write the database did not take. A StoreWriteError, so callers that handle the file store's
 * write failures handle this one too; `file` names the database instead of a file.
 */
export class PgStoreWriteError extends StoreWriteError {
  constructor(target: PgTarget, cause: unknown) {
    super(`PostgreSQL ${target.label}`, cause);
    this.message =
      `Could not write to PostgreSQL at ${target.label} (${causeOf(cause, target)}). ` +
      'The change was not saved; the database still holds the previous state.';
    this.name = 'PgStoreWriteError';
  }
}

/** The schema is missing or older than this code, and this open may not migrate it (read-only). */
export class PgSchemaError extends Error {
  constructor(target: PgTarget, problem: string) {
    super(`The PostgreSQL database ${target.label} ${problem}.`);
    this.name = 'PgSchemaError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

function isNetworkError(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return /timeout|terminated|ECONN|socket/i.test(cause instanceof Error ? cause.message : '');
}

/**
 * One line saying what went wrong: "connect ECONNREFUSED", a server message, a timeout. Node
 * reports a refused connection to a name with several addresses as an AggregateError with an
 * empty message; its code still says it.
 */
export function causeOf(cause: unknown, target: PgTarget): string {
  const error = cause as { code?: unknown; syscall?: unknown; message?: unknown } | null;
  let text: string;
  if (typeof error?.code === 'string' && NETWORK_CODES.has(error.code))
    text = typeof error.syscall === 'string' ? `${error.syscall} ${error.code}` : error.code;
  else if (cause instanceof Error && cause.message) text = cause.message;
  else text = String(cause);
  text = text.replace(/\s+/g, ' ').trim();
  return target.password ? text.split(target.password).join('***') : text;
}
