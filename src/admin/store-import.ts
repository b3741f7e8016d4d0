import type pg from 'pg';
import { migrate } from '../store/pg/migrate.js';
import {
  archivedParams,
  auditParams,
  changeParams,
  conversationParams,
  outboxParams,
  packageParams,
  runnerParams,
  runParams,
} from '../store/pg/rows.js';
import type { RunRecord } from '../store/types.js';
import { AdminRefusal } from './cli-support.js';
import type { LowdbSource } from './store-source.js';

/** The tables that hold the bot's data; a target with a row in any of them is not empty. */
export const STORE_TABLES = [
  'runs',
  'archived_runs',
  'outbox',
  'audit',
  'runners',
  'conversations',
  'packages',
  'package_changes',
] as const;
export type StoreTable = (typeof STORE_TABLES)[number];
export type TableCounts = Record<StoreTable, number>;

/** Each table's columns, in the order src/store/pg/rows.ts gives their values. */
const COLUMNS: Record<StoreTable, string> = {
  runs: 'id, server, status, record',
  archived_runs: 'id, server, kind, status, ended_at, archived_at, record',
  outbox: 'id, conversation_id, run_id, item',
  audit: 'at, action, run_id, server, conversation_id, event',
  runners: 'id, server, secret, created_at, last_seen_at, info, facts',
  conversations: 'conversation_id, reference, locale',
  packages: 'product, version, entry',
  package_changes: 'id, status, change',
};

/** A run archived again (saved after it finished, or after a crash): the newest copy wins. */
const NEWER_ARCHIVED_COPY =
  'ON CONFLICT (id) DO UPDATE SET server = EXCLUDED.server, kind = EXCLUDED.kind, status = EXCLUDED.status, ' +
  'ended_at = EXCLUDED.ended_at, archived_at = EXCLUDED.archived_at, record = EXCLUDED.record';

/** Rows per INSERT: few round trips, far below PostgreSQL's limit of parameters per statement. */
const BATCH = 100;

export interface ImportResult {
  /** Rows written per table, from the source. */
  copied: TableCounts;
  /** Rows the database holds per table once written, counted before the commit. */
  found: TableCounts;
  lastRunId: number;
  /** Unreadable lines of the archive and audit log (torn by a crash), left out as the bot leaves them out. */
  skippedLines: number;
}

/**
 * Copies a lowdb store into an empty PostgreSQL database: the schema first (the PostgreSQL
 * store's own migrations), then every record in one transaction that also counts what it wrote,
 * so the database ends with all of the store or none of it. A database that already holds data
 * is refused before anything, the schema included, is written.
 */
