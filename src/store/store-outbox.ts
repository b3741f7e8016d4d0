import path from 'node:path';
import type { HotState } from './hot-state.js';
import { OutboxLog } from './outbox-log.js';
import type { RegistryWarn } from './runner-registry.js';
import { StoreWriteError, type OutboxDraft, type OutboxItem } from './store.js';

/** Lines after which a delivered message is recorded by a hot-file write (which empties the log). */
const OUTBOX_LOG_COMPACT_LINES = 500;

/** The hot file as the outbox sees it. Every call runs inside one of the store's mutations. */
export interface OutboxHotFile {
  readonly file: string;
  data(): HotState;
  /** Writes the hot file; runs `undo` and rejects when the write fails. */
  writeOrUndo(undo: () => void): Promise<void>;
}

/**
 * The Store's outbox: messages to Teams, queued in the hot file in the same write as the change
 * they report, and the outbox log (outbox-log.ts) of sends that started and deliveries Teams
 * took, appended instead of rewriting the hot file per message.
 */
export class StoreOutbox {
  private readonly log: OutboxLog;

  constructor(
    dir: string,
    private readonly hot: OutboxHotFile,
    private readonly now: () => Date,
    private readonly warn: RegistryWarn,
  ) {
    this.log = new OutboxLog(path.join(dir, 'outbox.log'));
  }

  private get state(): HotState {
    return this.hot.data();
  }

  /** Queues messages in memory (the caller writes) and says how to take them back. */
  queue(drafts: readonly OutboxDraft[]): { queued: OutboxItem[]; undo: () => void } {
    const { outbox, lastOutboxId } = this.state;
    const queued = drafts.map((draft) => this.queueOne(draft));
    return {
      queued,
      undo: () => {
        this.state.outbox = outbox;
        this.state.lastOutboxId = lastOutboxId;
      },
    };
  }

  async enqueue(draft: OutboxDraft): Promise<OutboxItem> {
    const { queued, undo } = this.queue([draft]);
    await this.hot.writeOrUndo(undo);
    return queued[0]!;
  }

  list(): OutboxItem[] {
    return [...this.state.outbox];
  }

  /**
   * Teams took the message: an append to the outbox log, not a rewrite of the whole hot file
   * (the hot file catches up with its next write, which empties the log, or when the log is long).
   */
  async complete(id: number): Promise<void> {
    const previous = this.state.outbox;
    if (!previous.some((o) => o.id === id)) return;
    this.state.outbox = previous.filter((o) => o.id !== id);
    if (this.log.length >= OUTBOX_LOG_COMPACT_LINES) {
      await this.hot.writeOrUndo(() => (this.state.outbox = previous));
      return;
    }
    try {
      await this.log.done(id);
    } catch (error) {
      this.state.outbox = previous;
      throw new StoreWriteError(this.log.file, error);
    }
  }

  async touch(id: number, attempts: number): Promise<void> {
    const item = this.state.outbox.find((o) => o.id === id);
    if (!item) return;
    const previous = item.attempts;
    item.attempts = attempts;
    await this.hot.writeOrUndo(() => (item.attempts = previous));
  }

  async markSending(id: number): Promise<void> {
    const item = this.state.outbox.find((o) => o.id === id);
    if (!item) return;
    const at = this.now().toISOString();
    try {
      await this.log.sending(id, at);
    } catch (error) {
      throw new StoreWriteError(this.log.file, error);
    }
    item.sendingSince = at;
  }

  /**
   * At start-up: drops the messages Teams took and marks the ones whose send a previous process
   * started and did not see through; then writes the hot file (which empties the log). A log
   * naming ids the hot file never gave out belongs to another hot file (one moved aside or
   * restored from a backup) and is set aside unread.
   */
  async applyLog(): Promise<void> {
    const { sending, done, highestId } = await this.log.read();
    if (this.log.length === 0) return;
    if (highestId > this.state.lastOutboxId) {
      const stale = await this.log.setAside();
      this.warn(
        `${this.log.file} names messages ${this.hot.file} never queued (was the hot file replaced?); ` +
          `set aside as ${stale}, unread.`,
        { file: this.log.file },
      );
      return;
    }
    const previous = this.state.outbox;
    this.state.outbox = previous.filter((item) => !done.has(item.id));
    for (const item of this.state.outbox) item.sendingSince ??= sending.get(item.id);
    await this.hot.writeOrUndo(() => (this.state.outbox = previous));
  }

  /**
   * The hot file was just written: it says all the log said. A log that could not be emptied only
   * repeats facts the hot file holds (ids are never reused), so that failure is harmless.
   */
  async hotFileWritten(): Promise<void> {
    await this.log.clear().catch(() => undefined);
  }

  private queueOne(draft: OutboxDraft): OutboxItem {
    const queued: OutboxItem = {
      ...draft,
      id: this.state.lastOutboxId + 1,
      createdAt: this.now().toISOString(),
      attempts: 0,
    };
    // An in-place card update supersedes an older, unsent update of the same message.
    const kept =
      queued.kind === 'update'
        ? this.state.outbox.filter((o) => !(o.kind === 'update' && o.activityId === queued.activityId))
        : this.state.outbox;
    this.state.outbox = [...kept, queued];
    this.state.lastOutboxId = queued.id;
    return queued;
  }
}
