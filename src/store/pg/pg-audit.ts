import type { AuditEvent } from '../store.js';
import type { PgWriter } from './pg-writer.js';
import { auditEventOf, auditParams } from './rows.js';

export const INSERT_AUDIT =
  'INSERT INTO audit (at, action, run_id, server, conversation_id, event) VALUES ($1, $2, $3, $4, $5, $6::jsonb)';

/** The time of an audit event, which the `at` column and every `since` query rely on. */
export function auditTime(event: AuditEvent): Date {
  const at = new Date(event.at);
  if (Number.isNaN(at.getTime()))
    throw new Error(`Audit event "${event.action}" has no valid time (at: ${event.at}).`);
  return at;
}

/**
 * The audit table. An append is one statement of its own, beside the store's mutations (as the
 * file store's audit log): nothing in memory has to change with it. close() waits for them.
 */
export class PgAudit {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly writer: PgWriter) {}

  append(event: AuditEvent): Promise<void> {
    let at: Date;
    try {
      at = auditTime(event);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.writer.closed) return Promise.reject(this.writer.closedError());
    const done = this.writer.statement(INSERT_AUDIT, auditParams(event, at));
    const tracked = done.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
    return done;
  }

  /** Oldest first, in the order they were appended; `since` is served by the index on `at`. */
  async read(since?: Date): Promise<AuditEvent[]> {
    const rows = await this.writer.read<{ event: AuditEvent }>(
      since ? 'SELECT event FROM audit WHERE at >= $1 ORDER BY seq' : 'SELECT event FROM audit ORDER BY seq',
      since ? [since] : [],
    );
    return rows.map((row) => auditEventOf(row.event));
  }

  /** Once every append under way has finished. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }
}
