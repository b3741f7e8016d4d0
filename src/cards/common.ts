import type { Phase } from '../procedure/index.js';
import { phaseName, type Translator } from '../i18n/index.js';
import type { Decision, Person, RunRecord, RunStatus, StepRecord, StepState } from '../store/types.js';
import type {
  ClockModel,
  ContainerStyle,
  DecisionModel,
  PhaseModel,
  RefreshModel,
  StatusModel,
  TextColor,
  TextLine,
} from './models.js';

const MINUTE = 60_000;
/** Down this long, users of a Back End Server may go into resiliency mode. */
export const RESILIENCY_LINE_MS = 30 * MINUTE;
/** From here on the clock turns amber (the bot also warns the channel at this point). */
export const DOWNTIME_WARNING_MS = 20 * MINUTE;

/** Options every card builder accepts. */
export interface CardOptions {
  /** IANA zone for times on the card; UTC when not given. */
  timeZone?: string | undefined;
}

const RUN_STATUS_LOOK: Readonly<Record<RunStatus, { icon: string; color: TextColor }>> = {
  planned: { icon: '📝', color: 'accent' },
  'awaiting-approval': { icon: '⏳', color: 'warning' },
  queued: { icon: '🕒', color: 'accent' },
  running: { icon: '▶️', color: 'accent' },
  succeeded: { icon: '✅', color: 'good' },
  failed: { icon: '❌', color: 'attention' },
  interrupted: { icon: '⚠️', color: 'attention' },
  cancelled: { icon: '🚫', color: 'default' },
  rejected: { icon: '⛔', color: 'attention' },
  expired: { icon: '⌛', color: 'default' },
  aborted: { icon: '🛑', color: 'attention' },
};

const STEP_STATE_LOOK: Readonly<Record<StepState, { icon: string; color: TextColor }>> = {
  pending: { icon: '⬜', color: 'default' },
  running: { icon: '🔄', color: 'accent' },
  succeeded: { icon: '✅', color: 'good' },
  failed: { icon: '❌', color: 'attention' },
  'timed-out': { icon: '⏱️', color: 'attention' },
  cancelled: { icon: '🚫', color: 'default' },
  interrupted: { icon: '⚠️', color: 'attention' },
  skipped: { icon: '⏭️', color: 'default' },
};

export function runStatusModel(t: Translator, status: RunStatus): StatusModel {
  return { ...RUN_STATUS_LOOK[status], text: t.t(`state.run.${status}`) };
}

export function stepStateModel(t: Translator, state: StepState): StatusModel {
  return { ...STEP_STATE_LOOK[state], text: t.t(`state.step.${state}`) };
}

/** Teams honours at most this many user ids in a card's refresh block. */
export const MAX_REFRESH_USERS = 60;

export function refreshModel(userIds: readonly string[] | undefined): RefreshModel | null {
  const ids = [...new Set(userIds ?? [])].slice(0, MAX_REFRESH_USERS);
  return ids.length > 0 ? { userIds: ids } : null;
}

