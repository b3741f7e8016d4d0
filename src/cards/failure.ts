import { stepWhy, type Translator } from '../i18n/index.js';
import type { RunRecord, StepRecord } from '../store/types.js';
import {
  noticeText,
  outputLines,
  refreshModel,
  runStatusModel,
  spanMs,
  stepStateModel,
  type CardOptions,
} from './common.js';
import type { FailureCardModel } from './models.js';
import { planStepOf, stepFacts, stepHeading } from './step-result.js';

export interface FailureCardOptions extends CardOptions {
  refreshUserIds?: readonly string[];
  /** Retry / Abort; by default shown while the run waits for that decision (failed or interrupted). */
  showActions?: boolean;
}

/**
 * The card a halted run shows: the failed step, its error, and Retry / Abort. A step that is not
 * safe to re-run, or that was interrupted mid-way, asks the operator to confirm they checked the server.
 */
export function failureCard(
  run: RunRecord,
  step: StepRecord,
  now: Date,
  t: Translator,
  options: FailureCardOptions = {},
): FailureCardModel {
  const interrupted = step.status === 'interrupted';
  const needsCheck = interrupted || planStepOf(run, step)?.retrySafe === false;
  const showActions = options.showActions ?? (run.status === 'failed' || run.status === 'interrupted');
  const output = outputLines(step.errorExcerpt?.trim() ? step.errorExcerpt : step.stderr || step.stdout);
  const notice = noticeText(t, step);
  const error = { lines: [...(notice ? [{ text: notice }] : []), ...output.lines] };
  const downMs = run.downtimeEndedAt === null ? spanMs(run.downtimeStartedAt, null, now) : null;
  return {
    lang: t.locale,
    runId: run.id,
    stepId: step.stepId,
    attempt: step.attempt,
    refresh: refreshModel(options.refreshUserIds),
    title: t.t('card.failure.title', { runId: run.id, server: run.server }),
    heading: stepHeading(run, step, t),
    why: stepWhy(t, step.stepId, run.product),
    status: { ...stepStateModel(t, step.status), icon: runStatusModel(t, run.status).icon },
    facts: stepFacts(run, step, t),
    error: { label: t.t('card.failure.error'), lines: error.lines },
    downtime:
      downMs === null
        ? ''
        : t.t('card.failure.down', { server: run.server, duration: t.formatDuration(downMs) }),
    guidance: {
      text: interrupted
        ? t.t('card.failure.interrupted')
        : t.t(needsCheck ? 'card.failure.check-first' : 'card.failure.retry-safe'),
      color: needsCheck ? 'warning' : 'good',
    },
    check: { show: needsCheck && showActions, title: t.t('card.failure.checked') },
    actions: { retry: showActions, abort: showActions },
    labels: { retry: t.t('card.action.retry'), abort: t.t('card.action.abort') },
  };
}
