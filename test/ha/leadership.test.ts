import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireLeadership,
  DatabaseUnreachableError,
  LEADER_LOCK_KEY,
  type Leadership,
} from '../../src/ha/leadership.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabase, dropTestDatabase } from '../support/postgres.js';
import { closedPort } from './support/ports.js';

const RETRY_MS = 200;
let url: string;
const held: Leadership[] = [];

beforeAll(async () => {
  url = await createTestDatabase('ha_leadership');
});
afterEach(async () => {
  await Promise.all(held.splice(0).map((l) => l.release()));
});
afterAll(async () => {
  if (url) await dropTestDatabase(url);
});

/** Runs `work` on a connection of its own to the test database (the operator's psql). */
async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The server process ids of the sessions holding the leader lock in this database. */
function lockHolders(): Promise<number[]> {
  const low = Number(LEADER_LOCK_KEY & 0xffffffffn);
  const high = Number(LEADER_LOCK_KEY >> 32n);
  return asAdmin(async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid::bigint = $1 AND objid::bigint = $2`,
      [high, low],
    );
    return rows.map((r) => r.pid);
  });
}

function contender(name: string) {
  const lost: string[] = [];
  let standbys = 0;
  const controller = new AbortController();
  let leadership: Leadership | undefined;
  let failure: unknown;
  const acquired = acquireLeadership({
    databaseUrl: url,
    retryMs: RETRY_MS,
    logger: silentLogger(),
    onLost: (reason) => lost.push(reason),
    onStandby: () => {
      standbys++;
    },
    signal: controller.signal,
    livenessIntervalMs: 200,
  }).then(
    (l) => {
      leadership = l;
      held.push(l);
      return l;
    },
    (error: unknown) => {
      failure = error;
      throw error;
    },
  );
  acquired.catch(() => undefined);
  return {
    name,
    lost,
    acquired,
    abort: () => controller.abort(),
    get leadership() {
      return leadership;
    },
    /** How often it was told it is a standby (once at most). */
    get standbys() {
      return standbys;
    },
    get failure() {
      return failure;
    },
  };
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('leadership over a PostgreSQL advisory lock', () => {
  it('exactly one of two instances leads; the other takes over soon after the leader is terminated', async () => {
    const a = contender('a');
    await a.acquired;
    const b = contender('b');
    // Several retry rounds: b keeps asking and never gets the lock while a holds it.
    await sleep(RETRY_MS * 5);
    expect(b.leadership).toBeUndefined();
    const holders = await lockHolders();
    expect(holders).toHaveLength(1);

    // What a SIGKILLed leader, or an operator, does to the session: it ends at once.
    const terminatedAt = Date.now();
    await asAdmin((client) => client.query('SELECT pg_terminate_backend($1)', [holders[0]]));
    await b.acquired;
    const handOverMs = Date.now() - terminatedAt;
    await waitFor(() => a.lost.length > 0, 5_000, 'a to notice the loss');

    expect(a.leadership?.held).toBe(false);
    expect(b.leadership?.held).toBe(true);
    // A bound, not a benchmark: one retry interval plus a generous margin for a loaded machine.
    expect(handOverMs).toBeLessThan(RETRY_MS + 5_000);
    await sleep(500);
    expect(a.lost).toHaveLength(1);
    expect(b.lost).toEqual([]);
    expect([a.standbys, b.standbys]).toEqual([0, 1]);
    expect(await lockHolders()).toHaveLength(1);
  });

  it('release() hands the lock over without reporting a loss', async () => {
    const a = contender('a');
    await a.acquired;
    const b = contender('b');
    await sleep(RETRY_MS * 2);
    await a.leadership!.release();
    await b.acquired;
    await sleep(300);
    expect(a.lost).toEqual([]);
    expect(a.leadership?.held).toBe(false);
  });

  it('a standby whose connection is cut reconnects and still takes over', async () => {
    const a = contender('a');
    await a.acquired;
    const b = contender('b');
    await sleep(RETRY_MS * 2);
    const leader = (await lockHolders())[0];
    await asAdmin((client) =>
      client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'patchbot-leadership' AND pid <> $1`,
        [leader],
      ),
    );
    await sleep(RETRY_MS * 3);
    expect(b.leadership).toBeUndefined();
    await a.leadership!.release();
    await b.acquired;
    expect(b.leadership?.held).toBe(true);
  });

  it('a standby asked to stop gives up waiting and holds nothing', async () => {
    const a = contender('a');
    await a.acquired;
    const b = contender('b');
    await sleep(RETRY_MS * 2);
    b.abort();
    await expect(b.acquired).rejects.toMatchObject({ name: 'AbortError' });
    await a.leadership!.release();
    await sleep(RETRY_MS * 2);
    expect(await lockHolders()).toEqual([]);
    await sleep(300);
    expect(
      await asAdmin(async (client) => {
        const { rows } = await client.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'patchbot-leadership'`,
        );
        return rows.length;
      }),
    ).toBe(0);
  });

  it('a database unreachable at start is a clear error naming host and port', async () => {
    const port = await closedPort();
    const error = await acquireLeadership({
      databaseUrl: `postgres://patchbot:hunter2@127.0.0.1:${port}/patchbot`,
      retryMs: RETRY_MS,
      logger: silentLogger(),
      onLost: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    const message = (error as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('hunter2');
  });
});
