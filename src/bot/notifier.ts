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
      const work = this.drain(conversationId).finally(() => {
        this.busy.delete(conversationId);
        this.inflight.delete(work);
        if (!this.stopped && this.options.store.outbox().some((o) => o.conversationId === conversationId))
          this.kick();
      });
      this.inflight.add(work);
    }
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
    for (;;) {
      if (this.stopped) return;
      this.pacer.record(item.conversationId, this.now());
      try {
        if (item.kind === 'update' && item.activityId) {
          await sender.update(item.conversationId, item.activityId, item.activity);
          await store.completeOutbox(item.id);
        } else {
          const id = await sender.send(item.conversationId, item.activity);
          await store.completeOutbox(item.id);
          await this.options.onSent?.(item, id);
        }
        return;
      } catch (error) {
        attempts += 1;
        const status = statusOf(error);
        const retryable = status === undefined || RETRYABLE.has(status);
        if (!retryable && ++permanentFailures >= (this.options.maxPermanentFailures ?? 3)) {
          logger.error(
            { err: error, status, outboxId: item.id, runId: item.runId },
            'Teams refused a message for good; dropped',
          );
          await store.completeOutbox(item.id);
          return;
        }
        const backoff = Math.min(this.options.maxBackoffMs ?? 60_000, 250 * 2 ** Math.min(attempts, 10));
        const wait = retryAfterMs(error) ?? backoff * (0.75 + Math.random() / 2);
        logger.warn(
          { status, attempts, waitMs: Math.round(wait), outboxId: item.id },
          'Teams did not take a message; retrying',
        );
        await store.touchOutbox(item.id, attempts);
        await this.sleep(wait);
      }
    }
  }
}
