import type { Views } from '../dialogs/views.js';
import { createTranslator } from '../i18n/index.js';
import type { RunChange, RunObserver } from '../runs/service.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import type { Notifier } from './notifier.js';

const SETTLED = new Set(['succeeded', 'failed', 'timed-out', 'cancelled', 'interrupted', 'skipped']);

/**
 * Turns run changes into Teams messages: the run's one card is updated in place, each finished
 * step gets a reply in the run's thread, a failure gets a card with Retry / Abort, the end a
 * summary, and downtime crossing 20 and 30 minutes a warning. Everything goes through the
 * persistent outbox, so a crash or throttling never loses a message.
 */
export class Presenter implements RunObserver {
  constructor(
    private readonly store: Store,
    private readonly views: Views,
    private readonly notifier: Pick<Notifier, 'kick'>,
  ) {}

  async runChanged(run: RunRecord, change: RunChange): Promise<void> {
    const t = createTranslator(this.store.getConversation(run.conversationId)?.locale ?? run.locale);
    const send = (activity: Record<string, unknown>) =>
      this.store.enqueue({ conversationId: run.conversationId, runId: run.id, kind: 'send', activity });
    const card = (attachment: { contentType: string; content: Record<string, unknown> }) => ({
      attachments: [attachment],
    });

    await this.store.enqueue({
      conversationId: run.conversationId,
      runId: run.id,
      kind: run.cardActivityId ? 'update' : 'send',
      activityId: run.cardActivityId ?? undefined,
      onSent: run.cardActivityId ? undefined : { rememberAsCardOf: run.id },
      activity: card(this.views.runCard(run, t)),
    });
    if (change.kind === 'step' && SETTLED.has(change.step.status)) {
      await send(card(this.views.stepReply(run, change.step, t)));
    }
    if (change.kind === 'status') {
      const failed = run.steps.find(
        (s) => ['failed', 'timed-out', 'interrupted'].includes(s.status) || s.rebootRequired,
      );
      if (run.status === 'failed' && failed?.rebootRequired) {
        await send({ text: t.t('bot.reboot-required', { server: run.server, runId: run.id }) });
      }
      if ((run.status === 'failed' || run.status === 'interrupted') && failed)
        await send(card(this.views.failure(run, failed, t)));
      if (['succeeded', 'cancelled', 'aborted'].includes(run.status) && run.startedAt)
        await send(card(this.views.summary(run, t)));
    }
    if (change.kind === 'downtime-warning') {
      const key = change.minutes >= 30 ? 'bot.warn.downtime30' : 'bot.warn.downtime20';
      await send({ text: t.t(key, { server: run.server, minutes: change.minutes }) });
    }
    this.notifier.kick();
  }
}
