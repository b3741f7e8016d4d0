import { INPUT_IDS, VERBS } from '../cards/verbs.js';
import type { PackageChanges } from '../fleet/package-changes.js';
import { createTranslator } from '../i18n/index.js';
import { personRef } from '../runs/context.js';
import type { Outcome } from '../runs/service.js';
import type { PackageChange } from '../store/package-catalog.js';
import type { Store } from '../store/store.js';
import type { CardAction, CardActionAnswer } from './card-actions.js';
import { refusalText } from './update-dialog.js';
import type { Views } from './views.js';

const PACKAGE_VERBS: readonly string[] = [VERBS.packageApprove, VERBS.packageReject, VERBS.packageRefresh];

/**
 * The package change card's buttons (package.approve / package.reject / package.refresh). The
 * payload is untrusted: a change id that is not a positive whole number, a change of another
 * conversation or one already decided is refused and audited, never thrown.
 */
export class PackageCardActions {
  constructor(
    private readonly changes: PackageChanges,
    private readonly views: Views,
    private readonly store: Store,
    /** Wakes the notifier once a card update is queued. */
    private readonly kick: () => void = () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Queues the shared view of a change's card as an update of the message that shows it, so
   * everyone in the conversation sees the decision (the invoke answer reaches only the clicker).
   */
  async updateCard(change: PackageChange): Promise<void> {
    if (!change.cardActivityId || !change.conversationId) return;
    const locale = this.store.getConversation(change.conversationId)?.locale ?? change.locale;
    await this.store.enqueue({
      conversationId: change.conversationId,
      runId: null,
      kind: 'update',
      activityId: change.cardActivityId,
      activity: { attachments: [this.views.packageChange(change, createTranslator(locale))] },
    });
    this.kick();
  }

  handles(verb: unknown): boolean {
    return typeof verb === 'string' && PACKAGE_VERBS.includes(verb);
  }

  async handle(action: CardAction): Promise<CardActionAnswer> {
    const t = createTranslator(action.locale);
    const data =
      typeof action.data === 'object' && action.data !== null ? (action.data as Record<string, unknown>) : {};
    const id = parseId(data.changeId);
    const actor = { person: action.user, conversationId: action.conversationId };
    if (id === null) {
      await this.store.appendAudit({
        at: this.now().toISOString(),
        action: 'refuse',
        actor: personRef(action.user),
        conversationId: action.conversationId,
        detail: { why: 'invalid-action', verb: String(action.verb).slice(0, 40) },
      });
      return { message: t.t('bot.action.invalid') };
    }
    let outcome: Outcome<PackageChange>;
    if (action.verb === VERBS.packageRefresh) outcome = this.changes.current(id, actor);
    else if (action.verb === VERBS.packageApprove) outcome = await this.changes.decide(id, actor, 'approved');
    else {
      const reason = data[INPUT_IDS.reason];
      outcome = await this.changes.decide(
        id,
        actor,
        'rejected',
        typeof reason === 'string' ? reason : undefined,
      );
    }
    if (!outcome.ok) return { message: refusalText(t, outcome.refusal) };
    const change = outcome.value;
    if (action.verb !== VERBS.packageRefresh) await this.updateCard(change);
    const locale = this.store.getConversation(change.conversationId)?.locale ?? change.locale;
    return { card: this.views.packageChange(change, createTranslator(locale), action.user) };
  }
}

function parseId(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value) && Number(value) > 0) return Number(value);
  return null;
}
