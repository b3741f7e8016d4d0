import type { Translator } from '../i18n/index.js';
import type { RunService } from '../runs/service.js';
import type { Turn } from './turn.js';
import { refusalText } from './update-dialog.js';
import type { Views } from './views.js';

export interface CheckDialogDeps {
  runs: RunService;
  views: Views;
}

/**
 * `check <server>`: no questions and no confirmation (nothing is stopped). The readiness card is
 * posted first and remembered as the run's card; only then is the check queued, so every result
 * updates that one card in place, through the same path as a run's progress card.
 */
export class CheckDialog {
  constructor(private readonly deps: CheckDialogDeps) {}

  async start(turn: Turn, t: Translator, server: string): Promise<void> {
    const { runs, views } = this.deps;
    const result = await runs.check({
      server,
      requester: turn.user,
      conversationId: turn.conversationId,
      locale: turn.userLocale,
    });
    if (!result.ok) {
      await turn.reply(refusalText(t, result.refusal));
      return;
    }
    const run = result.value;
    const activityId = await turn.reply({ attachments: [views.runCard(run, t, turn.user)] });
    if (activityId) await runs.attachCard(run, activityId);
    const started = await runs.startCheck(run.id);
    if (!started.ok) await turn.reply(refusalText(t, started.refusal));
  }
}
