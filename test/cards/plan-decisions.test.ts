import { describe, expect, it } from 'vitest';
import { planCard, readinessCard, renderCard } from '../../src/cards/index.js';
import { createTranslator, SUPPORTED_LOCALES } from '../../src/i18n/index.js';
import type { Plan } from '../../src/procedure/index.js';
import { mustPlan, REQUESTS } from './fixtures.js';
import { checkRun } from './models-for-tests.js';
import { untranslatedBits, validateCard, visibleText } from './validate-card.js';

/** A plan as the bot makes it from facts: version change, facts used, a fresh check, this server's downtime. */
function decidedPlan(): Plan {
  const plan = mustPlan(REQUESTS.enterprise);
  plan.notes = [
    { key: 'update.note.version-change', params: { installed: '7.0.2046.385', package: '7.0.2046.530' } },
    { key: 'update.note.from-facts', params: { server: 'backend01', time: '2026-11-23T01:55:00.000Z' } },
    ...(plan.notes ?? []),
    { key: 'update.note.checked-ready', params: { time: '2026-11-23T01:40:00.000Z', runId: 7 } },
    {
      key: 'update.note.predicted-downtime',
      params: { medianMs: 11 * 60_000, worstMs: 17 * 60_000, runs: 4 },
    },
  ];
  return plan;
}

describe('plan card with the update decision', () => {
  it.each(SUPPORTED_LOCALES)(
    'shows the version change, the facts used, the fresh check and this server’s downtime in %s',
    (locale) => {
      const t = createTranslator(locale);
      const card = renderCard('plan', planCard(decidedPlan(), {}, t)).content;
      expect(validateCard(card)).toEqual([]);
      const texts = visibleText(card);
      expect(untranslatedBits(texts)).toEqual([]);
      expect(texts.some((s) => s.includes('7.0.2046.385 -> 7.0.2046.530'))).toBe(true);
      expect(texts.some((s) => s.includes('#7'))).toBe(true);
      expect(texts.some((s) => s.includes('2026-11-23T'))).toBe(false);
      // The predicted line replaces the product's typical figure and is not repeated as a note.
      const predicted = t.plural('update.downtime.predicted', 4, {
        median: t.formatDuration(11 * 60_000),
        worst: t.formatDuration(17 * 60_000),
      });
      expect(texts.filter((s) => s === predicted)).toHaveLength(1);
      expect(texts).not.toContain(
        t.t('card.downtime.typical', { minutes: decidedPlan().typicalDowntimeMinutes }),
      );
    },
  );

  it('keeps the typical figure without history, and says when the version could not be compared', () => {
    const t = createTranslator('en-US');
    const plan = mustPlan();
    plan.notes = [
      { key: 'update.note.version-unknown', params: { server: 'backend01', package: '7.0.2046.530' } },
    ];
    const texts = visibleText(renderCard('plan', planCard(plan, {}, t)).content);
    expect(texts).toContain(t.t('card.downtime.typical', { minutes: plan.typicalDowntimeMinutes }));
    expect(texts.some((s) => s.includes('could not compare it'))).toBe(true);
  });
});

describe('readiness card', () => {
  it.each(SUPPORTED_LOCALES)('fills in as results arrive and ends ready or not ready in %s', (locale) => {
    const t = createTranslator(locale);
    const plan = mustPlan(REQUESTS.enterprise);
    for (const outcome of ['running', 'ready', 'not-ready'] as const) {
      const run = checkRun(plan, outcome);
      const card = renderCard('readiness', readinessCard(run, t)).content;
      expect(validateCard(card)).toEqual([]);
      const texts = visibleText(card);
      expect(untranslatedBits(texts)).toEqual([]);
      expect(card.actions).toBeUndefined();
      if (outcome === 'ready')
        expect(texts.join('\n')).toContain(t.t('check.state.ready', { package: '7.0.2046.530' }));
      if (outcome === 'running')
        expect(texts.join('\n')).toContain(
          t.t('check.state.running', {
            done: run.steps.filter((s) => s.status === 'succeeded').length,
            total: run.steps.length,
          }),
        );
      if (outcome === 'not-ready') {
        expect(texts.join('\n')).toContain('Another management shell is open (PID 4242).');
        expect(texts.join('\n')).toContain(t.t('check.item.skipped'));
      }
    }
  });
});
