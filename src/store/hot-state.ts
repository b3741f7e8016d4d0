import type { StoredRunner } from './runner-records.js';
import { StoreCorruptError, type ConversationRecord, type OutboxItem } from './store.js';
import type { RunRecord } from './types.js';

/**
 * The hot file: only what is live. Finished runs and audit events live in monthly JSONL files,
 * runner identities (with their secrets) in the runner registry; `runners` holds only what the
 * bot heard from each runner.
 */
export interface HotState {
  version: 1;
  lastRunId: number;
  lastOutboxId: number;
  runs: Record<string, RunRecord>;
  runners: Record<string, StoredRunner>;
  conversations: Record<string, ConversationRecord>;
  outbox: OutboxItem[];
}

export function emptyHotState(): HotState {
  return { version: 1, lastRunId: 0, lastOutboxId: 0, runs: {}, runners: {}, conversations: {}, outbox: [] };
}

/**
 * Parses the hot file and checks its layout. Anything unexpected is corruption: starting empty
 * instead would overwrite the operator's data at the next write.
 */
export function parseHotState(text: string, file: string): HotState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(file, error);
  }
  const problem = layoutProblem(data);
  if (problem) throw new StoreCorruptError(file, new Error(problem));
  return data as HotState;
}

/**
 * Puts a run back as the file has it (`saved`, a fresh copy). An object the store already held
 * is reset in place, because the caller that changed it holds the same object.
 */
export function restoreRun(
  state: HotState,
  key: string,
  previous: RunRecord | undefined,
  saved: RunRecord | undefined,
): void {
  if (saved === undefined) {
    delete state.runs[key];
  } else if (previous === undefined) {
    state.runs[key] = saved;
  } else {
    for (const field of Object.keys(previous)) delete (previous as unknown as Record<string, unknown>)[field];
    state.runs[key] = Object.assign(previous, saved);
  }
}

/**
 * Conversation records nothing needs any more: no language chosen for them, no live run and no
 * queued message in them. Every channel thread is a conversation of its own, so without this
 * the hot file would grow with every thread ever used; the next message in a dropped one saves
 * it again.
 */
export function unneededConversations(
  state: HotState,
  isLive: (run: RunRecord) => boolean,
): ConversationRecord[] {
  const needed = new Set<string>();
  for (const run of Object.values(state.runs)) if (isLive(run)) needed.add(run.conversationId);
  for (const item of state.outbox) needed.add(item.conversationId);
  return Object.values(state.conversations).filter(
    (conversation) => conversation.locale === null && !needed.has(conversation.conversationId),
  );
}

export function restoreEntry<T>(map: Record<string, T>, key: string, previous: T | undefined): void {
  if (previous === undefined) delete map[key];
  else map[key] = previous;
}

function layoutProblem(data: unknown): string | null {
  if (!isRecord(data)) return 'the top level is not an object';
  if (data.version !== 1) return `unknown version ${JSON.stringify(data.version) ?? 'undefined'}`;
  for (const counter of ['lastRunId', 'lastOutboxId'] as const) {
    const value = data[counter];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      return `${counter} is not a whole number`;
    }
  }
  for (const map of ['runs', 'runners', 'conversations'] as const) {
    if (!isRecord(data[map]) || !Object.values(data[map]).every(isRecord))
      return `${map} is not a map of records`;
  }
  if (!Array.isArray(data.outbox) || !data.outbox.every(isRecord)) return 'outbox is not a list of records';
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
