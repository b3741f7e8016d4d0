/**
 * Failure injection and Teams' per-conversation rate limits for the capture connector (a test
 * double of the Bot Connector service, see capture-connector.ts). Nothing here talks HTTP: the
 * server asks what to do with each call and answers accordingly.
 */
import { TEAMS_CONVERSATION_LIMITS } from '../bot/pacing.js';

/** What a Bot Connector call does to a conversation. */
export type ConnectorCallKind = 'send' | 'reply' | 'update' | 'delete';

export interface ConnectorCall {
  readonly kind: ConnectorCallKind;
  /** Decoded conversation id, exactly as the bot named it (may contain `;messageid=`). */
  readonly conversationId: string;
  /** The message replied to, updated or deleted. */
  readonly activityId?: string;
  readonly activity?: Readonly<Record<string, unknown>>;
}

/**
 * One scripted misbehaviour. A rule applies to the calls it matches (all calls when no filter is
 * set), at most `times` times (unlimited when unset). Rules are tried in the order they were
 * injected; the first that matches answers the call.
 */
export interface FaultRule {
  conversationId?: string;
  kind?: ConnectorCallKind | readonly ConnectorCallKind[];
  /** Any further condition, e.g. on the activity's text. */
  when?: (call: ConnectorCall) => boolean;
  times?: number;
  /** Answer with this status instead of accepting the activity (e.g. 429, 412, 502, 504). */
  status?: number;
  /** With `status`: send `Retry-After: <seconds>`. */
  retryAfterSeconds?: number;
  /** Wait this long before answering; alone it makes a slow but successful call. */
  delayMs?: number;
  /** With `status`: the error body; a Bot Framework ErrorResponse by default. */
  body?: unknown;
}

export interface InjectedFault {
  /** How many calls this rule has answered so far. */
  readonly hits: number;
  remove(): void;
}

export interface FaultDecision {
  readonly delayMs: number;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly body?: unknown;
}

interface ActiveRule {
  readonly rule: FaultRule;
  hits: number;
  removed: boolean;
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'BadArgument',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  413: 'MessageSizeTooBig',
  429: 'Throttled',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** The JSON error body the connector sends with a refusal (Bot Framework `ErrorResponse` shape). */
export function connectorErrorBody(
  status: number,
  message: string,
): { error: { code: string; message: string } } {
  return { error: { code: ERROR_CODES[status] ?? `Http${status}`, message } };
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  inject(rule: FaultRule): InjectedFault {
    if (rule.status === undefined && rule.delayMs === undefined)
      throw new Error('a fault rule needs a status, a delayMs, or both');
    const active: ActiveRule = { rule, hits: 0, removed: false };
    this.rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        active.removed = true;
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  clear(): void {
    for (const active of this.rules) active.removed = true;
    this.rules = [];
  }

  /** The first live rule matching `call`, consumed once; undefined = behave like Teams normally does. */
  decide(call: ConnectorCall): FaultDecision | undefined {
    const active = this.rules.find((r) => !r.removed && matches(r.rule, call));
    if (!active) return undefined;
    active.hits += 1;
    if (active.rule.times !== undefined && active.hits >= active.rule.times) {
      active.removed = true;
      this.rules = this.rules.filter((r) => r !== active);
    }
    const { status, retryAfterSeconds, delayMs, body } = active.rule;
    return { delayMs: delayMs ?? 0, status, retryAfterSeconds, body };
  }
}

function matches(rule: FaultRule, call: ConnectorCall): boolean {
  if (rule.conversationId !== undefined && rule.conversationId !== call.conversationId) return false;
  if (rule.kind !== undefined) {
    const kinds: readonly ConnectorCallKind[] = typeof rule.kind === 'string' ? [rule.kind] : rule.kind;
    if (!kinds.includes(call.kind)) return false;
  }
  return rule.when ? rule.when(call) : true;
}

export interface RateWindow {
  readonly windowMs: number;
  readonly max: number;
}

export interface LimitCheck {
  /** The call would exceed at least one window. */
  readonly exceeded: boolean;
  /** Whole seconds until every window has room again (at least 1 when exceeded). */
  readonly retryAfterSeconds: number;
}

/**
 * Counts the messages each conversation accepted (sends, replies and updates alike, as Teams
 * does; deletes are not counted) per conversation id as the bot named it (the key the notifier's
 * pacer uses), and tells whether one more would break Teams' limits. Refused calls do not count:
 * only what was accepted fills a window.
 */
export class ConversationLimitTracker {
  private readonly accepted = new Map<string, number[]>();
  private readonly longestWindowMs: number;

  constructor(private readonly windows: readonly RateWindow[] = TEAMS_CONVERSATION_LIMITS) {
    this.longestWindowMs = Math.max(...windows.map((w) => w.windowMs));
  }

  check(conversationId: string, now: number): LimitCheck {
    const times = this.recent(conversationId, now);
    let waitMs = 0;
    for (const { windowMs, max } of this.windows) {
      const inWindow = times.filter((t) => t > now - windowMs);
      if (inWindow.length >= max) {
        const oldestThatMustExpire = inWindow[inWindow.length - max] ?? now;
        waitMs = Math.max(waitMs, oldestThatMustExpire + windowMs - now);
      }
    }
    return {
      exceeded: waitMs > 0,
      retryAfterSeconds: waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0,
    };
  }

  record(conversationId: string, now: number): void {
    this.recent(conversationId, now).push(now);
  }

  private recent(conversationId: string, now: number): number[] {
    const times = (this.accepted.get(conversationId) ?? []).filter((t) => t > now - this.longestWindowMs);
    this.accepted.set(conversationId, times);
    return times;
  }
}

/** The channel or chat a thread belongs to: `19:x@thread.tacv2;messageid=1` -> `19:x@thread.tacv2`. */
export function baseConversationId(conversationId: string): string {
  const at = conversationId.indexOf(';messageid=');
  return at < 0 ? conversationId : conversationId.slice(0, at);
}
