import type { Logger } from '../log.js';
import type { OutboxItem, Store } from '../store/store.js';
import { ConversationPacer } from './pacing.js';

/** Sends to and updates messages in a conversation (botbuilder's proactive messaging in production). */
export interface ConversationSender {
  send(conversationId: string, activity: Record<string, unknown>): Promise<string | undefined>;
  update(conversationId: string, activityId: string, activity: Record<string, unknown>): Promise<void>;
}

export interface NotifierOptions {
  store: Store;
  sender: ConversationSender;
  logger: Logger;
  /** Called once Teams accepted a queued 'send' (e.g. to remember a run's card id). */
  onSent?: (item: OutboxItem, activityId: string | undefined) => Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  maxBackoffMs?: number;
  /** Attempts before a message that Teams refuses for good (4xx other than 412/429) is dropped. */
  maxPermanentFailures?: number;
  /**
   * The line put in front of a message sent again after a crash cut off its first send (Teams
   * may already show it), in the conversation's language.
   */
  resendNote?: (item: OutboxItem) => string;
}

const RETRYABLE = new Set([408, 412, 429, 500, 502, 503, 504]);

function statusOf(error: unknown): number | undefined {
  const e = error as { statusCode?: number; status?: number; response?: { status?: number } };
  return e?.statusCode ?? e?.status ?? e?.response?.status;
}

/** botbuilder throws a RestError: `statusCode`, and the raw response with case-insensitive headers. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { response?: { headers?: { get?: (name: string) => string | undefined } } })
    ?.response?.headers;
  const raw = headers?.get?.('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Delivers the outbox to Teams: in order per conversation, conversations in parallel, paced under
 * Teams' limits, retrying throttling (429), precondition (412) and gateway (502/504) answers with
 * backoff. An item leaves the outbox only once Teams took it, so a crash never loses a message.
 */
export class Notifier {
  private readonly pacer = new ConversationPacer();
  private readonly busy = new Set<string>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private stopped = false;
  private readonly inflight = new Set<Promise<void>>();
  /** Sends this process marked as going out; a mark that is not ours was left by a crash. */
  private readonly markedHere = new Set<number>();

  constructor(private readonly options: NotifierOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref?.()));
  }

  /** Starts delivering whatever is queued; call after every enqueue and once at start-up. */
  kick(): void {
    if (this.stopped) return;
    const conversations = new Set(this.options.store.outbox().map((o) => o.conversationId));
    for (const conversationId of conversations) {
      if (this.busy.has(conversationId)) continue;
      this.busy.add(conversationId);
      const work = this.drain(conversationId)
        .catch((error: unknown) =>
          this.options.logger.error({ err: error, conversationId }, 'delivering the outbox failed'),
        )
        .finally(() => {
          this.busy.delete(conversationId);
          this.inflight.delete(work);
          if (!this.stopped && this.options.store.outbox().some((o) => o.conversationId === conversationId))
            this.kick();
        });
      this.inflight.add(work);
    }
  }

  /** A turn's reply or card update went to the conversation: it fills the same windows. */
  noteSentInTurn(conversationId: string): void {
    this.pacer.record(conversationId, this.now());
  }

  /** Resolves when nothing is queued or being sent (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inflight]);
  }

  private async drain(conversationId: string): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const item = this.options.store.outbox().find((o) => o.conversationId === conversationId);
      if (!item) return;
      const wait = this.pacer.delayFor(conversationId, this.now());
      if (wait > 0) await this.sleep(wait);
      await this.deliver(item);
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    const { store, sender, logger } = this.options;
    let attempts = item.attempts;
    let permanentFailures = 0;
    const activity = this.inDoubt(item) ? this.markedAsRepeat(item) : item.activity;
    let taken: { id: string | undefined } | 'dropped' | null = null;
    for (;;) {
      if (this.stopped) return;
      if (taken === null) {
        try {
          if (item.kind === 'update' && item.activityId) {
            // Updates replace the message's content: sending one twice does no harm.
            const activityId = item.activityId;
            await this.paced(item, () => sender.update(item.conversationId, activityId, item.activity));
            taken = { id: activityId };
          } else {
            if (!this.markedHere.has(item.id)) {
              await store.markSending(item.id);
              this.markedHere.add(item.id);
            }
            taken = { id: await this.paced(item, () => sender.send(item.conversationId, activity)) };
          }
        } catch (error) {
          attempts += 1;
          const status = statusOf(error);
          const retryable = status === undefined || RETRYABLE.has(status);
          if (!retryable && ++permanentFailures >= (this.options.maxPermanentFailures ?? 3)) {
            logger.error(
              { err: error, status, outboxId: item.id, runId: item.runId },
              'Teams refused a message for good; dropped',
            );
            taken = 'dropped';
          } else {
            const backoff = this.backoffMs(attempts);
            const wait = retryAfterMs(error) ?? backoff * (0.75 + Math.random() / 2);
            logger.warn(
              { err: error, status, attempts, waitMs: Math.round(wait), outboxId: item.id },
              'Teams did not take a message; retrying',
            );
            // Only a count for the logs: a disk that refuses it must not stop delivery.
            await store.touchOutbox(item.id, attempts).catch(() => undefined);
            await this.sleep(wait);
            continue;
          }
        }
      }
      // Teams has the message (or refused it for good): record that, and never send it again,
      // however long the store takes to accept the record.
      try {
        await store.completeOutbox(item.id);
      } catch (error) {
        attempts += 1;
        logger.error(
          { err: error, outboxId: item.id },
          'Teams took a message but the store could not record it; retrying the record, not the message',
        );
        await this.sleep(this.backoffMs(attempts));
        continue;
      }
      this.markedHere.delete(item.id);
      if (taken !== 'dropped' && item.kind !== 'update') {
        await this.options
          .onSent?.(item, taken.id)
          .catch((error: unknown) =>
            logger.error({ err: error, outboxId: item.id }, 'recording what Teams answered failed'),
          );
      }
      return;
    }
  }

  /**
   * Makes one call to Teams and counts it in the conversation's windows when Teams' answer
   * arrives: Teams counted the message at some moment before that, so windows measured from the
   * answer are never tighter than Teams' own, however long the call took to leave this process.
   * A refused call counts too (the cautious side: nobody says whether Teams counts it).
   */
  private async paced<T>(item: OutboxItem, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } finally {
      this.pacer.record(item.conversationId, this.now());
    }
  }

  private backoffMs(attempts: number): number {
    return Math.min(this.options.maxBackoffMs ?? 60_000, 250 * 2 ** Math.min(attempts, 10));
  }

  /**
   * A send that a previous process had started and not finished: the bot died while Teams had it,
   * so Teams may already show it. Nobody can ask the Bot Connector, so it is sent again
   * (at-least-once) with a note saying it may be a repeat.
   */
  private inDoubt(item: OutboxItem): boolean {
    if (item.kind !== 'send' || item.sendingSince === undefined || this.markedHere.has(item.id)) return false;
    this.options.logger.warn(
      { outboxId: item.id, runId: item.runId, sendingSince: item.sendingSince },
      'a message was being sent when the bot stopped; sending it again, marked as a possible repeat',
    );
    return true;
  }

  private markedAsRepeat(item: OutboxItem): Record<string, unknown> {
    const note = this.options.resendNote?.(item);
    if (!note) return item.activity;
    const text = item.activity.text;
    return { ...item.activity, text: typeof text === 'string' && text !== '' ? `${note}\n\n${text}` : note };
  }
}
