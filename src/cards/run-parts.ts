import type { PlanStep } from '../procedure/index.js';
import { editionName, productName, stepTitle, type Translator } from '../i18n/index.js';
import type { RunRecord, StepRecord, StepState } from '../store/types.js';
import { approverNames, personName, spanMs, type CardOptions } from './common.js';
import type { Fact } from './models.js';

/** A planned step with what has happened to it so far (pending when the runner has not reported it). */
export interface StepView {
  plan: PlanStep;
  record: StepRecord | undefined;
  state: StepState;
}

export function stepViews(run: RunRecord): StepView[] {
  return run.plan.steps.map((plan) => {
    const record = run.steps.find((r) => r.stepId === plan.id);
    return { plan, record, state: record?.status ?? 'pending' };
  });
}

const STOPPED: readonly StepState[] = ['failed', 'timed-out', 'interrupted', 'cancelled'];

/** The step to talk about: the one running, else the one that stopped the run. */
export function currentStep(views: readonly StepView[]): StepView | undefined {
  return views.find((v) => v.state === 'running') ?? views.find((v) => STOPPED.includes(v.state));
}

export function runSubtitle(run: RunRecord, t: Translator): string {
  return `${productName(t, run.product)} · ${editionName(t, run.edition)}`;
}

/** "Step 7 of 20: Stop the Skype for Business Server services", or "12 of 20 steps done". */
export function positionText(run: RunRecord, t: Translator): string {
  const views = stepViews(run);
  const current = currentStep(views);
  if (current) {
    return t.t('card.step.position', {
      index: current.plan.index,
      total: views.length,
      title: stepTitle(t, current.plan.id, run.product),
    });
  }
  const done = views.filter((v) => v.state === 'succeeded' || v.state === 'skipped').length;
  return t.t('card.progress.done', { done, total: views.length });
}

/** Duration of a finished step, or the time so far of a running one; '' before it starts. */
export function stepDuration(record: StepRecord | undefined, now: Date, t: Translator): string {
  if (!record) return '';
  if (record.durationMs !== undefined) return t.formatDuration(record.durationMs);
  if (record.status !== 'running') return '';
  const ms = spanMs(record.startedAt, null, now);
  return ms === null ? '' : t.formatDuration(ms);
}

export function requestedFact(run: RunRecord, t: Translator, options: CardOptions = {}): Fact {
  return {
    title: t.t('card.fact.requested-by'),
    value: t.t('card.person-time', {
      name: personName(run.requestedBy),
      time: t.formatDateTime(run.requestedAt, options.timeZone),
    }),
  };
}

/** Approvers by name; "no approval needed" when policy asked for none. */
export function approvedFact(run: RunRecord, t: Translator): Fact {
  const names = approverNames(run.decisions);
  const value =
    names.length > 0
      ? t.formatList(names)
      : run.approvalsRequired > 0
        ? t.t('card.people.nobody')
        : t.t('card.history.no-approval');
  return { title: t.t('card.fact.approved-by'), value };
}

export function elapsedFact(run: RunRecord, now: Date, t: Translator): Fact | null {
  const ms = spanMs(run.startedAt, run.endedAt, now);
  return ms === null ? null : { title: t.t('card.fact.elapsed'), value: t.formatDuration(ms) };
}
