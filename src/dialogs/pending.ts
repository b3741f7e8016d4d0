import type { UpdateCommand } from '../commands/index.js';

const TTL_MS = 15 * 60_000;

/**
 * Half-finished update/plan commands waiting for the user's answer ("which edition?"), per user
 * per conversation. Kept in memory on purpose: a question lost in a restart costs one retype,
 * while nothing that changes a server depends on it.
 */
export class PendingQuestions {
  private readonly items = new Map<string, { command: UpdateCommand; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(conversationId: string, userId: string): string {
    return `${conversationId}\u0000${userId}`;
  }

  set(conversationId: string, userId: string, command: UpdateCommand): void {
    this.items.set(this.key(conversationId, userId), { command, at: this.now() });
    if (this.items.size > 10_000) this.prune();
  }

  take(conversationId: string, userId: string): UpdateCommand | null {
    const key = this.key(conversationId, userId);
    const item = this.items.get(key);
    this.items.delete(key);
    return item && this.now() - item.at < TTL_MS ? item.command : null;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, item] of this.items) if (now - item.at >= TTL_MS) this.items.delete(key);
  }
}
