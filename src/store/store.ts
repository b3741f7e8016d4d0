import type { RunnerInfo } from '../protocol/messages.js';
import type { ServerFacts } from '../procedure/index.js';
import type { CatalogPackage, PackageChange } from './package-catalog.js';
import type { RunSummary } from './server-history.js';
import type { Person, RunRecord } from './types.js';

export interface RunnerRecord {
  id: string;
  server: string;
  /** HMAC key shared with the runner; never logged, never shown after registration. */
  secret: string;
  createdAt: string;
  lastSeenAt: string | null;
  info: RunnerInfo | null;
  /** What the runner last read on its server (heartbeat `facts`); absent until it reports them. */
  facts?: ServerFacts | null | undefined;
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
  /**
   * Set on disk just before a 'send' goes to Teams. Found set by a later process, the bot died
   * while Teams had the message: Teams may or may not have posted it.
   */
  sendingSince?: string | undefined;
}

/** A message as it is queued; the store gives it its id, time and attempt count. */
export type OutboxDraft = Omit<OutboxItem, 'id' | 'createdAt' | 'attempts' | 'sendingSince'>;

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
  /**
   * Writes a run, and the messages about this change of it in the same write (so a crash never
   * keeps one without the other); a run in a final state leaves the hot file for the archive.
   */
  saveRun(run: RunRecord, messages?: readonly OutboxDraft[]): Promise<void>;
  /** Finished runs, newest first. */
  finishedRuns(filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]>;
  /** A run from the hot file or, if finished, from the archive. */
  findRun(id: number): Promise<RunRecord | undefined>;
  /**
   * A server's newest finished update runs (check runs left out; at most SERVER_HISTORY_RUNS),
   * newest first, from a small index kept as runs move to the archive: no archive read, so it
   * costs the same however long the history grows.
   */
  recentRuns(server: string): RunSummary[];

  /**
   * Runners are registry identity (runners/<id>.json, which register-runner changes while the
   * bot runs) merged with what the bot heard from them. An id not known yet is looked up in the
   * registry at once; what was read is trusted for at most RUNNER_RECHECK_MS (2 s), so a runner
   * removed by another process is refused within that time.
   */
  getRunner(id: string): RunnerRecord | undefined;
  /** Every registered runner, sorted by id; the registry is listed again at most every 2 s. */
  runners(): RunnerRecord[];
  /** Registers a runner (lab mode, tests; production uses register-runner) with its facts. */
  saveRunner(runner: RunnerRecord): Promise<void>;
  /**
   * Records a heartbeat's facts; does nothing for a runner that is not (or no longer) registered.
   * A beat that changes only lastSeenAt is held in memory until the next write of the store.
   */
  noteRunnerSeen(
    id: string,
    facts: Pick<RunnerRecord, 'lastSeenAt' | 'info'> & { facts?: ServerFacts | undefined },
  ): Promise<void>;
  /** Revokes a runner: its secret stops working at once in this process. */
  removeRunner(id: string): Promise<void>;

  /** The package catalog (packages.json), in the order entries were added. */
  packages(): CatalogPackage[];
  /** Package changes still waiting for approvals. */
  pendingPackageChanges(): PackageChange[];
  getPackageChange(id: number): PackageChange | undefined;
  /**
   * Writes a package change. A new one (id 0) gets its id. 'applied' changes the catalog in the
   * same write (add replaces an entry of the same product and version; remove drops it); a
   * decided change ('applied', 'rejected', 'expired') leaves the file. Resolves with the change as saved.
   */
  savePackageChange(change: PackageChange): Promise<PackageChange>;

  getConversation(id: string): ConversationRecord | undefined;
  saveConversation(conversation: ConversationRecord): Promise<void>;

  appendAudit(event: AuditEvent): Promise<void>;
  readAudit(since?: Date): Promise<AuditEvent[]>;

  enqueue(item: OutboxDraft): Promise<OutboxItem>;
  outbox(): OutboxItem[];
  completeOutbox(id: number): Promise<void>;
  touchOutbox(id: number, attempts: number): Promise<void>;
  /** Records that a 'send' is about to go to Teams (sendingSince), before it goes. */
  markSending(id: number): Promise<void>;

  /**
   * Whether the last write reached the disk (true before any write). Read by /readyz: cheap, no
   * I/O, so anyone may ask as often as they like without touching the store.
   */
  health(): { ok: boolean };

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

/** The data folder cannot be created or written (read-only, no permission, full, not a folder). */
export class StoreFolderError extends Error {
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(
      `The data folder ${dir} cannot be written (${describe(cause)}). The bot keeps its store there: ` +
        'check that the folder exists or can be created, its permissions and free space, or set PATCHBOT_DATA_DIR.',
      { cause },
    );
    this.name = 'StoreFolderError';
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
