import pg from 'pg';
import type { CatalogPackage, PackageChange } from '../package-catalog.js';
import { RUNNER_RECHECK_MS } from '../runner-identities.js';
import type { RunnerFacts } from '../runner-records.js';
import { InvalidRunnerIdError, isSafeRunnerId, type RegistryWarn } from '../runner-registry.js';
import type { RunSummary } from '../server-history.js';
import type {
  AuditEvent,
  ConversationRecord,
  OutboxDraft,
  OutboxItem,
  RunnerRecord,
  Store,
} from '../store.js';
import type { RunRecord } from '../types.js';
import { clientConfig, STATEMENT_TIMEOUT_MS, targetOf, type PgTarget } from './connection.js';
import { bumpCounter, repairCounters, type LoadedState } from './load.js';
import { PgAudit } from './pg-audit.js';
import { PgCatalog } from './pg-catalog.js';
import { PgOutbox } from './pg-outbox.js';
import { PgRunners, runnerSql } from './pg-runners.js';
import { isFinal, PgRuns } from './pg-runs.js';
import { archiveRun, deleteConversations, saveConversationRow, saveLiveRun } from './pg-sql.js';
import { PgWriter } from './pg-writer.js';
import { prepare } from './prepare.js';
import { RUNNER_COLUMNS, type RunnerRow } from './rows.js';
import { RunnerWatch } from './runner-watch.js';

export interface PgOpenOptions {
  /** Never migrates nor writes (admin commands that only look, beside the running bot). */
  readOnly?: boolean;
  /** Where problems that do not stop the store are reported (default: a process warning). */
  warn?: RegistryWarn;
  /** How long a runner removed by another process may still be accepted (default RUNNER_RECHECK_MS). */
  runnerRecheckMs?: number;
  poolSize?: number;
}

/** The longest a heartbeat's last-seen time stays in memory only (as the file store). */
const SEEN_FLUSH_MS = 60_000;

/**
 * The Store on PostgreSQL, for bots that share one database (high availability). It keeps the
 * file store's contract: hot state (live runs, outbox, conversations, runners, catalog, the
 * per-server recent runs) is read at open and held in memory for synchronous reads; history
 * (finished runs, audit) is queried through its indexes. Each mutation is one transaction and
 * changes memory only once committed; a failed saveRun puts the caller's run object back to its
 * last saved contents (callers change runs in place), from the copy kept of each saved run.
 */
