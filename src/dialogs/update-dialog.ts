import { parseCommand, type UpdateCommand } from '../commands/index.js';
import { runStatusName, stepTitle, type Translator } from '../i18n/index.js';
import { PRODUCT_FAMILIES, STEP_IDS, type ProductFamily, type StepId } from '../procedure/index.js';
import { RUN_STATUSES, type RunStatus } from '../store/types.js';
import type { MaintenanceWindow } from '../runs/policy.js';
import type { Refusal, RunService, UpdateAsk } from '../runs/service.js';
import type { PendingQuestions } from './pending.js';
import type { Turn } from './turn.js';
import type { Views } from './views.js';

export interface UpdateDialogDeps {
  runs: RunService;
  views: Views;
  pending: PendingQuestions;
}

/** "Sat, Sun 01:00-05:00 (Europe/Berlin)" with weekday names in the reader's language. */
function describeWindows(t: Translator, windows: MaintenanceWindow[]): string {
  const weekday = new Intl.DateTimeFormat(t.locale, { weekday: 'short', timeZone: 'UTC' });
  // 2023-01-01 was a Sunday, so day n of the week is January n+1.
  const dayName = (day: number) => weekday.format(new Date(Date.UTC(2023, 0, 1 + day)));
  return t.formatList(
    windows.map((w) => `${w.days.map(dayName).join(', ')} ${w.start}-${w.end} (${w.timeZone})`),
  );
}

const isStepId = (value: unknown): value is StepId =>
  typeof value === 'string' && (STEP_IDS as readonly string[]).includes(value);
const isProductFamily = (value: unknown): value is ProductFamily =>
  typeof value === 'string' && (PRODUCT_FAMILIES as readonly string[]).includes(value);

/** A refusal in the reader's language: statuses and steps by their localized names, times as local dates. */
export function refusalText(t: Translator, refusal: Refusal): string {
  const params: Record<string, string | number> = { ...refusal.params };
  if (typeof params.status === 'string' && (RUN_STATUSES as readonly string[]).includes(params.status)) {
    params.status = runStatusName(t, params.status as RunStatus);
  }
  for (const key of ['next', 'lastSeen']) {
    const value = params[key];
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) params[key] = t.formatDateTime(value);
  }
  if (refusal.windows) params.window = describeWindows(t, refusal.windows);
  if (isStepId(params.step) && isProductFamily(params.product))
    params.step = stepTitle(t, params.step, params.product);
  const text = t.t(refusal.key, params);
  const suggestion = refusal.params.suggestion;
  return suggestion && !text.includes(String(suggestion))
    ? `${text} ${t.t('error.suggestion', { suggestion })}`
    : text;
}

/**
 * `update` and `plan`: ask for whatever is missing (server, edition, SQL Server FQDN), one
 * question at a time, then show the plan card (with Confirm / Cancel for `update`).
 */
export class UpdateDialog {
  constructor(private readonly deps: UpdateDialogDeps) {}

  async start(turn: Turn, t: Translator, command: UpdateCommand): Promise<void> {
    const question = this.stillMissing(command)[0];
    if (question) {
      this.deps.pending.set(turn.conversationId, turn.user.id, command);
      const params = { command: command.name, server: command.server ?? '' };
      await turn.reply(t.t(`bot.ask.${question}`, params));
      return;
    }
    if (command.name === 'plan') return this.preview(turn, t, command);
    return this.request(turn, t, command);
  }

  /**
   * What the admin still has to say: the edition and the SQL Server FQDN are not asked for when
   * the server reported them (they are taken from its facts when the plan is made).
   */
  private stillMissing(command: UpdateCommand): UpdateCommand['missing'] {
    const reported = command.server ? this.deps.runs.reported(command.server) : null;
    const edition = command.edition ?? reported?.edition ?? null;
    const missing = command.missing.filter(
      (q) => !(q === 'edition' && reported?.edition) && !(q === 'sql' && reported?.sqlServerFqdn),
    );
    // Edition taken from the facts: an Enterprise back end whose SQL Server was not reported.
    if (
      !command.edition &&
      edition === 'enterprise' &&
      !command.sqlServerFqdn &&
      !reported?.sqlServerFqdn &&
      !missing.includes('sql')
    )
      missing.push('sql');
    return missing;
  }

  /**
   * Reads a reply to the last question by putting it back into the command line it completes
   * ("update be01 enterprise" + "sql01.contoso.local" -> "... sql sql01.contoso.local"), so the
   * one grammar validates answers too. Returns false when there was no open question.
   */
  async answer(turn: Turn, t: Translator, text: string): Promise<boolean> {
    const open = this.deps.pending.take(turn.conversationId, turn.user.id);
    if (!open) return false;
    const words = [
      open.name,
      open.server ?? '',
      open.edition ?? '',
      open.sqlServerFqdn ? `sql ${open.sqlServerFqdn}` : '',
      open.collocated ? 'collocated' : '',
      open.graceful ? 'graceful' : '',
      open.force ? 'force' : '',
    ];
    const answer =
      this.stillMissing(open)[0] === 'sql' && !/^\s*(--?)?sql\b/i.test(text) ? `sql ${text}` : text;
    const parsed = parseCommand(`${words.filter(Boolean).join(' ')} ${answer}`);
    if (!parsed.ok) {
      // Keep the question open so the admin can just type the corrected answer.
      this.deps.pending.set(turn.conversationId, turn.user.id, open);
      await turn.reply(refusalText(t, { key: `error.${parsed.error.code}`, params: parsed.error.params }));
      return true;
    }
    if (parsed.value.name !== 'update' && parsed.value.name !== 'plan') return false;
    await this.start(turn, t, parsed.value);
    return true;
  }

  private async preview(turn: Turn, t: Translator, command: UpdateCommand): Promise<void> {
    const result = await this.deps.runs.preview(toRequest(command), turn.user);
    if (!result.ok) {
      await turn.reply(refusalText(t, result.refusal));
      return;
    }
    await turn.reply({ attachments: [this.deps.views.preview(result.value.plan, t)] });
  }

  private async request(turn: Turn, t: Translator, command: UpdateCommand): Promise<void> {
    const result = await this.deps.runs.request({
      request: toRequest(command),
      requester: turn.user,
      conversationId: turn.conversationId,
      // The requester's own language: the conversation's `language` setting, if any, is applied
      // whenever a message about the run is written, so `language auto` later hands it back.
      locale: turn.userLocale,
    });
    if (!result.ok) {
      await turn.reply(refusalText(t, result.refusal));
      return;
    }
    const run = result.value;
    const activityId = await turn.reply({ attachments: [this.deps.views.runCard(run, t, turn.user)] });
    if (activityId) await this.deps.runs.attachCard(run, activityId);
  }
}

/** The command as typed; what was left out is taken from the server's facts when planning. */
function toRequest(command: UpdateCommand): UpdateAsk {
  return {
    server: command.server ?? '',
    edition: command.edition,
    sqlServerFqdn: command.sqlServerFqdn ?? undefined,
    collocated: command.collocated,
    graceful: command.graceful,
    force: command.force,
  };
}
