import { productName, stepTitle, type Translator } from '../i18n/index.js';
import type { RunRecord, StepRecord } from '../store/types.js';
import { personName, runStatusModel, stepStateModel, type CardOptions } from './common.js';
import type { Fact, ReadinessCardModel, ReadinessItemModel } from './models.js';

const DETAIL_CHARS = 200;
const FAILED = ['failed', 'timed-out', 'interrupted', 'cancelled'];

/** The last non-empty line of a step's output: what the check found ("3 components at 7.0.2046.530"). */
function lastLine(text: string | undefined): string {
  const lines = (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, DETAIL_CHARS);
}

function item(run: RunRecord, step: StepRecord, t: Translator, blocked: boolean): ReadinessItemModel {
  const title = stepTitle(t, step.stepId, run.product);
  if (step.status === 'pending') {
    const key = blocked ? 'check.item.skipped' : 'check.item.pending';
    return { ...stepStateModel(t, blocked ? 'skipped' : 'pending'), title, detail: t.t(key) };
  }
  const look = stepStateModel(t, step.status);
  if (step.status === 'running') return { ...look, title, detail: t.t('check.item.running') };
  if (FAILED.includes(step.status)) {
    const detail = step.notice
      ? t.t(step.notice.key, step.notice.params)
      : (step.errorExcerpt ?? lastLine(step.stderr)) || look.text;
    return { ...look, title, detail: detail.slice(0, DETAIL_CHARS) };
  }
  return { ...look, title, detail: lastLine(step.stdout) || t.t('check.item.passed') };
}

/**
 * The readiness card of `check <server>`: one line per pre-check, filled in as results arrive,
 * ending with ready or not ready. Updated in place like a run's progress card.
 */
export function readinessCard(run: RunRecord, t: Translator, options: CardOptions = {}): ReadinessCardModel {
  const failedAt = run.steps.find((s) => FAILED.includes(s.status));
  const items = run.steps.map((s) => item(run, s, t, failedAt !== undefined && s.index > failedAt.index));
  const done = run.steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
  const pkg = run.plan.package?.version ?? '?';
  const facts: Fact[] = [
    { title: t.t('card.fact.server'), value: run.server },
    { title: t.t('card.fact.product'), value: productName(t, run.product) },
    { title: t.t('card.fact.package'), value: pkg },
    { title: t.t('card.fact.requested-by'), value: personName(run.requestedBy) },
  ];
  if (run.endedAt)
    facts.push({ title: t.t('card.fact.finished'), value: t.formatDateTime(run.endedAt, options.timeZone) });
  return {
    lang: t.locale,
    runId: run.id,
    title: t.t('check.title', { runId: run.id, server: run.server }),
    subtitle: t.t('check.subtitle'),
    facts,
    items,
    state: readinessState(run, t, { failedAt, done, pkg }),
  };
}

function readinessState(
  run: RunRecord,
  t: Translator,
  { failedAt, done, pkg }: { failedAt: StepRecord | undefined; done: number; pkg: string },
): ReadinessCardModel['state'] {
  if (failedAt) {
    const step = stepTitle(t, failedAt.stepId, run.product);
    return { ...runStatusModel(t, 'failed'), text: t.t('check.state.not-ready', { step }), note: '' };
  }
  if (run.status === 'succeeded')
    return {
      ...runStatusModel(t, 'succeeded'),
      text: t.t('check.state.ready', { package: pkg }),
      note: t.t('check.reuse'),
    };
  if (run.status === 'planned' || run.status === 'queued')
    return {
      ...runStatusModel(t, 'queued'),
      text: t.t('check.state.queued', { server: run.server }),
      note: '',
    };
  if (run.status === 'running')
    return {
      ...runStatusModel(t, 'running'),
      text: t.t('check.state.running', { done, total: run.steps.length }),
      note: '',
    };
  if (run.status === 'cancelled')
    return { ...runStatusModel(t, 'cancelled'), text: t.t('check.state.cancelled'), note: '' };
  return { ...runStatusModel(t, run.status), note: '' };
}
