import type { HotState } from './hot-state.js';
import { readJournal, type JournalChange, type JournalRead } from './hot-journal.js';
import { StoreCorruptError, type OutboxItem } from './store.js';

type Section = 'runs' | 'runners' | 'conversations';
const SECTIONS: readonly Section[] = ['runs', 'runners', 'conversations'];

/** The hot state a snapshot and its journal hold together, with what the journal was found to hold. */
export interface Replayed {
  state: HotState | null;
  /** The snapshot's generation: journal lines naming it continue it. */
  gen: string | null;
  journal: JournalRead;
}

/**
 * Builds the hot state from the snapshot's text (`parse` checks its layout) and the journal's
 * bytes. Pure, so that a reader outside the store (a test, an admin view) sees what a restart
 * would see. A journal that cannot be replayed is corruption, as a damaged snapshot is.
 */
export function replayHotState(
  snapshot: string | null,
  journal: Buffer | null,
  parse: (text: string) => HotState,
  journalFile: string,
): Replayed {
  const state = snapshot === null ? null : parse(snapshot);
  const gen = state === null ? null : takeGeneration(state);
  try {
    const read = readJournal(journal, gen);
    if (state !== null) for (const change of read.changes) applyChange(state, change);
    return { state, gen, journal: read };
  } catch (error) {
    throw new StoreCorruptError(journalFile, error);
  }
}

/** The snapshot names its generation in a field of its own, which the state in memory does not carry. */
function takeGeneration(state: HotState): string | null {
  const holder = state as HotState & { journal?: unknown };
  const gen = holder.journal;
  delete holder.journal;
  return typeof gen === 'string' ? gen : null;
}

/** Applies one journal line; a line that does not fit the hot state's layout is damage. */
export function applyChange(state: HotState, change: JournalChange): void {
  for (const counter of ['lastRunId', 'lastOutboxId'] as const) {
    const value = change[counter];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) throw damaged(change, `${counter} is not a whole number`);
    state[counter] = value;
  }
  for (const section of SECTIONS) {
    const records = change[section];
    if (records === undefined) continue;
    if (!isRecord(records)) throw damaged(change, `${section} is not a map`);
    const target = state[section] as Record<string, object>;
    for (const [key, record] of Object.entries(records)) {
      if (record === null) delete target[key];
      else if (isRecord(record)) target[key] = record;
      else throw damaged(change, `${section} ${key} is not a record`);
    }
  }
  if (change.outboxAll !== undefined) state.outbox = items(change, change.outboxAll);
  const gone = change.outboxGone ?? [];
  if (!Array.isArray(gone) || !gone.every(Number.isSafeInteger))
    throw damaged(change, 'outboxGone is not a list');
  if (gone.length > 0) state.outbox = state.outbox.filter((item) => !gone.includes(item.id));
  for (const item of items(change, change.outbox ?? [])) {
    const at = state.outbox.findIndex((queued) => queued.id === item.id);
    if (at < 0) state.outbox.push(item);
    else state.outbox[at] = item;
  }
}

function items(change: JournalChange, list: unknown): OutboxItem[] {
  if (!Array.isArray(list) || !list.every((item) => isRecord(item) && Number.isSafeInteger(item.id)))
    throw damaged(change, 'an outbox list is not a list of messages');
  return list as OutboxItem[];
}

function damaged(change: JournalChange, problem: string): Error {
  return new Error(`journal change ${change.seq}: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
