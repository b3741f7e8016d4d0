import { parseCommand, type ParsedCommand, type StatusTarget } from '../commands/index.js';
import {
  createTranslator,
  isSupportedLocale,
  languageName,
  resolveLocale,
  SUPPORTED_LOCALES,
  type Translator,
} from '../i18n/index.js';
import { mayRead, type Policy } from '../runs/policy.js';
import type { RunService } from '../runs/service.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import type { PendingQuestions } from './pending.js';
import { FleetCommands } from './fleet-commands.js';
import type { PackageChanges } from '../fleet/package-changes.js';
import type { Turn } from './turn.js';
import { CheckDialog } from './check-dialog.js';
import { refusalText, UpdateDialog } from './update-dialog.js';
import type { Views } from './views.js';
import { predictedDowntimeFor } from '../fleet/downtime.js';

export interface RouterDeps {
  runs: RunService;
  store: Store;
  views: Views;
  pending: PendingQuestions;
  /** Decides who may read which runs (status, history). */
  policy: Pick<Policy, 'requesters' | 'approvers' | 'readers'>;
  /** `package add/remove` under the approval policy. */
  packageChanges: PackageChanges;
}

const HISTORY_LIMIT = 10;
/** Finished runs read to find HISTORY_LIMIT the asker may see. */
const HISTORY_SCAN = 500;

/** Routes one chat message to the dialog for its command. */
export class CommandRouter {
  private readonly update: UpdateDialog;
  private readonly check: CheckDialog;
  private readonly fleet: FleetCommands;

  constructor(private readonly deps: RouterDeps) {
    this.update = new UpdateDialog(deps);
    this.check = new CheckDialog(deps);
    this.fleet = new FleetCommands(deps);
  }

  async onMessage(turn: Turn, text: string): Promise<void> {
    const t = createTranslator(turn.locale);
    const parsed = parseCommand(text);
    if (!parsed.ok) {
      if (parsed.error.code !== 'too-long' && (await this.update.answer(turn, t, text))) return;
      await turn.reply(refusalText(t, { key: `error.${parsed.error.code}`, params: parsed.error.params }));
      return;
    }
    // A new command replaces any open question.
    this.deps.pending.take(turn.conversationId, turn.user.id);
    await this.run(turn, t, parsed.value);
  }

  private async run(turn: Turn, t: Translator, command: ParsedCommand): Promise<void> {
    const { views, store, runs } = this.deps;
    switch (command.name) {
      case 'update':
      case 'plan':
        return this.update.start(turn, t, command);
      case 'check':
        return this.check.start(turn, t, command.server);
      case 'status':
        await turn.reply(await this.status(turn, t, command.target));
        return;
      case 'cancel': {
        const result = await runs.cancel(command.runId, {
          person: turn.user,
          conversationId: turn.conversationId,
        });
        await turn.reply(
          result.ok
            ? t.t(result.value.status === 'cancelled' ? 'bot.cancel.done' : 'bot.cancel.requested', {
                runId: command.runId,
              })
            : refusalText(
                t,
                result.refusal.key === 'bot.card-stale'
                  ? { key: 'bot.cancel.not-active', params: result.refusal.params }
                  : result.refusal,
              ),
        );
        return;
      }
      case 'history': {
        const all = await store.finishedRuns({ server: command.server ?? undefined, limit: HISTORY_SCAN });
        const finished = this.readable(turn, all).slice(0, HISTORY_LIMIT);
        if (finished.length === 0 && all.length > 0) {
          await turn.reply(t.t('bot.not-allowed.read'));
          return;
        }
        // For one server: its predicted downtime, from its own newest runs (cheap however long history grows).
        const prediction = command.server ? await predictedDowntimeFor(store, command.server) : null;
        await turn.reply(
          finished.length
            ? { attachments: [views.history(finished, t, command.server, prediction)] }
            : t.t('history.none'),
        );
        return;
      }
      case 'runners': {
        const running = store.liveRuns().filter((r) => r.status === 'running');
        const all = store.runners().map((runner) => ({
          ...runner,
          currentRunId: running.find((r) => r.server === runner.server)?.id ?? null,
        }));
        await turn.reply(all.length ? { attachments: [views.runners(all, t)] } : t.t('runners.none'));
        return;
      }
      case 'versions':
      case 'packages':
      case 'package':
        return this.fleet.run(turn, t, command);
      case 'language':
        return this.language(turn, t, command.locale);
      case 'help':
        await turn.reply({ attachments: [views.help(t, command.topic)] });
        return;
    }
  }

  private async status(turn: Turn, t: Translator, target: StatusTarget) {
    const { store, views } = this.deps;
    let runs: RunRecord[];
    if (target.kind === 'run') {
      const run = await store.findRun(target.runId);
      if (!run) return t.t('bot.run-not-found', { runId: target.runId });
      if (this.readable(turn, [run]).length === 0) return t.t('bot.not-allowed.read');
      runs = [run];
    } else {
      const active = store
        .liveRuns()
        .filter((r) => r.status !== 'planned' && (target.kind === 'all' || r.server === target.server));
      runs = this.readable(turn, active);
      // Asked about one server whose run is someone else's: say so rather than "nothing active".
      if (target.kind === 'server' && runs.length === 0 && active.length > 0)
        return t.t('bot.not-allowed.read');
      if (target.kind === 'server' && runs.length === 0) {
        // Nothing active on that server: its last finished run, shown as history (not as "active").
        const last = await store.finishedRuns({ server: target.server, limit: 1 });
        if (last.length && this.readable(turn, last).length === 0) return t.t('bot.not-allowed.read');
        if (last.length) return { attachments: [views.history(last, t, target.server)] };
      }
    }
    return runs.length ? { attachments: [views.status(runs, t)] } : t.t('status.none');
  }

  /** The runs this turn's user may read here (see mayRead). */
  private readable(turn: Turn, runs: RunRecord[]): RunRecord[] {
    const reader = { person: turn.user, conversationId: turn.conversationId };
    return runs.filter((run) => mayRead(this.deps.policy, reader, run));
  }

  private async language(turn: Turn, t: Translator, tag: string | null): Promise<void> {
    const { store } = this.deps;
    const current = store.getConversation(turn.conversationId);
    if (tag === null) {
      // The language's name in itself ("Deutsch", "简体中文"), not its tag.
      await turn.reply(t.t('bot.language.current', { language: languageName(t, t.locale) }));
      return;
    }
    const chosen = tag.toLowerCase() === 'auto' ? null : resolveExact(tag);
    if (tag.toLowerCase() !== 'auto' && chosen === null) {
      await turn.reply(
        t.t('bot.language.unsupported', { value: tag, supported: SUPPORTED_LOCALES.join(', ') }),
      );
      return;
    }
    await store.saveConversation({
      conversationId: turn.conversationId,
      reference: current?.reference ?? {},
      locale: chosen,
    });
    const next = createTranslator(chosen ?? turn.userLocale);
    await turn.reply(next.t('bot.language.set', { language: languageName(next, next.locale) }));
  }
}

/** A tag the bot really speaks (de, de-AT, de-DE -> de-DE); null for anything else. */
function resolveExact(tag: string): string | null {
  const resolved = resolveLocale(tag);
  const language = tag.toLowerCase().split('-')[0];
  return isSupportedLocale(resolved) && resolved.toLowerCase().startsWith(`${language}-`) ? resolved : null;
}