export function timeOf(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** ms between two timestamps, with `now` standing in for an end that has not come yet. */
export function spanMs(
  start: string | null | undefined,
  end: string | null | undefined,
  now: Date,
): number | null {
  const from = timeOf(start);
  if (from === null) return null;
  return Math.max(0, (timeOf(end) ?? now.getTime()) - from);
}

function downtimeColor(ms: number): TextColor {
  if (ms >= RESILIENCY_LINE_MS) return 'attention';
  return ms >= DOWNTIME_WARNING_MS ? 'warning' : 'good';
}

/**
 * The downtime clock: from the first Stop-CsWindowsService until every service runs again.
 * While it runs it counts towards the 30-minute resiliency line.
 */
export function downtimeClock(
  run: Pick<RunRecord, 'downtimeStartedAt' | 'downtimeEndedAt'>,
  now: Date,
  t: Translator,
): ClockModel {
  const label = t.t('card.fact.downtime');
  const ms = spanMs(run.downtimeStartedAt, run.downtimeEndedAt, now);
  if (ms === null) return { label, value: t.t('card.downtime.not-started'), note: '', color: 'default' };
  const duration = t.formatDuration(ms);
  const color = downtimeColor(ms);
  const over = ms >= RESILIENCY_LINE_MS;
  if (run.downtimeEndedAt) {
    const value = t.t(over ? 'card.downtime.over-line' : 'card.downtime.under-line', { duration });
    return { label, value, note: '', color };
  }
  const note = over
    ? t.t('card.downtime.over')
    : t.t('card.downtime.left', { duration: t.formatDuration(RESILIENCY_LINE_MS - ms) });
  return { label, value: t.t('card.downtime.ongoing', { duration }), note, color };
}

/** Downtime of a finished run for lists: "14 min 3 sec, under the 30-minute line". */
export function downtimeSummary(
  run: Pick<RunRecord, 'downtimeStartedAt' | 'downtimeEndedAt'>,
  now: Date,
  t: Translator,
): string {
  return downtimeClock(run, now, t).value;
}

export function personName(person: Person | null | undefined): string {
  return person?.name.trim() || person?.id || '?';
}

export function approverNames(decisions: readonly Decision[]): string[] {
  return decisions.filter((d) => d.decision === 'approved').map((d) => personName(d.by));
}

export function decisionModels(
  decisions: readonly Decision[],
  t: Translator,
  options: CardOptions = {},
): DecisionModel[] {
  return decisions.map((d) => ({
    icon: d.decision === 'approved' ? '✅' : '❌',
    text: t.t(d.decision === 'approved' ? 'card.decision.approved' : 'card.decision.rejected', {
      name: personName(d.by),
      time: t.formatDateTime(d.at, options.timeZone),
    }),
    reason: d.reason?.trim() ? t.t('card.decision.reason', { reason: d.reason.trim() }) : '',
  }));
}

const PHASE_STYLE: Readonly<Record<Phase, ContainerStyle>> = {
  prestage: 'default',
  downtime: 'warning',
  post: 'default',
};

/** Groups consecutive items by phase, in plan order, each group headed by the phase's name. */
export function groupByPhase<Item, Step>(
  items: readonly Item[],
  phaseOf: (item: Item) => Phase,
  toStep: (item: Item) => Step,
  t: Translator,
): PhaseModel<Step>[] {
  const groups: (PhaseModel<Step> & { phase: Phase })[] = [];
  for (const item of items) {
    const phase = phaseOf(item);
    let group = groups.at(-1);
    if (!group || group.phase !== phase) {
      group = { phase, heading: phaseName(t, phase), style: PHASE_STYLE[phase], steps: [] };
      groups.push(group);
    }
    group.steps.push(toStep(item));
  }
  return groups.map(({ heading, style, steps }) => ({ heading, style, steps }));
}

/**
 * The last lines of captured output, one TextBlock each (Teams collapses single line breaks
 * inside a TextBlock). Blank lines are dropped; `truncated` says whether any were left out.
 */
export function outputLines(
  text: string | null | undefined,
  maxLines = 12,
): { lines: TextLine[]; truncated: boolean } {
  const all = (text ?? '')
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const kept = all
    .slice(-maxLines)
    .map((line) => ({ text: line.length > 300 ? `${line.slice(0, 299)}…` : line }));
  return { lines: kept, truncated: all.length > maxLines };
}

/** A step's notice (why the bot failed it, what a runner's refusal means) in the reader's language. */
export function noticeText(t: Translator, step: StepRecord): string {
  const notice = step.notice;
  if (!notice) return '';
  const { timeoutMs, lastSeen, ...rest } = notice.params;
  return t.t(notice.key, {
    ...rest,
    ...(timeoutMs === undefined ? {} : { timeout: t.formatDuration(Number(timeoutMs)) }),
    ...(lastSeen === undefined
      ? {}
      : { lastSeen: lastSeen === '' ? t.t('run.never-heard') : t.formatDateTime(String(lastSeen)) }),
  });
}
