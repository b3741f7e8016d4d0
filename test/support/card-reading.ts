/**
 * Reading the Adaptive Cards the bot posts, as a Teams client shows them. Free of bot imports on
 * purpose: the reliability tests run the bot in processes of their own and must not load
 * botbuilder into each test file (seconds per file).
 */

/** The Adaptive Card content of an activity, if it carries one. */
export function cardOf(activity: unknown): Record<string, unknown> | undefined {
  const attachments = (
    activity as { attachments?: { contentType?: string; content?: Record<string, unknown> }[] }
  )?.attachments;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

/** Every piece of visible text in a card (TextBlock, RichTextBlock runs, facts, action titles). */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    for (const key of ['text', 'title', 'value']) if (typeof n[key] === 'string') out.push(n[key] as string);
    for (const value of Object.values(n)) if (typeof value === 'object') walk(value);
  };
  walk(card);
  return out.join('\n');
}

/** The Action.Execute buttons of a card (refresh left out): verb, title and data. */
export function cardActions(card: unknown): { verb: string; title: string; data: Record<string, unknown> }[] {
  const found: { verb: string; title: string; data: Record<string, unknown> }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n.type === 'Action.Execute' && typeof n.verb === 'string' && n.verb !== 'run.refresh') {
      found.push({
        verb: n.verb,
        title: String(n.title ?? ''),
        data: (n.data ?? {}) as Record<string, unknown>,
      });
    }
    for (const [key, value] of Object.entries(n))
      if (key !== 'refresh' && typeof value === 'object') walk(value);
  };
  walk(card);
  return found;
}
