import pg from 'pg';
import type { Logger } from '../log.js';

/**
 * Active/passive leadership over PostgreSQL: the instance whose session holds a session-level
 * advisory lock is the leader. The lock lives on a connection of its own (never the store's
 * pool, whose connections come and go): when that session ends, whether the process died
 * (SIGKILL closes its socket, and PostgreSQL frees the lock at once) or the connection broke,
 * the lock is gone, so a leader that notices any trouble on it must stop serving at once.
 */

/** 'patchbot' in ASCII: one lock per database, the same in every instance and version. */
export const LEADER_LOCK_KEY = 0x7061746368626f74n;

export interface LeadershipOptions {
  databaseUrl: string;
  /** How often a standby asks for the lock again, and reconnects after losing its connection. */
  retryMs: number;
  logger: Logger;
  /** Called at most once, when the leader's lock connection fails or ends. */
  onLost(reason: string): void;
  /**
   * Called once, when the first ask finds the lock taken: this instance is a standby from now on
   * (the place to start answering health probes). A rejection ends acquireLeadership with it.
   */
  onStandby?(): Promise<void> | void;
  /** Aborting while still a standby makes acquireLeadership reject with an AbortError. */
  signal?: AbortSignal;
  /** Leader's liveness query interval (default 1 s) and how long one may take (default 2 s). */
  livenessIntervalMs?: number;
  livenessTimeoutMs?: number;
  /** First connection's timeout (default 5 s). */
  connectTimeoutMs?: number;
  lockKey?: bigint;
}

/** The first connection failed: the database is down, unreachable, or refuses this login. */
export class DatabaseUnreachableError extends Error {
  constructor(
    readonly target: string,
    cause: unknown,
  ) {
    super(
      `Cannot reach the PostgreSQL database at ${target} (${reasonOf(cause)}). ` +
        'Nothing was written. Check PATCHBOT_DATABASE_URL, that the server runs and that this machine may connect.',
      { cause },
    );
    this.name = 'DatabaseUnreachableError';
  }
}

/** host:port of a PostgreSQL URL, without user or password. */
export function databaseTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}:${parsed.port || '5432'}`;
  } catch {
    return '(unreadable PATCHBOT_DATABASE_URL)';
  }
}

export interface Leadership {
  /** False once the lock connection failed or release() was called. */
  readonly held: boolean;
  /** Gives the lock up (ends its session); onLost is not called for this. */
  release(): Promise<void>;
}

/**
 * Connects (rejecting with DatabaseUnreachableError when the first connection fails: then nothing
 * else has happened yet), then asks for the lock every retryMs until it holds it. A standby whose connection breaks meanwhile
 * reconnects at the same pace: only a database unreachable at start is fatal.
 */
export async function acquireLeadership(options: LeadershipOptions): Promise<Leadership> {
  const log = options.logger.child({ area: 'leadership' });
  const target = databaseTarget(options.databaseUrl);
  let client: pg.Client;
  try {
    client = await connect(options);
  } catch (error) {
    throw new DatabaseUnreachableError(target, error);
  }
  let announced = false;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        if (await tryLock(client, options.lockKey ?? LEADER_LOCK_KEY)) break;
      } catch (error) {
        log.warn({ err: error, database: target }, 'standby: lost the database connection; reconnecting');
        void client.end().catch(() => undefined);
        client = await reconnect(options, log);
        continue;
      }
      if (!announced) {
        announced = true;
        log.info({ database: target }, 'standby: another instance leads; waiting for the lock');
        await options.onStandby?.();
      }
      await pause(options.retryMs, options.signal);
    }
    // Held, but the caller gave up meanwhile: hand the lock straight back.
    options.signal?.throwIfAborted();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  log.info({ database: target }, 'leader: holding the lock');
  return watch(client, options, log);
}

async function connect(options: LeadershipOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    application_name: 'patchbot-leadership',
    // Notices a peer that vanished without closing the connection, on this side.
    keepAlive: true,
    keepAliveInitialDelayMillis: 1_000,
    // Every query on this connection, the liveness query included, fails after this long.
    query_timeout: options.livenessTimeoutMs ?? 2_000,
  });
  // Without a listener, an error on an idle client (the server restarted) would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  // The server's side: a leader cut off by a network partition has its session (and so the lock)
  // ended by PostgreSQL within seconds, not after the operating system's 2-hour keepalive default.
  // Best effort: a server that refuses one of these still works, only slower to free the lock.
  for (const setting of [
    'tcp_keepalives_idle = 5',
    'tcp_keepalives_interval = 2',
    'tcp_keepalives_count = 3',
    "tcp_user_timeout = '10s'",
  ]) {
    await client.query(`SET ${setting}`).catch(() => undefined);
  }
  return client;
}

async function reconnect(options: LeadershipOptions, log: Logger): Promise<pg.Client> {
  for (let failures = 1; ; failures++) {
    await pause(options.retryMs, options.signal);
    try {
      const client = await connect(options);
      log.info('standby: connected to the database again');
      return client;
    } catch (error) {
      if (failures === 1) log.warn({ err: error }, 'standby: the database is unreachable; retrying');
    }
  }
}

async function tryLock(client: pg.Client, key: bigint): Promise<boolean> {
  const answer = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [key.toString()],
  );
  return answer.rows[0]?.locked === true;
}

/** Keeps checking the lock's connection; the first failure or end reports the loss, once. */
function watch(client: pg.Client, options: LeadershipOptions, log: Logger): Leadership {
  let held = true;
  let timer: NodeJS.Timeout | undefined;
  const lose = (reason: string) => {
    if (!held) return;
    held = false;
    clearTimeout(timer);
    log.fatal({ reason }, 'leader: lost the lock connection');
    // Not awaited: on a dead socket end() may wait for a timeout; the caller stops at once anyway.
    void client.end().catch(() => undefined);
    options.onLost(reason);
  };
  client.on('error', (error: Error) => lose(error.message));
  client.on('end', () => lose('the connection to the database ended'));
  const probe = async () => {
    try {
      await client.query('SELECT 1');
    } catch (error) {
      lose(`liveness query failed: ${reasonOf(error)}`);
      return;
    }
    if (held) timer = setTimeout(() => void probe(), options.livenessIntervalMs ?? 1_000);
  };
  timer = setTimeout(() => void probe(), options.livenessIntervalMs ?? 1_000);
  return {
    get held() {
      return held;
    },
    async release() {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      await client.end().catch(() => undefined);
    },
  };
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const done = () => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
