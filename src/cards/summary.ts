import type { StepId } from '../procedure/index.js';
import { editionName, productName, type Translator } from '../i18n/index.js';
import type { RunRecord, RunStatus } from '../store/types.js';
import { downtimeClock, runStatusModel, spanMs, type CardOptions } from './common.js';
import type { Fact, SummaryCardModel } from './models.js';
import { approvedFact, requestedFact } from './run-parts.js';

export interface SummaryCardOptions extends CardOptions {
  /** Patch version before and after, when the caller knows them better than the steps' output. */
  versionBefore?: string | null;
  versionAfter?: string | null;
  /** Stands in for a missing end time; defaults to the run's end. */
  now?: Date;
}

const HEADLINES: Partial<Record<RunStatus, string>> = {
  succeeded: 'card.summary.succeeded',
  aborted: 'card.summary.aborted',
  cancelled: 'card.summary.cancelled',
  rejected: 'card.summary.rejected',
  expired: 'card.summary.expired',
};

const VERSION = /\b\d{1,5}(?:\.\d{1,6}){3}\b/;

/** The version a version step printed (precheck.version before, postcheck.version after). */
function versionFrom(run: RunRecord, stepId: StepId): string | null {
  const record = run.steps.find((s) => s.stepId === stepId && s.status === 'succeeded');
  return VERSION.exec(record?.stdout ?? '')?.[0] ?? null;
}

/** The closing card of a run: outcome, total time, downtime against the 30-minute line, versions. */
export function summaryCard(
  run: RunRecord,
  t: Translator,
  options: SummaryCardOptions = {},
): SummaryCardModel {
  const now = options.now ?? new Date(run.endedAt ?? run.requestedAt);
  const status = runStatusModel(t, run.status);
  const headline = HEADLINES[run.status];
  const title = headline
    ? t.t(headline, { server: run.server })
    : t.t('card.summary.other', { server: run.server, status: status.text });
  const facts: Fact[] = [
    { title: t.t('card.fact.server'), value: run.server },
    { title: t.t('card.fact.product'), value: productName(t, run.product) },
    { title: t.t('card.fact.edition'), value: editionName(t, run.edition) },
  ];
  const total = spanMs(run.startedAt, run.endedAt, now);
  if (total !== null) facts.push({ title: t.t('card.fact.total-time'), value: t.formatDuration(total) });
  if (run.endedAt) {
    facts.push({ title: t.t('card.fact.finished'), value: t.formatDateTime(run.endedAt, options.timeZone) });
  }
  const before = options.versionBefore ?? versionFrom(run, 'precheck.version');
  const after = options.versionAfter ?? versionFrom(run, 'postcheck.version');
  if (before) facts.push({ title: t.t('card.fact.version-before'), value: before });
  if (after) facts.push({ title: t.t('card.fact.version-after'), value: after });
  facts.push(requestedFact(run, t, options), approvedFact(run, t));
  const succeeded = run.steps.filter((s) => s.status === 'succeeded').length;
  const downtime = downtimeClock(run, now, t);
  return {
    lang: t.locale,
    runId: run.id,
    title,
    status,
    facts,
    downtime: run.startedAt ? downtime : { ...downtime, note: t.t('card.summary.not-started') },
    steps: t.plural('card.summary.steps-succeeded', succeeded),
  };
}
