/**
 * Teams' published per-conversation limits for bot messages (send and update alike):
 * 7 in 1 s, 8 in 2 s, 60 in 30 s, 1800 in an hour. The pacer answers how long to wait
 * before the next message so that none of the windows is exceeded.
 */
export const TEAMS_CONVERSATION_LIMITS: readonly { windowMs: number; max: number }[] = [
  { windowMs: 1_000, max: 7 },
  { windowMs: 2_000, max: 8 },
  { windowMs: 30_000, max: 60 },
  { windowMs: 3_600_000, max: 1_800 },
];

export class ConversationPacer {
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly limits = TEAMS_CONVERSATION_LIMITS) {}

  /** Milliseconds to wait before `conversationId` may receive another message (0 = now). */
  delayFor(conversationId: string, now: number): number {
    const times = this.prune(conversationId, now);
    let wait = 0;
    for (const { windowMs, max } of this.limits) {
      const inWindow = times.filter((t) => t > now - windowMs);
      if (inWindow.length >= max) {
        const oldest = inWindow[inWindow.length - max]!;
        wait = Math.max(wait, oldest + windowMs - now);
      }
    }
    return wait;
  }

  record(conversationId: string, now: number): void {
    this.prune(conversationId, now).push(now);
  }

  private prune(conversationId: string, now: number): number[] {
    const longest = Math.max(...this.limits.map((l) => l.windowMs));
    const times = (this.sent.get(conversationId) ?? []).filter((t) => t > now - longest);
    this.sent.set(conversationId, times);
    return times;
  }
}
