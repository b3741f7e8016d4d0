import path from 'node:path';
import { Low } from 'lowdb';
import { AuditLog } from './audit-log.js';
import { HotFile } from './hot-file.js';
import {
  emptyHotState,
  parseHotState,
  restoreEntry,
  restoreRun,
  unneededConversations,
  type HotState,
} from './hot-state.js';
import { lockDataDir } from './lock.js';
import {
  addedEntry,
  PackageCatalogFile,
  withChange,
  type CatalogPackage,
  type PackageChange,
} from './package-catalog.js';
import { makePrivateDir, tightenDataDir } from './private-files.js';
import { RunArchive } from './run-archive.js';
import { ServerHistoryFile, type RunSummary } from './server-history.js';

import type { RunnerFacts } from './runner-records.js';
import type { RegistryWarn } from './runner-registry.js';
import { StoreOutbox } from './store-outbox.js';
import { StoreRunners, type RunnerFactsFile } from './store-runners.js';
import {
  StoreFolderError,
  StoreWriteError,
  type AuditEvent,
  type ConversationRecord,
  type OutboxDraft,
  type OutboxItem,
  type RunnerRecord,
  type Store,
} from './store.js';
import { FINAL_STATUSES, type RunRecord } from './types.js';

export interface OpenOptions {
  /**
   * Read without taking the lock, repairing or writing: for admin commands that only look
   * (they may run beside the bot). Every mutation rejects.
   */
  readOnly?: boolean;
  /** Where a runner registry file that cannot be used is reported (default: a process warning). */
  warn?: RegistryWarn;
  /** How long what was read from the runner registry is trusted (default RUNNER_RECHECK_MS). */
  runnerRecheckMs?: number;
  /** Append each write's changes to the journal instead of rewriting state.json (hot-file.ts). */
  journal?: boolean;
}

const isFinal = (run: RunRecord): boolean => FINAL_STATUSES.includes(run.status);

/** The longest a heartbeat's last-seen time stays in memory only. */
const SEEN_FLUSH_MS = 60_000;

/**
 * The hot file holds only live state. Its lowdb adapter (hot-file.ts) rewrites the snapshot by
 * temp file and rename, or (with `journal`) appends what each write changed to a journal beside
 * it, flushed to the disk, and rewrites the snapshot only now and then, at start and at close; a
 * crash never leaves a half-written store. This class is the single owner of the files: its mutations run one at a
 * time, each with its own write (lowdb would otherwise coalesce them and one failure could not
 * be told from another), and the lock keeps other processes out.
 *
 * Runner identities are not in the hot file but in the runner registry (runners/<id>.json,
 * src/store/runner-registry.ts), which register-runner changes while the bot runs; the hot file
 * keeps only what the bot heard from each runner (lastSeenAt, info). The outbox's own rules
 * (queueing, the outbox log of sends and deliveries) are in store-outbox.ts.
 */
export class LowdbStore implements Store {
  readonly file: string;
  private readonly db: Low<HotState>;
  private readonly archive: RunArchive;
  private readonly audit: AuditLog;
  private readonly outboxes: StoreOutbox;
  private readonly storeRunners: StoreRunners;
  private readonly hotFile: HotFile;
  private readonly catalog: PackageCatalogFile;
  private readonly history: ServerHistoryFile;
  private hotFileFound = false;
  private mutations: Promise<unknown> = Promise.resolve();
  /** Final runs still in the hot file whose archive copy is already written. */
  private readonly archivedButNotRemoved = new Set<number>();
  private releaseLock: () => void = () => undefined;
  private readonly warn: RegistryWarn;
  /** performance.now() of the last hot-file write. */
  private writtenAt = performance.now();
  private lastWriteFailed = false;

