/**
 * Why a job failed without running (issue 16, finding 9): no runner took it in time, or the
 * runner declined it. The reason is on the failure card and the step's reply, in the reader's
 * language, above whatever the runner said.
 */
import { describe, expect, it } from 'vitest';
import { failureCard } from '../../src/cards/failure.js';
import { stepResultCard } from '../../src/cards/step-result.js';
import { createTranslator } from '../../src/i18n/index.js';
import type { StepRecord } from '../../src/store/types.js';
import { baseRun, nowAt } from './fixtures.js';

function failedFirstStep(notice: StepRecord['notice'], errorExcerpt: string | null = null) {
  const run = baseRun(undefined, { status: 'failed' });
  const step: StepRecord = { ...run.steps[0]!, status: 'failed', notice, errorExcerpt };
  run.steps[0] = step;
  return { run, step };
}

describe('step notices on the cards', () => {
  it.each(['en-US', 'de-DE', 'es-ES', 'zh-CN'])('a job no runner picked up, in %s', (locale) => {
    const t = createTranslator(locale);
    const { run, step } = failedFirstStep({
      key: 'run.not-picked-up',
      params: { server: 'backend01', timeoutMs: 60_000, lastSeen: '' },
    });
    const expected = t.t('run.not-picked-up', {
      server: 'backend01',
      timeout: t.formatDuration(60_000),
      lastSeen: t.t('run.never-heard'),
    });
    expect(failureCard(run, step, nowAt(22), t).error.lines[0]?.text).toBe(expected);
    expect(stepResultCard(run, step, t).errors.lines[0]?.text).toBe(expected);
    expect(expected).toContain('backend01');
  });

  it("a declined job: the reason in the reader's language, then the runner's own words", () => {
    const t = createTranslator('de-DE');
    const { run, step } = failedFirstStep(
      { key: 'run.declined', params: { server: 'backend01', code: 'plan-mismatch' } },
      'The runner refused this job (plan-mismatch): the step sequence differs.',
    );
    const lines = failureCard(run, step, nowAt(22), t).error.lines.map((l) => l.text);
    expect(lines[0]).toBe(t.t('run.declined', { server: 'backend01', code: 'plan-mismatch' }));
    expect(lines[1]).toContain('plan-mismatch');
  });
});
