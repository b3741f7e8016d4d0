/**
 * What the capture connector saw: every accepted activity in arrival order, every HTTP call with
 * its answer, and the current view of each message (the latest update wins, as in a Teams client).
 */
import { baseConversationId, type ConnectorCallKind } from './capture-connector-faults.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export type JsonObject = Record<string, unknown>;

/** One activity the connector accepted. */
export interface CapturedActivity {
  /** 1, 2, 3... in arrival order across all conversations. */
  readonly seq: number;
  /** Epoch milliseconds when it was accepted. */
  readonly at: number;
  readonly kind: ConnectorCallKind;
  readonly conversationId: string;
  /** The id assigned (send, reply) or the message changed (update, delete). */
  readonly activityId: string;
  /** For a reply: the message replied to. */
  readonly replyToId?: string;
  /** The body as the bot sent it (empty for a delete). */
  readonly activity: JsonObject;
}

/** A message as a Teams client would show it now. */
export interface MessageView {
  readonly id: string;
  readonly conversationId: string;
  readonly replyToId?: string;
  /** The latest version of the activity. */
  readonly activity: JsonObject;
  /** 1 for the original, plus one per accepted update. */
  readonly versions: number;
  readonly deleted: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One HTTP call to the connector and how it was answered. */
export interface CapturedRequest {
  readonly at: number;
  readonly method: string;
  /** Path as received, still URL-encoded. */
  readonly rawPath: string;
  readonly kind?: ConnectorCallKind;
  readonly conversationId?: string;
  /** The id assigned (accepted send or reply), else the message named in the path. */
  readonly activityId?: string;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  /** Why it was not accepted, when it was not. */
  readonly refusal?: 'injected' | 'rate-limit' | 'unknown-route' | 'not-found' | 'bad-request';
  /** Whether the call carried an Authorization header (never its value). */
  readonly authorized: boolean;
}

interface MutableView {
  id: string;
  conversationId: string;
  replyToId?: string;
  activity: JsonObject;
  versions: number;
  deleted: boolean;
  createdAt: number;
  updatedAt: number;
}

export class CaptureRecords {
  readonly activities: CapturedActivity[] = [];
  readonly requests: CapturedRequest[] = [];
  private readonly views = new Map<string, MutableView>();
  private lastId = 0;

  /** Records a new message (send or reply) and returns its id: epoch milliseconds, like Teams' ids. */
  addMessage(
    kind: 'send' | 'reply',
    conversationId: string,
    activity: JsonObject,
    now: number,
    replyToId?: string,
  ): string {
    this.lastId = Math.max(now, this.lastId + 1);
    const id = String(this.lastId);
    this.views.set(id, {
      id,
      conversationId,
      replyToId,
      activity,
      versions: 1,
      deleted: false,
      createdAt: now,
      updatedAt: now,
    });
    this.push({ kind, conversationId, activityId: id, replyToId, activity, at: now });
    return id;
  }

  /** Whether `conversationId` may change message `id`: the message's own conversation, or its thread or channel. */
  canChange(conversationId: string, id: string): boolean {
    const view = this.views.get(id);
    return (
      view !== undefined &&
      !view.deleted &&
      baseConversationId(view.conversationId) === baseConversationId(conversationId)
    );
  }

  updateMessage(conversationId: string, id: string, activity: JsonObject, now: number): void {
    const view = this.views.get(id);
    if (!view) throw new Error(`no message ${id}`);
    view.activity = activity;
    view.versions += 1;
    view.updatedAt = now;
    this.push({ kind: 'update', conversationId, activityId: id, activity, at: now });
  }

  deleteMessage(conversationId: string, id: string, now: number): void {
    const view = this.views.get(id);
    if (!view) throw new Error(`no message ${id}`);
    view.deleted = true;
    view.updatedAt = now;
    this.push({ kind: 'delete', conversationId, activityId: id, activity: {}, at: now });
  }

  message(id: string): MessageView | undefined {
    const view = this.views.get(id);
    return view ? { ...view } : undefined;
  }

  /** Current views of the messages posted with exactly this conversation id, oldest first. */
  messages(conversationId: string, options: { includeDeleted?: boolean } = {}): MessageView[] {
    return [...this.views.values()]
      .filter((v) => v.conversationId === conversationId && (options.includeDeleted || !v.deleted))
      .map((v) => ({ ...v }));
  }

  /** The content of the first Adaptive Card a message shows now; undefined if none or deleted. */
  currentCard(id: string): JsonObject | undefined {
    const view = this.views.get(id);
    if (!view || view.deleted) return undefined;
    const attachments = view.activity.attachments;
    if (!Array.isArray(attachments)) return undefined;
    const card = attachments.find(
      (a: unknown) => (a as { contentType?: unknown })?.contentType === ADAPTIVE_CARD_CONTENT_TYPE,
    ) as { content?: unknown } | undefined;
    const content = card?.content;
    if (typeof content === 'string') return JSON.parse(content) as JsonObject;
    return content && typeof content === 'object' ? (content as JsonObject) : undefined;
  }

  private push(entry: Omit<CapturedActivity, 'seq'>): void {
    this.activities.push({ seq: this.activities.length + 1, ...entry });
  }
}
