import type pg from 'pg';
import type { OutboxDraft, OutboxItem } from '../store.js';
import { bumpCounter } from './load.js';
import { jsonb, outboxParams } from './rows.js';

/** A store's transaction (PgStore.write): runs `work` in one, rejects with PgStoreWriteError. */
export type Write = <T>(work: (client: pg.ClientBase) => Promise<T>) => Promise<T>;

/** The outbox after drafts were queued. */
export interface Queued {
  /** The whole outbox as it is once the transaction commits. */
  list: OutboxItem[];
  /** The queued messages, one per draft. */
  queued: OutboxItem[];
}

/**
 * The store's outbox: messages to Teams, queued in the same transaction as the change they
 * report, held in memory for the notifier. Every call runs inside one of the store's mutations;
 * memory changes once the transaction committed.
 */
export class PgOutbox {
  private items: OutboxItem[] = [];

  constructor(
    private readonly write: Write,
    private readonly now: () => Date,
  ) {}

  load(items: OutboxItem[]): void {
    this.items = items;
  }

  list(): OutboxItem[] {
    return [...this.items];
  }

  /**
   * Queues drafts in the caller's transaction, with the file store's rules: ids follow
   * lastOutboxId, and an in-place card update supersedes an older, unsent update of the same
   * message, queued before or in the same batch. Pass the result to committed() once it commits.
   */
  async queue(client: pg.ClientBase, drafts: readonly OutboxDraft[]): Promise<Queued> {
    if (drafts.length === 0) return { list: [...this.items], queued: [] };
    const last = await bumpCounter(client, 'lastOutboxId', drafts.length);
    const createdAt = this.now().toISOString();
    let list = [...this.items];
    const queued = drafts.map((draft, index): OutboxItem => {
      const item: OutboxItem = { ...draft, id: last - drafts.length + index + 1, createdAt, attempts: 0 };
      if (item.kind === 'update')
        list = list.filter((o) => !(o.kind === 'update' && o.activityId === item.activityId));
      list.push(item);
      return item;
    });
    const kept = new Set(list.map((item) => item.id));
    const superseded = this.items.filter((item) => !kept.has(item.id)).map((item) => item.id);
    if (superseded.length > 0)
      await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [superseded]);
    for (const item of queued.filter((q) => kept.has(q.id)))
      await client.query(
        'INSERT INTO outbox (id, conversation_id, run_id, item) VALUES ($1, $2, $3, $4::jsonb)',
        outboxParams(item),
      );
    return { list, queued };
  }

  committed(queued: Queued): void {
    this.items = queued.list;
  }

  async enqueue(draft: OutboxDraft): Promise<OutboxItem> {
    const queued = await this.write((client) => this.queue(client, [draft]));
    this.committed(queued);
    return queued.queued[0]!;
  }

  async complete(id: number): Promise<void> {
    if (!this.items.some((o) => o.id === id)) return;
    await this.write((client) => client.query('DELETE FROM outbox WHERE id = $1', [id]));
    this.items = this.items.filter((o) => o.id !== id);
  }

  /** Changes a queued message's fields (attempts, sendingSince); nothing for one that is gone. */
  async change(id: number, fields: () => Partial<OutboxItem>): Promise<void> {
    const item = this.items.find((o) => o.id === id);
    if (!item) return;
    const changed = fields();
    await this.write((client) =>
      client.query('UPDATE outbox SET item = $2::jsonb WHERE id = $1', [id, jsonb({ ...item, ...changed })]),
    );
    Object.assign(item, changed);
  }
}
