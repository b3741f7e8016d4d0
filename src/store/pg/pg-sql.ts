import type pg from 'pg';
import type { ConversationRecord } from '../store.js';
import type { RunRecord } from '../types.js';
import { archivedParams, conversationParams, runParams } from './rows.js';

/** The statements of the store's changes; each runs in the caller's transaction. */

export async function saveLiveRun(client: pg.ClientBase, run: RunRecord): Promise<void> {
  await client.query(
    `INSERT INTO runs (id, server, status, record) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (id) DO UPDATE SET server = EXCLUDED.server, status = EXCLUDED.status, record = EXCLUDED.record`,
    runParams(run),
  );
}

/** A final run leaves `runs` for `archived_runs`; saved again later, its archived copy is replaced. */
export async function archiveRun(client: pg.ClientBase, run: RunRecord, at: Date): Promise<void> {
  await client.query(
    `INSERT INTO archived_runs (id, server, kind, status, ended_at, archived_at, record)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
     ON CONFLICT (id) DO UPDATE SET server = EXCLUDED.server, kind = EXCLUDED.kind, status = EXCLUDED.status,
       ended_at = EXCLUDED.ended_at, archived_at = EXCLUDED.archived_at, record = EXCLUDED.record`,
    archivedParams(run, at),
  );
  await client.query('DELETE FROM runs WHERE id = $1', [run.id]);
}

export async function saveConversationRow(
  client: pg.ClientBase,
  conversation: ConversationRecord,
): Promise<void> {
  await client.query(
    `INSERT INTO conversations (conversation_id, reference, locale) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (conversation_id) DO UPDATE SET reference = EXCLUDED.reference, locale = EXCLUDED.locale`,
    conversationParams(conversation),
  );
}

export async function deleteConversations(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await client.query('DELETE FROM conversations WHERE conversation_id = ANY($1::text[])', [ids]);
}
