import path from 'node:path';
import { MonthlyJsonl } from './jsonl.js';
import type { AuditEvent } from './store.js';

/**
 * The audit log: audit/audit-YYYY-MM.jsonl in the data folder. Each event is one append of one
 * line (O_APPEND), so the bot and an admin command may both append while the other runs: lines
 * never interleave, and neither rewrites what the other wrote.
 */
export class AuditLog {
  private readonly log: MonthlyJsonl<AuditEvent>;

  constructor(dataDir: string) {
    this.log = new MonthlyJsonl(path.join(dataDir, 'audit'), 'audit');
  }

  async append(event: AuditEvent): Promise<void> {
    const at = new Date(event.at);
    if (Number.isNaN(at.getTime()))
      throw new Error(`Audit event "${event.action}" has no valid time (at: ${event.at}).`);
    await this.log.append(event, at);
  }

  async read(since?: Date): Promise<AuditEvent[]> {
    const events = await this.log.readSince(since);
    return since ? events.filter((event) => new Date(event.at) >= since) : events;
  }
}
