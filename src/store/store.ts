import type { RunnerInfo } from '../protocol/messages.js';
import type { Person, RunRecord } from './types.js';

export interface RunnerRecord {
  id: string;
  server: string;
  /** HMAC key shared with the runner; never logged, never shown after registration. */
  secret: string;
  createdAt: string;
  lastSeenAt: string | null;
  info: RunnerInfo | null;
}

/** Enough of a Bot Framework conversation reference to message the conversation later. */
export interface ConversationRecord {
  conversationId: string;
  reference: Record<string, unknown>;
  /** Language chosen with the `language` command; null = each requester's own. */
  locale: string | null;
}

export interface AuditEvent {
  at: string;
  /** request, confirm, approve, reject, refuse, cancel, retry, abort, step-result, runner-connect, ... */
  action: string;
  actor: Person | { runnerId: string } | { system: true };
  runId?: number | undefined;
  server?: string | undefined;
  conversationId?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

/** A message to Teams that must not be lost: written before it is sent, removed once Teams took it. */
export interface OutboxItem {
  id: number;
  conversationId: string;
  runId: number | null;
  /** 'send' posts a new message; 'update' replaces the message `activityId` (latest wins). */
  kind: 'send' | 'update';
  activityId?: string | undefined;
  /** What to do with the new message's id once Teams answers (e.g. remember it as the run's card). */
  onSent?: { rememberAsCardOf: number } | undefined;
  activity: Record<string, unknown>;
  createdAt: string;
  attempts: number;
}

/**
 * The bot's persistence, behind one small interface so a shared store can replace the lowdb
 * file without touching dialogs. Reads of hot state are synchronous (held in memory); every
 * mutation resolves once it is on disk. A mutation that cannot reach the disk rejects and is
 * undone in memory, so what the bot sees never runs ahead of what a restart would find. Runs
 * are shared objects (callers change a run from getRun and then save it): a failed saveRun
 * puts that object back to its last saved contents.
 */
export interface Store {
  nextRunId(): Promise<number>;
  getRun(id: number): RunRecord | undefined;
  /** Runs not yet in a final state. */
  liveRuns(): RunRecord[];
  /** Writes a run; a run in a final state leaves the hot file for the archive. */
  saveRun(run: RunRecord): Promise<void>;
  /** Finished runs, newest first. */
  finishedRuns(filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]>;
  /** A run from the hot file or, if finished, from the archive. */
  findRun(id: number): Promise<RunRecord | undefined>;

  getRunner(id: string): RunnerRecord | undefined;
  runners(): RunnerRecord[];
  saveRunner(runner: RunnerRecord): Promise<void>;
  removeRunner(id: string): Promise<void>;

  getConversation(id: string): ConversationRecord | undefined;
  saveConversation(conversation: ConversationRecord): Promise<void>;

  appendAudit(event: AuditEvent): Promise<void>;
  readAudit(since?: Date): Promise<AuditEvent[]>;

  enqueue(item: Omit<OutboxItem, 'id' | 'createdAt' | 'attempts'>): Promise<OutboxItem>;
  outbox(): OutboxItem[];
  completeOutbox(id: number): Promise<void>;
  touchOutbox(id: number, attempts: number): Promise<void>;

  /** Finishes pending writes; rejects if the file cannot be written. The store stays usable. */
  close(): Promise<void>;
}

export class StoreCorruptError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(
      `The store file ${file} is damaged (${describe(cause)}). ` +
        'The bot stopped without touching it: restore it from a backup or move it aside to start empty.',
    );
    this.name = 'StoreCorruptError';
  }
}

/** A write that did not reach the disk. The file still holds the state before the change. */
export class StoreWriteError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(
      `Could not write the store file ${file} (${describe(cause)}). ` +
        'The change was not saved; the file still holds the previous state. Check free space and permissions.',
      { cause },
    );
    this.name = 'StoreWriteError';
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
