import pg from 'pg';
import type { RunnerAdmin } from '../runner-admin-store.js';
import { factsOf, identityOf, mergeRunner } from '../runner-records.js';
import { InvalidRunnerIdError, isSafeRunnerId } from '../runner-registry.js';
import type { AuditEvent, RunnerRecord } from '../store.js';
import {
  clientConfig,
  PgSchemaError,
  PgStoreConnectError,
  PgStoreWriteError,
  STATEMENT_TIMEOUT_MS,
  targetOf,
  type PgTarget,
} from './connection.js';
import { migrate, schemaVersions } from './migrate.js';
import { auditTime, INSERT_AUDIT } from './pg-audit.js';
import { runnerSql } from './pg-runners.js';
import { auditParams, RUNNER_COLUMNS, runnerOf, type RunnerRow } from './rows.js';

/**
 * The runners of the PostgreSQL store for an admin command (register-runner), beside the running
 * bot: it changes only the runners table (with a NOTIFY, so every bot instance reads it again at
 * once) and appends to the audit table. The runners are read when it opens (a command is short)
 * and kept in step with the changes it makes. Registering may come before the bot's first start: a
 * command that changes runners creates the schema if needed, one that only looks never does.
 */
export class PgRunnerAdmin implements RunnerAdmin {
  private known: RunnerRecord[] = [];

  private constructor(
    private readonly client: pg.Client,
    private readonly target: PgTarget,
  ) {}

  static async open(url: string, mode: 'read' | 'change'): Promise<PgRunnerAdmin> {
    const target = targetOf(url);
    const client = new pg.Client(clientConfig(url));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new PgStoreConnectError(target, error);
    }
    const admin = new PgRunnerAdmin(client, target);
    try {
      if (mode === 'change') await migrate(client);
      else if ((await schemaVersions(client)).size === 0)
        throw new PgSchemaError(target, 'has no patch-bot tables yet: no runner is registered there');
      await client.query(`SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      const { rows } = await client.query<RunnerRow>(`SELECT ${RUNNER_COLUMNS} FROM runners ORDER BY id`);
      admin.known = rows.map(runnerOf);
      return admin;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error instanceof PgSchemaError ? error : new PgStoreConnectError(target, error);
    }
  }

  getRunner(id: string): RunnerRecord | undefined {
    const runner = this.known.find((r) => r.id === id);
    return runner && { ...runner };
  }

  runners(): RunnerRecord[] {
    return this.known.map((runner) => ({ ...runner }));
  }

  async saveRunner(runner: RunnerRecord): Promise<void> {
    if (!isSafeRunnerId(runner.id)) throw new InvalidRunnerIdError(runner.id);
    await this.change((client) => runnerSql.save(client, runner));
    const saved = mergeRunner(identityOf(runner), factsOf(runner));
    this.known = [...this.known.filter((r) => r.id !== runner.id), saved].sort((a, b) =>
      a.id.localeCompare(b.id),
    );
  }

  async removeRunner(id: string): Promise<void> {
    await this.change((client) => runnerSql.remove(client, id));
    this.known = this.known.filter((r) => r.id !== id);
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    const at = auditTime(event);
    try {
      await this.client.query(INSERT_AUDIT, auditParams(event, at));
    } catch (error) {
      throw new PgStoreWriteError(this.target, error);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async change(work: (client: pg.Client) => Promise<void>): Promise<void> {
    try {
      await this.client.query('BEGIN');
      await work(this.client);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw new PgStoreWriteError(this.target, error);
    }
  }
}
