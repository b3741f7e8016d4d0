import pg from 'pg';
import type { AuditEvent, OutboxItem } from '../../../src/store/store.js';
import type { RunRecord } from '../../../src/store/types.js';

/**
 * What the shared database holds, read the way an operator's psql would while the bots run
 * (the tables of src/store/pg/migrations.ts, version 1; each row keeps its full record as jsonb).
 * A pool that survives a database restart: a query on a dropped connection fails once, then the
 * pool connects again. Read only: the test never writes the bots' tables.
 */
export class DbView {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 3_000 });
    this.#pool.on('error', () => undefined);
  }

  async #rows<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#pool.query<T>(sql, params)).rows;
  }

  /** A run, live or archived; undefined before the bot created the tables or the run. */
  async run(id: number): Promise<RunRecord | undefined> {
    try {
      const rows = await this.#rows<{ record: RunRecord }>(
        'SELECT record FROM runs WHERE id = $1 UNION ALL SELECT record FROM archived_runs WHERE id = $1',
        [id],
      );
      return rows[0]?.record;
    } catch {
      return undefined;
    }
  }

  async outbox(): Promise<OutboxItem[]> {
    return (await this.#rows<{ item: OutboxItem }>('SELECT item FROM outbox ORDER BY id')).map((r) => r.item);
  }

  async audit(): Promise<AuditEvent[]> {
    return (await this.#rows<{ event: AuditEvent }>('SELECT event FROM audit ORDER BY seq')).map(
      (r) => r.event,
    );
  }

  /** Whether each runner has reported in (its heartbeat's info is stored). */
  async runnersOnline(ids: readonly string[]): Promise<boolean> {
    try {
      const rows = await this.#rows<{ id: string }>('SELECT id FROM runners WHERE info IS NOT NULL');
      return ids.every((id) => rows.some((r) => r.id === id));
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}