  private constructor(
    readonly dir: string,
    private readonly now: () => Date,
    private readonly readOnly: boolean,
    options: { warn: RegistryWarn; recheckMs?: number | undefined; journal?: boolean | undefined },
  ) {
    this.file = path.join(dir, 'state.json');
    this.warn = options.warn;
    const parse = (text: string) => {
      const state = parseHotState(text, this.file);
      this.hotFileFound = true;
      return state;
    };
    this.hotFile = new HotFile(this.file, parse, { journal: options.journal });
    this.db = new Low<HotState>(this.hotFile, emptyHotState());
    this.archive = new RunArchive(dir);
    this.audit = new AuditLog(dir);
    this.outboxes = new StoreOutbox(
      dir,
      { file: this.file, data: () => this.data, writeOrUndo: (undo) => this.writeOrUndo(undo) },
      now,
      this.warn,
    );
    this.storeRunners = new StoreRunners(dir, this.runnerFacts(), options);
    this.catalog = new PackageCatalogFile(dir);
    this.history = new ServerHistoryFile(dir);
  }

  static async open(
    dir: string,
    now: () => Date = () => new Date(),
    options: OpenOptions = {},
  ): Promise<LowdbStore> {
    const warn = options.warn ?? ((message: string) => process.emitWarning(message));
    const store = new LowdbStore(dir, now, options.readOnly ?? false, {
      warn,
      recheckMs: options.runnerRecheckMs,
      journal: options.journal,
    });
    if (store.readOnly) {
      await store.db.read();
      await store.catalog.read();
      await store.history.read();
      return store;
    }
    try {
      await makePrivateDir(dir);
      store.releaseLock = await lockDataDir(dir);
      // Files an older version (or a restore from backup) left readable to others.
      const tightened = await tightenDataDir(dir);
      if (tightened > 0)
        warn(`Made ${tightened} file(s) and folder(s) in the data folder private to this account.`, {
          file: dir,
        });
    } catch (error) {
      // A lock held by another process explains itself; a folder that refuses writes gets named.
      throw (error as NodeJS.ErrnoException).code ? new StoreFolderError(dir, error) : error;
    }
    try {
      await store.db.read();
      await store.catalog.read();
      await store.mutate(() => store.storeRunners.moveLegacyToRegistry());
      await store.repairAfterCrash();
      // The per-server index of finished runs: built from the whole archive when it is missing,
      // else caught up with the newest month (a crash may have come between archive and index).
      const indexed = await store.history.read();
      await store.history.record(await store.archive.recent(!indexed), !indexed);
      await store.mutate(() => store.outboxes.applyLog());
      // A snapshot that says all the journal said: the next start replays nothing.
      if (store.hotFile.journalPending) await store.mutate(() => store.writeSnapshot());
      return store;
    } catch (error) {
      store.releaseLock();
      throw error;
    }
  }

  private get data(): HotState {
    return this.db.data;
  }

  nextRunId(): Promise<number> {
    return this.mutate(async () => {
      const previous = this.data.lastRunId;
      this.data.lastRunId = previous + 1;
      await this.writeOrUndo(() => (this.data.lastRunId = previous));
      return this.data.lastRunId;
    });
  }

  getRun(id: number): RunRecord | undefined {
    return this.data.runs[String(id)];
  }

  /** A final run can linger in the hot file when its move to the archive failed; it is not live. */
  liveRuns(): RunRecord[] {
    return Object.values(this.data.runs).filter((run) => !isFinal(run));
  }

  saveRun(run: RunRecord, messages: readonly OutboxDraft[] = []): Promise<void> {
    return this.mutate(async () => {
      const key = String(run.id);
      const previous = this.data.runs[key];
      this.data.runs[key] = run;
      this.hotFile.changed('runs', key);
      const { undo: unqueue } = this.outboxes.queue(messages);
      await this.writeOrUndo(() => {
        restoreRun(this.data, key, previous, this.hotFile.saved<RunRecord>('runs', key));
        unqueue();
      });
      // The final state is on disk now (a restart would finish the move), so a failed move
      // leaves the run readable in the hot file and is retried with the next one.
      if (isFinal(run)) await this.moveFinishedToArchive().catch(() => undefined);
    });
  }

