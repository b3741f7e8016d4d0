import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The private PostgreSQL cluster scripts/ensure-postgres.sh starts (pretest, .ci/run). Tests never
 * skip without it: a missing server fails them with the command that starts it.
 */
export const TEST_PG_PORT = Number(process.env.PATCHBOT_TEST_PG_PORT ?? 55432);
export const TEST_PG_ADMIN_URL = `postgres://patchbot@127.0.0.1:${TEST_PG_PORT}/postgres`;

const NOT_RUNNING = `PostgreSQL is not running on 127.0.0.1:${TEST_PG_PORT}: run \`bash scripts/ensure-postgres.sh\` (npm test does this first)`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`${NOT_RUNNING} (${(error as Error).message})`);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new, empty database of its own for one test or suite; returns its URL. */
export async function createTestDatabase(label = 'test'): Promise<string> {
  const name = `patchbot_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return `postgres://patchbot@127.0.0.1:${TEST_PG_PORT}/${name}`;
}

/** Drops a database createTestDatabase made, closing whatever connections are still open on it. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^patchbot_[a-z0-9_]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