export class PgStore implements Store {
  private readonly runs: PgRuns;
  private readonly outboxes: PgOutbox;
  private readonly conversations = new Map<string, ConversationRecord>();
  private readonly catalog: PgCatalog;
  private readonly runnerMap: PgRunners;
  private readonly watch: RunnerWatch;
  private readonly writer: PgWriter;
  private readonly audit: PgAudit;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    target: PgTarget,
    private readonly now: () => Date,
    url: string,
    options: { readOnly: boolean; recheckMs: number },
  ) {
    this.writer = new PgWriter(pool, target, options.readOnly);
    this.audit = new PgAudit(this.writer);
    const write = this.write.bind(this);
    this.runs = new PgRuns((sql, params) => this.writer.read(sql, params));
    this.outboxes = new PgOutbox(write, now);
    this.catalog = new PgCatalog(write, now);
    // An idle pooled connection the server dropped: reported by health(), replaced on next use.
    pool.on('error', () => this.writer.connection(true));
    this.runnerMap = new PgRunners(
      async () => (await pool.query<RunnerRow>(`SELECT ${RUNNER_COLUMNS} FROM runners`)).rows,
      (ok) => this.writer.connection(!ok),
      options.recheckMs,
    );
    this.watch = new RunnerWatch(
      this.runnerMap,
      () => new pg.Client(clientConfig(url)),
      () => this.writer.connection(true),
      Math.max(20, Math.floor(options.recheckMs / 2)),
    );
  }

  static async open(
    url: string,
    now: () => Date = () => new Date(),
    options: PgOpenOptions = {},
  ): Promise<PgStore> {
    const target = targetOf(url);
    const warn = options.warn ?? ((message: string) => process.emitWarning(message));
    const readOnly = options.readOnly ?? false;
    const state = await prepare(url, target, { readOnly, warn });
    const pool = new pg.Pool({
      ...clientConfig(url, { size: options.poolSize ?? 4, statementTimeoutMs: STATEMENT_TIMEOUT_MS }),
    });
    const store = new PgStore(pool, target, now, url, {
      readOnly,
      recheckMs: options.runnerRecheckMs ?? RUNNER_RECHECK_MS,
    });
    store.load(state);
    try {
      if (!readOnly) await store.repair();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    store.watch.start();
    return store;
  }

  nextRunId(): Promise<number> {
    return this.mutate(() => this.write((client) => bumpCounter(client, 'lastRunId', 1)));
  }

  getRun(id: number): RunRecord | undefined {
    return this.runs.get(id);
  }

  liveRuns(): RunRecord[] {
    return this.runs.liveRuns();
  }

  saveRun(run: RunRecord, messages: readonly OutboxDraft[] = []): Promise<void> {
    return this.mutate(async () => {
      const saved = structuredClone(run);
      const previous = this.runs.get(run.id);
      const final = isFinal(saved);
      let outcome;
      try {
        outcome = await this.write(async (client) => {
          const queued = await this.outboxes.queue(client, messages);
          if (!final) {
            await saveLiveRun(client, saved);
            return { queued, dropped: [] };
          }
          await archiveRun(client, saved, this.now());
          const dropped = this.unneededConversations(run.id, queued.list);
          await deleteConversations(client, dropped);
          return { queued, dropped };
        });
      } catch (error) {
        this.runs.restore(previous);
        throw error;
      }
      this.outboxes.committed(outcome.queued);
      this.runs.committed(run, saved);
      for (const id of outcome.dropped) this.conversations.delete(id);
    });
  }

  finishedRuns(filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]> {
    return this.runs.finished(filter);
  }

  findRun(id: number): Promise<RunRecord | undefined> {
    return this.runs.find(id);
  }

  recentRuns(server: string): RunSummary[] {
    return this.runs.recentRuns(server);
  }

  getRunner(id: string): RunnerRecord | undefined {
    return this.runnerMap.get(id);
  }

  runners(): RunnerRecord[] {
    return this.runnerMap.all();
  }

  saveRunner(runner: RunnerRecord): Promise<void> {
    if (!isSafeRunnerId(runner.id)) return Promise.reject(new InvalidRunnerIdError(runner.id));
    return this.mutate(async () => {
      await this.write((client) => runnerSql.save(client, runner));
      this.runnerMap.saved(runner);
    });
  }

  noteRunnerSeen(id: string, facts: RunnerFacts): Promise<void> {
    return this.mutate(async () => {
      const outcome = this.runnerMap.noteSeen(id, facts);
      if (outcome.kind === 'write') {
        await this.write((client) => runnerSql.facts(client, outcome.runner));
        this.runnerMap.factsWritten(outcome.runner);
      } else if (outcome.kind === 'in memory' && performance.now() - this.writer.writtenAt >= SEEN_FLUSH_MS) {
        // Held times reach the database at least this often (other processes read them).
        await this.write(async () => undefined);
      }
    });
  }

  removeRunner(id: string): Promise<void> {
    return this.mutate(async () => {
      await this.write((client) => runnerSql.remove(client, id));
      this.runnerMap.removed(id);
    });
  }

  packages(): CatalogPackage[] {
    return this.catalog.packages();
  }

  pendingPackageChanges(): PackageChange[] {
    return this.catalog.changes();
  }

  getPackageChange(id: number): PackageChange | undefined {
    return this.catalog.change(id);
  }

  savePackageChange(change: PackageChange): Promise<PackageChange> {
    return this.mutate(() => this.catalog.save(change));
  }

  getConversation(id: string): ConversationRecord | undefined {
    return this.conversations.get(id);
  }

  saveConversation(conversation: ConversationRecord): Promise<void> {
    return this.mutate(async () => {
      await this.write((client) => saveConversationRow(client, conversation));
      this.conversations.set(conversation.conversationId, conversation);
    });
  }

  /** Appends at once, beside the mutations (as the file store's audit log): nothing in memory to keep in step. */
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
    return this.mutate(() => this.outboxes.change(id, () => ({ attempts })));
  }

  markSending(id: number): Promise<void> {
    return this.mutate(() => this.outboxes.change(id, () => ({ sendingSince: this.now().toISOString() })));
  }

  health(): { ok: boolean } {
    return this.writer.health();
  }

  /**
   * Waits for pending mutations and audit appends, writes the last-seen times held in memory,
   * and closes every connection. Rejects when those times could not be written; the store is
   * closed either way.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.writer.closed = true;
      const flushed = this.writer.queue(async () => {
        if (this.runnerMap.heldBeats().length > 0) await this.write(async () => undefined);
      });
      await flushed.catch(() => undefined);
      await this.audit.settled();
      await this.watch.stop();
      await this.pool.end().catch(() => undefined);
      await flushed;
    })();
    return this.closing;
  }

  private mutate<T>(mutation: () => Promise<T>): Promise<T> {
    return this.writer.mutate(mutation);
  }

  /** A mutation's transaction, which also writes the last-seen times held in memory. */
  private async write<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const beats = this.runnerMap.heldBeats();
    const result = await this.writer.transaction(async (client) => {
      await runnerSql.seen(client, beats);
      return work(client);
    });
    this.runnerMap.beatsWritten(beats);
    return result;
  }

  /**
   * Conversation records nothing needs once `finishing` leaves the live runs (no language chosen,
   * no live run, no queued message), as the file store drops them: every channel thread is a
   * conversation of its own, and the next message in a dropped one saves it again.
   */
  private unneededConversations(finishing: number | null, outbox: readonly OutboxItem[]): string[] {
    const needed = this.runs.conversationsInUse(finishing);
    for (const item of outbox) needed.add(item.conversationId);
    return [...this.conversations.values()]
      .filter((c) => c.locale === null && !needed.has(c.conversationId))
      .map((c) => c.conversationId);
  }

  private load(state: LoadedState): void {
    this.runs.load(state.runs, state.recent);
    this.outboxes.load(state.outbox);
    for (const conversation of state.conversations)
      this.conversations.set(conversation.conversationId, conversation);
    this.runnerMap.load(state.runners);
    this.catalog.load(state.packages, state.changes);
  }

  /**
   * At start: archives final runs a writer left among the live ones (an import, an older tool),
   * drops conversations nothing needs, and keeps the counters above every id in use.
   */
  private async repair(): Promise<void> {
    const lingering = this.runs.lingering();
    await this.mutate(async () => {
      // Final runs count as not live already: what they leave unneeded is dropped with them.
      const dropped = await this.write(async (client) => {
        for (const run of lingering) await archiveRun(client, run, this.now());
        const unneeded = this.unneededConversations(null, this.outboxes.list());
        await deleteConversations(client, unneeded);
        await repairCounters(client);
        return unneeded;
      });
      for (const run of lingering) this.runs.committed(run, run);
      for (const id of dropped) this.conversations.delete(id);
    });
  }
}
