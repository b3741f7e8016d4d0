import { INPUT_IDS, VERBS } from '../cards/verbs.js';
import { createTranslator, type Translator } from '../i18n/index.js';
import { personRef, sameConversation } from '../runs/context.js';
import type { Actor, Outcome, RunService } from '../runs/service.js';
import type { Person, RunRecord } from '../store/types.js';
import type { CardAttachment } from './turn.js';
import { refusalText } from './update-dialog.js';
import type { Views } from './views.js';

/** A card button press (Action.Execute) as the edge hands it over: who, where, verb, raw data. */
export interface CardAction {
  verb: unknown;
  data: unknown;
  user: Person;
  conversationId: string;
  locale: string;
}

/** What the invoke answers: the refreshed card for the clicking user, or a short message. */
export type CardActionAnswer = { card: CardAttachment } | { message: string };

type Handler = (runId: number, data: Record<string, unknown>, actor: Actor) => Promise<Outcome<RunRecord>>;

const MAX_REASON = 500;

/**
 * One handler per verb; the verb names are the ones the card templates use (src/cards/verbs.ts).
 * The payload is untrusted: anything that is not the expected shape is refused, never thrown.
 */
export class CardActions {
  private readonly handlers: Record<string, Handler>;

  constructor(
    private readonly runs: RunService,
    private readonly views: Views,
    /** The package catalog change card's verbs (package.*), handled apart from runs. */
    private readonly packages?: {
      handles(verb: unknown): boolean;
      handle(action: CardAction): Promise<CardActionAnswer>;
    },
  ) {
    this.handlers = {
      [VERBS.planConfirm]: (id, _d, actor) => runs.confirm(id, actor),
      [VERBS.planCancel]: (id, _d, actor) => runs.dismiss(id, actor),
      [VERBS.runApprove]: (id, _d, actor) => runs.approve(id, actor),
      [VERBS.runReject]: (id, d, actor) => {
        const reason = d[INPUT_IDS.reason];
        return runs.reject(id, actor, typeof reason === 'string' ? reason.slice(0, MAX_REASON) : undefined);
      },
      [VERBS.runRetry]: (id, d, actor) => {
        const checked = d[INPUT_IDS.serverChecked];
        return runs.retry(id, actor, checked === true || checked === 'true');
      },
      [VERBS.runAbort]: (id, _d, actor) => runs.abort(id, actor),
      [VERBS.runRefresh]: (id, _d, actor) => this.current(id, actor),
    };
  }

  async handle(action: CardAction): Promise<CardActionAnswer> {
    if (this.packages?.handles(action.verb)) return this.packages.handle(action);
    const t = createTranslator(action.locale);
    const handler =
      typeof action.verb === 'string' && Object.hasOwn(this.handlers, action.verb)
        ? this.handlers[action.verb]
        : undefined;
    const data = isRecord(action.data) ? action.data : {};
    const runId = parseRunId(data.runId);
    if (!handler || runId === null || (await this.isCheckAction(action.verb, runId))) {
      await this.auditInvalid(action, data.runId);
      return { message: t.t('bot.action.invalid') };
    }
    const outcome = await handler(runId, data, {
      person: action.user,
      conversationId: action.conversationId,
    });
    if (!outcome.ok) return this.refused(t, runId, outcome.refusal, action);
    return { card: this.views.runCard(outcome.value, this.runTranslator(outcome.value), action.user) };
  }

  /**
   * A readiness check's card has no buttons, so a run verb other than refresh naming a check run
   * was not sent by any card of ours: it is refused like any other forged action.
   */
  private async isCheckAction(verb: unknown, runId: number): Promise<boolean> {
    if (verb === VERBS.runRefresh) return false;
    return (await this.runs.ctx.store.findRun(runId))?.kind === 'check';
  }

  /** The run's card speaks like its messages: the conversation's `language`, else the requester's. */
  private runTranslator(run: RunRecord): Translator {
    return createTranslator(this.runs.ctx.store.getConversation(run.conversationId)?.locale ?? run.locale);
  }

  /** The run as it is now, for Teams' card refresh; only inside the run's own conversation. */
  private async current(runId: number, actor: Actor): Promise<Outcome<RunRecord>> {
    const run = await this.runs.ctx.store.findRun(runId);
    if (run && sameConversation(run.conversationId, actor.conversationId)) return { ok: true, value: run };
    await this.runs.ctx.audit({
      action: 'refuse',
      actor: personRef(actor.person),
      conversationId: actor.conversationId,
      detail: { why: 'run-not-found', attempted: 'refresh', runId },
    });
    return { ok: false, refusal: { key: 'bot.run-not-found', params: { runId } } };
  }

  /** A click no card of ours sends (unknown verb, no usable run id): someone is trying things. */
  private async auditInvalid(action: CardAction, runId: unknown): Promise<void> {
    const shown = (value: unknown) =>
      typeof value === 'string' ? value.slice(0, 40) : typeof value === 'number' ? value : typeof value;
    await this.runs.ctx.audit({
      action: 'refuse',
      actor: personRef(action.user),
      conversationId: action.conversationId,
      detail: { why: 'invalid-action', verb: shown(action.verb), runId: shown(runId) },
    });
  }

  /** A refused click on a stale card also gets the card as it is now, so the buttons disappear. */
  private async refused(
    t: Translator,
    runId: number,
    refusal: { key: string; params: Record<string, string | number> },
    action: CardAction,
  ): Promise<CardActionAnswer> {
    if (refusal.key === 'bot.card-stale') {
      const run = await this.runs.ctx.store.findRun(runId);
      if (run) {
        return { card: this.views.runCard(run, this.runTranslator(run), action.user) };
      }
    }
    return { message: refusalText(t, refusal) };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRunId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value) && Number(value) > 0) return Number(value);
  return null;
}
