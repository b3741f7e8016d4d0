import type pg from 'pg';
import type { CatalogPackage, PackageChange } from '../package-catalog.js';
import { SERVER_HISTORY_RUNS } from '../server-history.js';
import type { ConversationRecord, OutboxItem, RunnerRecord } from '../store.js';
import type { RunRecord } from '../types.js';
import { conversationOf, RUNNER_COLUMNS, runnerOf, type RunnerRow } from './rows.js';

/** What the store keeps in memory, as read at start. */
export interface LoadedState {
  runs: RunRecord[];
  outbox: OutboxItem[];
  conversations: ConversationRecord[];
  runners: RunnerRecord[];
  packages: CatalogPackage[];
  changes: PackageChange[];
  /** Each server's newest finished update runs, for RecentRuns. */
  recent: RunRecord[];
}

/**
 * Each server's newest finished update runs. The distinct servers are found by walking the
 * (server, ended_at, id) index one server at a time, and each server's newest runs by the same
 * index, so the cost follows the number of servers, not the length of the history.
 */
const RECENT_RUNS = `
WITH RECURSIVE servers AS (
  (SELECT server FROM archived_runs ORDER BY server LIMIT 1)
  UNION ALL
  SELECT (SELECT a.server FROM archived_runs a WHERE a.server > s.server ORDER BY a.server LIMIT 1)
  FROM servers s WHERE s.server IS NOT NULL
)
SELECT newest.record FROM servers s
CROSS JOIN LATERAL (
  SELECT a.record FROM archived_runs a
  WHERE a.server = s.server AND a.kind <> 'check' AND a.ended_at IS NOT NULL
  ORDER BY a.ended_at DESC NULLS LAST, a.id DESC
  LIMIT ${SERVER_HISTORY_RUNS}
) newest
WHERE s.server IS NOT NULL`;

/** Reads the hot state in one snapshot, so it is consistent even while another process writes. */
export async function loadState(client: pg.ClientBase): Promise<LoadedState> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const records = async <T>(sql: string): Promise<T[]> =>
      (await client.query<{ record: T }>(sql)).rows.map((row) => row.record);
    const state: LoadedState = {
      runs: await records<RunRecord>('SELECT record FROM runs ORDER BY id'),
      outbox: await records<OutboxItem>('SELECT item AS record FROM outbox ORDER BY id'),
      conversations: (
        await client.query<{ conversation_id: string; reference: unknown; locale: string | null }>(
          'SELECT conversation_id, reference, locale FROM conversations',
        )
      ).rows.map(conversationOf),
      runners: (await client.query<RunnerRow>(`SELECT ${RUNNER_COLUMNS} FROM runners ORDER BY id`)).rows.map(
        runnerOf,
      ),
      packages: await records<CatalogPackage>('SELECT entry AS record FROM packages ORDER BY position'),
      changes: await records<PackageChange>(
        "SELECT change AS record FROM package_changes WHERE status = 'awaiting-approval' ORDER BY position",
      ),
      recent: await records<RunRecord>(RECENT_RUNS),
    };
    await client.query('COMMIT');
    return state;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The counters, never below the ids in use (an import or a restore may have left them behind). */
export async function repairCounters(client: pg.ClientBase): Promise<void> {
  const counters: [string, string][] = [
    ['lastRunId', 'SELECT GREATEST((SELECT max(id) FROM runs), (SELECT max(id) FROM archived_runs))'],
    ['lastOutboxId', 'SELECT max(id) FROM outbox'],
    ['lastPackageChangeId', 'SELECT max(id) FROM package_changes'],
  ];
  for (const [key, highest] of counters) {
    await client.query(
      `INSERT INTO meta (key, value) VALUES ($1, to_jsonb(COALESCE((${highest}), 0)))
       ON CONFLICT (key) DO UPDATE
       SET value = to_jsonb(GREATEST((meta.value #>> '{}')::bigint, (EXCLUDED.value #>> '{}')::bigint))`,
      [key],
    );
  }
}

/**
 * Adds `by` to a counter and returns its new value, in the caller's transaction: the row lock
 * makes two writers get different values.
 */
export async function bumpCounter(client: pg.ClientBase, key: string, by: number): Promise<number> {
  const { rows } = await client.query<{ value: string }>(
    `INSERT INTO meta (key, value) VALUES ($1, to_jsonb($2::bigint))
     ON CONFLICT (key) DO UPDATE SET value = to_jsonb((meta.value #>> '{}')::bigint + $2::bigint)
     RETURNING value #>> '{}' AS value`,
    [key, by],
  );
  return Number(rows[0]!.value);
}
