import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { MonthlyJsonl } from './jsonl.js';
import {
  StoreCorruptError,
  type AuditEvent,
  type ConversationRecord,
  type OutboxItem,
  type RunnerRecord,
  type Store,
} from './store.js';
import { FINAL_STATUSES, type RunRecord } from './types.js';

/** The hot file: only what is live. Finished runs and audit events live in monthly JSONL files. */
interface HotState {
  version: 1;
  lastRunId: number;
  lastOutboxId: number;
  runs: Record<string, RunRecord>;
  runners: Record<string, RunnerRecord>;
  conversations: Record<string, ConversationRecord>;
  outbox: OutboxItem[];
}

const EMPTY: HotState = {
  version: 1,
  lastRunId: 0,
  lastOutboxId: 0,
  runs: {},
  runners: {},
  conversations: {},
  outbox: [],
};

/**
 * lowdb rewrites its whole file on each write, so the hot file holds only live state and stays
 * small; lowdb's writer (steno) writes to a temp file and renames it, so a crash never leaves a
 * half-written store. This class is the single owner of the file: all writes go through it.
 */
export class LowdbStore implements Store {
  private constructor(
    private readonly db: Low<HotState>,
    private readonly archive: MonthlyJsonl<RunRecord>,
    private readonly audit: MonthlyJsonl<AuditEvent>,
    private readonly now: () => Date,
  ) {}

  static async open(dir: string, now: () => Date = () => new Date()): Promise<LowdbStore> {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'state.json');
    const adapter = new DataFile<HotState>(file, {
      parse: (text) => {
        try {
          return JSON.parse(text) as HotState;
        } catch (error) {
          throw new StoreCorruptError(file, error);
        }
      },
      stringify: (data) => JSON.stringify(data),
    });
    const db = new Low<HotState>(adapter, structuredClone(EMPTY));
    await db.read();
    if (db.data.version !== 1 || typeof db.data.runs !== 'object') {
      throw new StoreCorruptError(file, new Error('unexpected layout'));
    }
    const store = new LowdbStore(
      db,
      new MonthlyJsonl(path.join(dir, 'archive'), 'runs'),
      new MonthlyJsonl(path.join(dir, 'audit'), 'audit'),
      now,
    );
    await store.archiveFinished();
    return store;
  }

  async nextRunId(): Promise<number> {
    this.db.data.lastRunId += 1;
    await this.db.write();
    return this.db.data.lastRunId;
  }

  getRun(id: number): RunRecord | undefined {
    return this.db.data.runs[String(id)];
  }

  liveRuns(): RunRecord[] {
    return Object.values(this.db.data.runs);
  }

  async saveRun(run: RunRecord): Promise<void> {
    if (FINAL_STATUSES.includes(run.status)) {
      // Archive first: a crash in between leaves the run in both places, and open() finishes the move.
      await this.archive.append(run, this.now());
      delete this.db.data.runs[String(run.id)];
    } else {
      this.db.data.runs[String(run.id)] = run;
    }
    await this.db.write();
  }

  async finishedRuns(filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]> {
    const seen = new Set<number>();
    return this.archive.readNewestFirst((run) => {
      if (seen.has(run.id)) return false;
      seen.add(run.id);
      return filter.server === undefined || run.server === filter.server;
    }, filter.limit);
  }

  async findRun(id: number): Promise<RunRecord | undefined> {
    return this.getRun(id) ?? (await this.archive.readNewestFirst((run) => run.id === id, 1))[0];
  }

  getRunner(id: string): RunnerRecord | undefined {
    return this.db.data.runners[id];
  }

  runners(): RunnerRecord[] {
    return Object.values(this.db.data.runners);
  }

  async saveRunner(runner: RunnerRecord): Promise<void> {
    this.db.data.runners[runner.id] = runner;
    await this.db.write();
  }

  async removeRunner(id: string): Promise<void> {
    delete this.db.data.runners[id];
    await this.db.write();
  }

  getConversation(id: string): ConversationRecord | undefined {
    return this.db.data.conversations[id];
  }

  async saveConversation(conversation: ConversationRecord): Promise<void> {
    this.db.data.conversations[conversation.conversationId] = conversation;
    await this.db.write();
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    await this.audit.append(event, new Date(event.at));
  }

  readAudit(since?: Date): Promise<AuditEvent[]> {
    return this.audit
      .readSince(since)
      .then((events) => (since ? events.filter((e) => new Date(e.at) >= since) : events));
  }

  async enqueue(item: Omit<OutboxItem, 'id' | 'createdAt' | 'attempts'>): Promise<OutboxItem> {
    const queued: OutboxItem = {
      ...item,
      id: ++this.db.data.lastOutboxId,
      createdAt: this.now().toISOString(),
      attempts: 0,
    };
    if (queued.kind === 'update') {
      // An in-place card update supersedes an older, unsent update of the same message.
      this.db.data.outbox = this.db.data.outbox.filter(
        (o) => !(o.kind === 'update' && o.activityId === queued.activityId),
      );
    }
    this.db.data.outbox.push(queued);
    await this.db.write();
    return queued;
  }

  outbox(): OutboxItem[] {
    return [...this.db.data.outbox];
  }

  async completeOutbox(id: number): Promise<void> {
    this.db.data.outbox = this.db.data.outbox.filter((o) => o.id !== id);
    await this.db.write();
  }

  async touchOutbox(id: number, attempts: number): Promise<void> {
    const item = this.db.data.outbox.find((o) => o.id === id);
    if (item) item.attempts = attempts;
    await this.db.write();
  }

  async close(): Promise<void> {
    await this.db.write();
  }

  /** Completes a move to the archive that a crash interrupted. */
  private async archiveFinished(): Promise<void> {
    const finished = Object.values(this.db.data.runs).filter((r) => FINAL_STATUSES.includes(r.status));
    if (finished.length === 0) return;
    const archived = new Set(
      (await this.archive.readNewestFirst((r) => finished.some((f) => f.id === r.id), finished.length)).map(
        (r) => r.id,
      ),
    );
    for (const run of finished) {
      if (!archived.has(run.id)) await this.archive.append(run, this.now());
      delete this.db.data.runs[String(run.id)];
    }
    await this.db.write();
  }
}
