import type { Views } from '../dialogs/views.js';
import { createTranslator, stepTitle, type Translator } from '../i18n/index.js';
import type { RunChange, RunObserver } from '../runs/service.js';
import type { OutboxDraft, Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import type { Notifier } from './notifier.js';

const SETTLED = new Set(['succeeded', 'failed', 'timed-out', 'cancelled', 'interrupted', 'skipped']);

type Attachment = { contentType: string; content: Record<string, unknown> };

/**
 * Turns run changes into Teams messages: the run's one card is updated in place, each finished
 * step gets a reply in the run's thread, a failure gets a card with Retry / Abort, the end a
 * summary, and downtime crossing 20 and 30 minutes a warning. Everything goes through the
 * persistent outbox, saved in the same write as the run change itself (messagesFor), so a crash
 * or throttling never loses a message.
 */
export class Presenter implements RunObserver {
  constructor(
    private readonly store: Store,
    private readonly views: Views,
    private readonly notifier: Pick<Notifier, 'kick'>,
  ) {}

  messagesFor(run: RunRecord, changes: readonly RunChange[]): OutboxDraft[] {
    const t = createTranslator(this.store.getConversation(run.conversationId)?.locale ?? run.locale);
    const card = (attachment: Attachment) => ({ attachments: [attachment] });
    // One card update per commit: it shows the run as it is now, whatever changed.
    const messages: OutboxDraft[] = [
      {
        conversationId: run.conversationId,
        runId: run.id,
        kind: run.cardActivityId ? 'update' : 'send',
        activityId: run.cardActivityId ?? undefined,
        onSent: run.cardActivityId ? undefined : { rememberAsCardOf: run.id },
        activity: card(this.views.runCard(run, t)),
      },
    ];
    for (const change of changes) {
      for (const activity of this.repliesFor(run, change, t)) {
        messages.push({ conversationId: run.conversationId, runId: run.id, kind: 'send', activity });
      }
    }
    return messages;
  }

  /** The messages are queued with the run (messagesFor); all that is left is to deliver them. */
  async runChanged(): Promise<void> {
    this.notifier.kick();
  }

  private repliesFor(run: RunRecord, change: RunChange, t: Translator): Record<string, unknown>[] {
    const card = (attachment: Attachment) => ({ attachments: [attachment] });
    const replies: Record<string, unknown>[] = [];
    // A readiness check shows everything on its one card: no step replies, failure card or summary.
    if (run.kind === 'check') return replies;
    if (change.kind === 'step' && SETTLED.has(change.step.status)) {
      replies.push(card(this.views.stepReply(run, change.step, t)));
    }
    if (change.kind === 'status') {
      const failed = run.steps.find(
        (s) => ['failed', 'timed-out', 'interrupted'].includes(s.status) || s.rebootRequired,
      );
      if (run.status === 'failed' && failed?.rebootRequired) {
        replies.push({ text: t.t('bot.reboot-required', { server: run.server, runId: run.id }) });
      }
      if ((run.status === 'failed' || run.status === 'interrupted') && failed)
        replies.push(card(this.views.failure(run, failed, t)));
      if (['succeeded', 'cancelled', 'aborted'].includes(run.status) && run.startedAt)
        replies.push(card(this.views.summary(run, t)));
    }
    if (change.kind === 'resume') {
      const step = run.plan.steps[change.resumeAt];
      if (step)
        replies.push({
          text: t.t('run.resume.from', {
            step: stepTitle(t, step.id, run.product),
            index: step.index,
            total: run.plan.steps.length,
          }),
        });
    }
    if (change.kind === 'downtime-warning') {
      const key = change.minutes >= 30 ? 'bot.warn.downtime30' : 'bot.warn.downtime20';
      replies.push({ text: t.t(key, { server: run.server, minutes: change.minutes }) });
    }
    return replies;
  }
}
