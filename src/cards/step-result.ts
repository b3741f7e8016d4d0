import { stepTitle, type Translator } from '../i18n/index.js';
import type { RunRecord, StepRecord } from '../store/types.js';
import { noticeText, outputLines, stepStateModel } from './common.js';
import type { Fact, StepResultCardModel } from './models.js';

export function planStepOf(run: RunRecord, step: StepRecord) {
  return run.plan.steps.find((s) => s.id === step.stepId);
}

export function stepHeading(run: RunRecord, step: StepRecord, t: Translator): string {
  return t.t('card.step.position', {
    index: planStepOf(run, step)?.index ?? step.index + 1,
    total: run.plan.steps.length,
    title: stepTitle(t, step.stepId, run.product),
  });
}

export function stepFacts(run: RunRecord, step: StepRecord, t: Translator): Fact[] {
  const facts: Fact[] = [{ title: t.t('card.fact.server'), value: run.server }];
  if (step.durationMs !== undefined) {
    facts.push({ title: t.t('card.fact.duration'), value: t.formatDuration(step.durationMs) });
  }
  if (step.exitCode !== undefined && step.exitCode !== null) {
    facts.push({ title: t.t('card.fact.exit-code'), value: String(step.exitCode) });
  }
  facts.push({ title: t.t('card.fact.attempt'), value: String(step.attempt) });
  return facts;
}

/** The thread reply posted for each finished step: status, title, duration, exit code, output excerpt. */
export function stepResultCard(run: RunRecord, step: StepRecord, t: Translator): StepResultCardModel {
  const output = outputLines(step.stdout);
  const errorOutput = outputLines(step.stderr?.trim() ? step.stderr : step.errorExcerpt);
  const notice = noticeText(t, step);
  const errors = { ...errorOutput, lines: [...(notice ? [{ text: notice }] : []), ...errorOutput.lines] };
  return {
    lang: t.locale,
    runId: run.id,
    heading: stepHeading(run, step, t),
    status: stepStateModel(t, step.status),
    facts: stepFacts(run, step, t),
    output: { label: t.t('card.step.output'), lines: output.lines },
    errors: { label: t.t('card.step.errors'), lines: errors.lines },
    truncated: output.truncated || errors.truncated ? t.t('card.step.truncated') : '',
  };
}
