import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.js';

/**
 * The advisory lock every migration transaction takes (any constant unique to this bot): two
 * instances starting at once apply each migration once, the second waiting for the first.
 */
export const MIGRATION_LOCK = 7_220_417_017;

const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export interface MigrationResult {
  applied: number[];
  /** Versions the database has and this code does not know (a newer bot migrated it). */
  unknown: number[];
}

/**
 * Applies the migrations the database lacks, each in a transaction of its own under the
 * advisory lock; the ledger is read again inside the lock, so a migration another instance
 * applied meanwhile is skipped rather than run twice.
 */
export async function migrate(
  client: pg.ClientBase,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const applied: number[] = [];
  let known = await inTransaction(client, () => appliedVersions(client));
  for (const migration of migrations) {
    if (known.has(migration.version)) continue;
    const ran = await inTransaction(client, async () => {
      known = await appliedVersions(client);
      if (known.has(migration.version)) return false;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  const ours = new Set(migrations.map((m) => m.version));
  return { applied, unknown: [...known].filter((v) => !ours.has(v)).sort((a, b) => a - b) };
}

/** The versions applied so far; for read-only opens, which never migrate. */
export async function schemaVersions(client: pg.ClientBase): Promise<Set<number>> {
  const exists = await client.query<{ found: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS found",
  );
  if (!exists.rows[0]?.found) return new Set();
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((row) => row.version));
}

async function appliedVersions(client: pg.ClientBase): Promise<Set<number>> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await client.query(CREATE_LEDGER);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((row) => row.version));
}

async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
