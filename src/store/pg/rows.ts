import type { CatalogPackage, PackageChange } from '../package-catalog.js';
import type { AuditEvent, ConversationRecord, OutboxItem, RunnerRecord } from '../store.js';
import type { RunRecord } from '../types.js';

/**
 * Records as rows and back. The whole record is the jsonb column; the other columns repeat what
 * queries and indexes need. Reading a record back gives what was saved (jsonb drops fields set
 * to undefined, as JSON does, and does not keep key order, which nothing relies on).
 */

/**
 * JSON for a jsonb column. jsonb refuses the NUL character (\u0000), which a step's captured
 * output can hold (a UTF-16 program read as UTF-8): it becomes U+FFFD rather than failing the
 * save of the run forever.
 */
export function jsonb(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    typeof field === 'string' && field.includes('\u0000') ? field.replaceAll('\u0000', '\uFFFD') : field,
  );
}

export const runKind = (run: RunRecord): string => run.kind ?? 'update';

export function runParams(run: RunRecord): unknown[] {
  return [run.id, run.server, run.status, jsonb(run)];
}

export function archivedParams(run: RunRecord, archivedAt: Date): unknown[] {
  return [run.id, run.server, runKind(run), run.status, validTime(run.endedAt), archivedAt, jsonb(run)];
}

export function outboxParams(item: OutboxItem): unknown[] {
  return [item.id, item.conversationId, item.runId, jsonb(item)];
}

export function conversationParams(conversation: ConversationRecord): unknown[] {
  return [conversation.conversationId, jsonb(conversation.reference), conversation.locale];
}

export function conversationOf(row: { conversation_id: string; reference: unknown; locale: string | null }) {
  return {
    conversationId: row.conversation_id,
    reference: row.reference as Record<string, unknown>,
    locale: row.locale,
  } satisfies ConversationRecord;
}

export interface RunnerRow {
  id: string;
  server: string;
  secret: string;
  created_at: string;
  last_seen_at: string | null;
  info: RunnerRecord['info'];
  facts: RunnerRecord['facts'];
}

export const RUNNER_COLUMNS = 'id, server, secret, created_at, last_seen_at, info, facts';

/** The server facts are present only once a runner reported them, as in the file store. */
export function runnerOf(row: RunnerRow): RunnerRecord {
  const record: RunnerRecord = {
    id: row.id,
    server: row.server,
    secret: row.secret,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    info: row.info ?? null,
  };
  if (row.facts) record.facts = row.facts;
  return record;
}

export function runnerParams(runner: RunnerRecord): unknown[] {
  return [
    runner.id,
    runner.server,
    runner.secret,
    runner.createdAt,
    runner.lastSeenAt ?? null,
    runner.info ? jsonb(runner.info) : null,
    runner.facts ? jsonb(runner.facts) : null,
  ];
}

export function packageParams(entry: CatalogPackage): unknown[] {
  return [entry.product, entry.version, jsonb(entry)];
}

export function changeParams(change: PackageChange): unknown[] {
  return [change.id, change.status, jsonb(change)];
}

export function auditParams(event: AuditEvent, at: Date): unknown[] {
  return [
    at,
    event.action,
    event.runId ?? null,
    event.server ?? null,
    event.conversationId ?? null,
    jsonb(event),
  ];
}

const AUDIT_FIELDS = ['at', 'action', 'actor', 'runId', 'server', 'conversationId', 'detail'];

/**
 * An audit event read back with its fields in the order the bot writes them (jsonb keeps keys in
 * an order of its own): an export reads the same from either store, "at" and "action" first.
 */
export function auditEventOf(stored: AuditEvent): AuditEvent {
  const ordered: Record<string, unknown> = {};
  for (const field of AUDIT_FIELDS) if (field in stored) ordered[field] = stored[field as keyof AuditEvent];
  return Object.assign(ordered, stored) as unknown as AuditEvent;
}

/** A time for a timestamptz column; a record with an unreadable one keeps it in its jsonb only. */
function validTime(text: string | null): Date | null {
  if (text === null) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}
