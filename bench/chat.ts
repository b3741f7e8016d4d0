import { channelThread, type TeamsClient } from '../test/support/teams-client.js';
import type { CaptureConnector, CapturedActivity } from '../src/lab/capture-connector.js';

type JsonObject = Record<string, unknown>;

/** The Adaptive Card an activity carries, if any. */
export function cardOf(activity: JsonObject): JsonObject | undefined {
  const attachments = Array.isArray(activity.attachments) ? (activity.attachments as JsonObject[]) : [];
  const card = attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return card && typeof card.content === 'object' ? (card.content as JsonObject) : undefined;
}

/** The Action.Execute button with this verb anywhere in a card. */
export function cardAction(card: unknown, verb: string): { verb: string; data: JsonObject } | undefined {
  if (Array.isArray(card)) {
    for (const item of card) {
      const found = cardAction(item, verb);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof card !== 'object' || card === null) return undefined;
  const node = card as JsonObject;
  if (node.type === 'Action.Execute' && node.verb === verb)
    return { verb, data: (node.data ?? {}) as JsonObject };
  for (const [key, value] of Object.entries(node)) {
    if (key === 'refresh') continue;
    const found = cardAction(value, verb);
    if (found) return found;
  }
  return undefined;
}

/**
 * Drives runs the way an admin does in Teams (over real HTTP, through the capture connector):
 * `update <server> standard` in a new channel thread, then Confirm on the plan card.
 */

export interface ChatRun {
  runId: number;
  /** The channel thread's conversation id. */
  conversationId: string;
  /** The plan card message, later the progress card. */
  cardId: string;
  /** Epoch ms just before the Confirm click was sent. */
  confirmedAt: number;
}

/** The reply the connector accepted for activity `activityId` (the bot answering in the turn). */
export function replyTo(
  activities: readonly CapturedActivity[],
  activityId: string,
): CapturedActivity | undefined {
  for (let i = activities.length - 1; i >= 0; i--) {
    const activity = activities[i]!;
    if (activity.kind === 'reply' && activity.replyToId === activityId) return activity;
  }
  return undefined;
}

/** Posts the update request and waits for the plan card; returns it without confirming. */
export async function requestRun(
  teams: TeamsClient,
  connector: CaptureConnector,
  server: string,
  command = `update ${server} standard`,
) {
  const from = teams.user('Alex');
  const post = await teams.postInChannel(command, { from });
  if (post.status !== 200 || !post.activity)
    throw new Error(`the bot answered ${post.status} to update ${server}`);
  const postId = post.activity.id;
  const reply = await connector.waitFor((activities) => replyTo(activities, postId), 15_000);
  const card = cardOf(reply.activity);
  const confirm = card ? cardAction(card, 'plan.confirm') : undefined;
  if (!confirm)
    throw new Error(
      `no plan card with Confirm for ${server}: ${JSON.stringify(reply.activity).slice(0, 300)}`,
    );
  return { postId, conversationId: reply.conversationId, cardId: reply.activityId, confirm };
}

export async function confirmRun(
  teams: TeamsClient,
  planned: Awaited<ReturnType<typeof requestRun>>,
): Promise<ChatRun> {
  const confirmedAt = Date.now();
  const answer = await teams.pressCardButton({
    conversation: channelThread(planned.postId),
    replyToId: planned.cardId,
    verb: 'plan.confirm',
    data: planned.confirm.data,
    from: teams.user('Alex'),
  });
  if (answer.status !== 200) throw new Error(`Confirm answered ${answer.status}`);
  return {
    runId: Number(planned.confirm.data.runId),
    conversationId: planned.conversationId,
    cardId: planned.cardId,
    confirmedAt,
  };
}

export async function requestAndConfirm(
  teams: TeamsClient,
  connector: CaptureConnector,
  server: string,
  command?: string,
): Promise<ChatRun> {
  return confirmRun(teams, await requestRun(teams, connector, server, command));
}