export async function importLowdbSource(client: pg.ClientBase, source: LowdbSource): Promise<ImportResult> {
  await refuseUnlessEmpty(client);
  const { unknown } = await migrate(client);
  if (unknown.length > 0)
    throw new AdminRefusal(
      `The database has schema version(s) ${unknown.join(', ')}, made by a newer version of the bot: ` +
        'migrate with that version. Nothing was copied.',
    );
  await client.query('BEGIN');
  try {
    // A bot started on the database meanwhile waits for the copy instead of writing into it.
    await client.query(`LOCK TABLE meta, ${STORE_TABLES.join(', ')} IN EXCLUSIVE MODE`);
    await refuseUnlessEmpty(client);
    const { copied, lastRunId, skippedLines } = await copy(client, source);
    const found = await countRows(client);
    const differ = STORE_TABLES.filter((table) => copied[table] !== found[table]);
    if (differ.length > 0)
      throw new Error(
        `the database holds other counts than were copied (${differ
          .map((t) => `${t}: ${copied[t]} copied, ${found[t]} found`)
          .join('; ')}); the copy was rolled back`,
      );
    await client.query('COMMIT');
    return { copied, found, lastRunId, skippedLines };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function copy(client: pg.ClientBase, source: LowdbSource) {
  const copied = Object.fromEntries(STORE_TABLES.map((table) => [table, 0])) as TableCounts;
  let skippedLines = 0;
  copied.runs = await insert(client, 'runs', source.liveRuns.map(runParams));

  const archived = new Set<number>();
  const archive = async (records: readonly RunRecord[], month: string) => {
    const runs = newestCopies(records);
    const rows = runs.map((run) => archivedParams(run, archivedAt(run, month)));
    await insert(client, 'archived_runs', rows, NEWER_ARCHIVED_COPY);
    for (const run of runs) archived.add(run.id);
  };
  for await (const month of source.archive()) {
    skippedLines += month.skipped;
    await archive(month.records, month.month);
  }
  // Last: their final save is newer than any copy in the archive.
  await archive(source.finishedInHotFile, new Date().toISOString().slice(0, 7));
  copied.archived_runs = archived.size;

  for await (const month of source.audit()) {
    skippedLines += month.skipped;
    const rows = month.records.map((event, index) => {
      const at = new Date(event.at);
      if (Number.isNaN(at.getTime()))
        throw new AdminRefusal(
          `Audit event ${index + 1} of audit-${month.month}.jsonl ("${event.action}") has no valid time (at: ${String(event.at)}). ` +
            'Correct that line and run again. Nothing was copied.',
        );
      return auditParams(event, at);
    });
    copied.audit += await insert(client, 'audit', rows);
  }

  copied.outbox = await insert(client, 'outbox', source.outbox.map(outboxParams));
  copied.runners = await insert(client, 'runners', source.runners.map(runnerParams));
  copied.conversations = await insert(client, 'conversations', source.conversations.map(conversationParams));
  copied.packages = await insert(client, 'packages', source.packages.map(packageParams));
  copied.package_changes = await insert(client, 'package_changes', source.packageChanges.map(changeParams));

  let lastRunId = source.lastRunId;
  for (const id of archived) if (id > lastRunId) lastRunId = id;
  await setCounter(client, 'lastRunId', lastRunId);
  await setCounter(client, 'lastOutboxId', source.lastOutboxId);
  await setCounter(client, 'lastPackageChangeId', source.lastPackageChangeId);
  return { copied, lastRunId, skippedLines };
}

/** One copy per run, the last one written; in the order of their last copies. */
function newestCopies(runs: readonly RunRecord[]): RunRecord[] {
  const newest = new Map<number, RunRecord>();
  for (const run of runs) {
    newest.delete(run.id);
    newest.set(run.id, run);
  }
  return [...newest.values()];
}

/** When the run reached the archive: its end, or the start of the month (YYYY-MM) whose file holds it. */
function archivedAt(run: RunRecord, month: string): Date {
  const ended = run.endedAt === null ? Number.NaN : Date.parse(run.endedAt);
  return new Date(Number.isNaN(ended) ? `${month}-01T00:00:00.000Z` : ended);
}

async function insert(
  client: pg.ClientBase,
  table: StoreTable,
  rows: unknown[][],
  conflict = '',
): Promise<number> {
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    let n = 0;
    const values = batch.map((row) => `(${row.map(() => `$${++n}`).join(', ')})`).join(', ');
    await client.query(`INSERT INTO ${table} (${COLUMNS[table]}) VALUES ${values} ${conflict}`, batch.flat());
  }
  return rows.length;
}

/** Never lowers a counter: a bot opened on the empty database before may have set it already. */
async function setCounter(client: pg.ClientBase, key: string, value: number): Promise<void> {
  await client.query(
    `INSERT INTO meta (key, value) VALUES ($1, to_jsonb($2::bigint))
     ON CONFLICT (key) DO UPDATE SET value = to_jsonb(GREATEST((meta.value #>> '{}')::bigint, $2::bigint))`,
    [key, value],
  );
}

async function refuseUnlessEmpty(client: pg.ClientBase): Promise<void> {
  const counts = await countRows(client);
  const holding = STORE_TABLES.filter((table) => counts[table] > 0);
  if (holding.length > 0)
    throw new AdminRefusal(
      `The database already holds the bot's data (${holding.map((t) => `${t}: ${counts[t]}`).join(', ')}). ` +
        'store:migrate copies into an empty database only: nothing was copied.',
    );
}

/** Rows per table; a table that does not exist yet counts as empty. */
async function countRows(client: pg.ClientBase): Promise<TableCounts> {
  const counts = Object.fromEntries(STORE_TABLES.map((table) => [table, 0])) as TableCounts;
  const { rows } = await client.query<{ name: StoreTable }>(
    'SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL',
    [STORE_TABLES],
  );
  for (const { name } of rows) {
    const result = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${name}`);
    counts[name] = Number(result.rows[0]!.count);
  }
  return counts;
}