  async finishedRuns(filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]> {
    const lingering = Object.values(this.data.runs)
      .filter((run) => isFinal(run) && (filter.server === undefined || run.server === filter.server))
      .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? '') || b.id - a.id)
      .slice(0, Math.max(0, filter.limit));
    const skip = lingering.map((run) => run.id);
    const archived = await this.archive.newest({ ...filter, limit: filter.limit - lingering.length }, skip);
    return [...lingering, ...archived];
  }

  async findRun(id: number): Promise<RunRecord | undefined> {
    return this.getRun(id) ?? (await this.archive.find(id));
  }

  recentRuns(server: string): RunSummary[] {
    return this.history.recent(server);
  }

  getRunner(id: string): RunnerRecord | undefined {
    return this.storeRunners.get(id);
  }

  runners(): RunnerRecord[] {
    return this.storeRunners.all();
  }

  saveRunner(runner: RunnerRecord): Promise<void> {
    return this.mutate(() => this.storeRunners.save(runner));
  }

  noteRunnerSeen(id: string, facts: RunnerFacts): Promise<void> {
    return this.mutate(async () => {
      const noted = await this.storeRunners.noteSeen(id, facts);
      // Last-seen times held in memory reach the disk at least this often (the admin CLI reads them).
      if (noted === 'in memory' && performance.now() - this.writtenAt >= SEEN_FLUSH_MS)
        await this.writeOrUndo(() => undefined);
    });
  }

  removeRunner(id: string): Promise<void> {
    return this.mutate(() => this.storeRunners.remove(id));
  }

  packages(): CatalogPackage[] {
    return this.catalog.packages.map((entry) => structuredClone(entry));
  }

  pendingPackageChanges(): PackageChange[] {
    return this.catalog.changes.map((change) => structuredClone(change));
  }

  getPackageChange(id: number): PackageChange | undefined {
    const change = this.catalog.changes.find((c) => c.id === id);
    return change && structuredClone(change);
  }

  savePackageChange(change: PackageChange): Promise<PackageChange> {
    return this.mutate(() =>
      this.catalog.update((state) => {
        const saved = structuredClone(change);
        if (saved.id === 0) saved.id = state.lastChangeId += 1;
        Object.assign(state, withChange(state, saved, addedEntry(saved, this.now().toISOString())));
        return structuredClone(saved);
      }),
    );
  }

  getConversation(id: string): ConversationRecord | undefined {
    return this.data.conversations[id];
  }

  saveConversation(conversation: ConversationRecord): Promise<void> {
    return this.mutate(async () => {
      const id = conversation.conversationId;
      const previous = this.data.conversations[id];
      this.data.conversations[id] = conversation;
      await this.writeOrUndo(() => restoreEntry(this.data.conversations, id, previous));
    });
  }

  appendAudit(event: AuditEvent): Promise<void> {
    return this.audit.append(event);
  }

  readAudit(since?: Date): Promise<AuditEvent[]> {
    return this.audit.read(since);
  }

  enqueue(item: OutboxDraft): Promise<OutboxItem> {
    return this.mutate(() => this.outboxes.enqueue(item));
  }

  outbox(): OutboxItem[] {
    return this.outboxes.list();
  }

  completeOutbox(id: number): Promise<void> {
    return this.mutate(() => this.outboxes.complete(id));
  }

  touchOutbox(id: number, attempts: number): Promise<void> {
    return this.mutate(() => this.outboxes.touch(id, attempts));
  }

  markSending(id: number): Promise<void> {
    return this.mutate(() => this.outboxes.markSending(id));
  }

  health(): { ok: boolean } {
    return { ok: !this.lastWriteFailed };
  }

  /**
   * Waits for pending mutations and writes the whole snapshot once more (callers change runs in
   * place), which empties the journal; rejects when the file cannot be written. The store stays
   * usable, and keeps the lock until the process exits.
   */
  async close(): Promise<void> {
    if (!this.readOnly) await this.mutate(() => this.writeSnapshot());
  }

  private writeSnapshot(): Promise<void> {
    this.hotFile.compactAtNextWrite();
    return this.writeOrUndo(() => undefined);
  }

  /** Runs mutations one at a time, so each one's write and undo see only its own change. */
  private mutate<T>(mutation: () => Promise<T>): Promise<T> {
    if (this.readOnly) return Promise.reject(new Error(`The store ${this.file} was opened read-only.`));
    const done = this.mutations.then(mutation);
    this.mutations = done.catch(() => undefined);
    return done;
  }

  private async writeOrUndo(undo: () => void): Promise<void> {
    try {
      await this.db.write();
    } catch (error) {
      this.lastWriteFailed = true;
      undo();
      throw new StoreWriteError(this.file, error);
    }
    this.lastWriteFailed = false;
    this.writtenAt = performance.now();
    await this.outboxes.hotFileWritten();
  }

  /** The hot file's runner entries, for StoreRunners; each write runs inside a mutation. */
  private runnerFacts(): RunnerFactsFile {
    const runners = () => this.data.runners;
    return {
      read: runners,
      write: async (id, facts) => {
        const previous = runners()[id];
        if (facts === undefined && previous === undefined) return;
        if (facts === undefined) delete runners()[id];
        else runners()[id] = facts;
        await this.writeOrUndo(() => restoreEntry(runners(), id, previous));
      },
      touch: (id, lastSeenAt, facts) => {
        const entry = runners()[id];
        if (!entry) return;
        entry.lastSeenAt = lastSeenAt;
        if (facts) entry.facts = facts;
        this.hotFile.changed('runners', id);
      },
      writeAll: async (entries) => {
        const previous = runners();
        this.data.runners = entries;
        await this.writeOrUndo(() => (this.data.runners = previous));
      },
    };
  }

  /**
   * Moves every final run from the hot file to the archive: archive first, then the hot file.
   * A crash in between leaves the run in both places; the set (or, after a restart, a look
   * into the archive) keeps it from being archived twice.
   */
  private async moveFinishedToArchive(): Promise<void> {
    const finished = Object.values(this.data.runs).filter(isFinal);
    if (finished.length === 0) return;
    for (const run of finished) {
      if (this.archivedButNotRemoved.has(run.id)) continue;
      await this.archive.append(run, this.now());
      this.archivedButNotRemoved.add(run.id);
    }
    for (const run of finished) delete this.data.runs[String(run.id)];
    const dropped = this.dropUnneededConversations();
    await this.writeOrUndo(() => {
      for (const run of finished) this.data.runs[String(run.id)] = run;
      for (const conversation of dropped) this.data.conversations[conversation.conversationId] = conversation;
    });
    for (const run of finished) this.archivedButNotRemoved.delete(run.id);
    // Derived data: a failed write is caught up from the archive's newest month at the next start.
    await this.history.record(finished).catch((error: unknown) =>
      this.warn(`Could not update ${this.history.file}: ${(error as Error).message}`, {
        file: this.history.file,
      }),
    );
  }

  /** Removes (in memory) the conversation records nothing needs any more; returns them. */
  private dropUnneededConversations(): ConversationRecord[] {
    const dropped = unneededConversations(this.data, (run) => !isFinal(run));
    for (const conversation of dropped) delete this.data.conversations[conversation.conversationId];
    return dropped;
  }

  /**
   * Finishes a move to the archive that a crash interrupted, and keeps run ids from repeating
   * when the hot file was moved aside or restored from an older backup.
   */
  private async repairAfterCrash(): Promise<void> {
    const finished = new Set(
      Object.values(this.data.runs)
        .filter(isFinal)
        .map((run) => run.id),
    );
    if (finished.size > 0) {
      for (const id of await this.archive.holding(finished)) this.archivedButNotRemoved.add(id);
      await this.mutate(() => this.moveFinishedToArchive());
    }
    await this.mutate(async () => {
      const dropped = this.dropUnneededConversations();
      if (dropped.length === 0) return;
      await this.writeOrUndo(() => {
        for (const conversation of dropped)
          this.data.conversations[conversation.conversationId] = conversation;
      });
    });
    // Without a hot file every month is read; otherwise the newest month shows a stale backup.
    const highest = await this.archive.highestId(!this.hotFileFound);
    if (highest > this.data.lastRunId) {
      await this.mutate(async () => {
        const previous = this.data.lastRunId;
        this.data.lastRunId = highest;
        await this.writeOrUndo(() => (this.data.lastRunId = previous));
      });
    }
  }
}
