import { describe, expect, it } from 'vitest';
import { createTranslator, interpolate, resolveLocale, SUPPORTED_LOCALES } from '../../src/i18n/index.js';

describe('resolveLocale', () => {
  it.each([
    ['en-US', 'en-US'],
    ['de-DE', 'de-DE'],
    ['es-ES', 'es-ES'],
    ['zh-CN', 'zh-CN'],
    ['de-AT', 'de-DE'],
    ['de-CH', 'de-DE'],
    ['de', 'de-DE'],
    ['DE-de', 'de-DE'],
    ['de_DE', 'de-DE'],
    ['es-MX', 'es-ES'],
    ['es-419', 'es-ES'],
    ['zh', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh_hant_tw', 'zh-CN'],
    ['en-GB', 'en-US'],
    ['fr-FR', 'en-US'],
    ['', 'en-US'],
    ['   ', 'en-US'],
    ['auto', 'en-US'],
    ['x', 'en-US'],
    [undefined, 'en-US'],
    [null, 'en-US'],
  ])('%s -> %s', (tag, expected) => {
    expect(resolveLocale(tag)).toBe(expected);
  });
});

describe('t()', () => {
  const t = createTranslator('en-US');

  it('fills placeholders and leaves a missing one visible', () => {
    expect(t.t('bot.run.queued', { runId: 12, server: 'backend01' })).toBe(
      'Run #12 is queued; the runner on backend01 picks it up in a moment.',
    );
    expect(t.t('bot.run.queued', { runId: 12 })).toBe(
      'Run #12 is queued; the runner on {server} picks it up in a moment.',
    );
    expect(interpolate('{a} and {b}', { a: 'x' })).toBe('x and {b}');
  });

  it('returns an unknown key unchanged and never throws', () => {
    expect(t.t('no.such.key')).toBe('no.such.key');
    expect(t.has('no.such.key')).toBe(false);
    expect(t.has('bot.welcome')).toBe(true);
  });

  it('does not read params as patterns', () => {
    expect(t.t('bot.run-not-found', { runId: '$& {runId}' })).toBe('There is no run #$& {runId}.');
  });

  it('shares one translator per resolved locale', () => {
    expect(createTranslator('de-AT')).toBe(createTranslator('de-DE'));
    expect(createTranslator('de-AT').locale).toBe('de-DE');
  });
});

describe('plural()', () => {
  it.each([
    ['en-US', 1, '1 step succeeded'],
    ['en-US', 2, '2 steps succeeded'],
    ['en-US', 0, '0 steps succeeded'],
    ['de-DE', 1, '1 Schritt erfolgreich'],
    ['de-DE', 20, '20 Schritte erfolgreich'],
    ['es-ES', 1, '1 paso correcto'],
    ['es-ES', 1_000_000, '1000000 pasos correctos'],
    ['zh-CN', 1, '1 个步骤成功'],
    ['zh-CN', 5, '5 个步骤成功'],
  ] as const)('%s %d', (locale, count, expected) => {
    expect(createTranslator(locale).plural('card.summary.steps-succeeded', count)).toBe(expected);
  });

  it('passes extra params through', () => {
    expect(createTranslator('en-US').plural('card.status.count', 3, {})).toBe('3 runs are active');
  });
});

describe('formatDuration()', () => {
  const ms = (h: number, m: number, s: number) => ((h * 60 + m) * 60 + s) * 1000;
  it.each([
    ['en-US', ms(0, 4, 12), '4 min 12 sec'],
    ['en-US', ms(1, 3, 40), '1 hr 3 min'],
    ['en-US', ms(0, 4, 0), '4 min'],
    ['en-US', ms(2, 0, 5), '2 hr'],
    ['en-US', 0, '0 sec'],
    ['en-US', 999, '0 sec'],
    ['en-US', -5000, '0 sec'],
    ['en-US', Number.NaN, '0 sec'],
    ['de-DE', ms(0, 4, 12), '4 Min. 12 Sek.'],
    ['de-DE', ms(1, 3, 0), '1 Std. 3 Min.'],
    ['es-ES', ms(0, 4, 12), '4 min 12 s'],
    ['es-ES', ms(1, 3, 0), '1 h 3 min'],
    ['zh-CN', ms(0, 4, 12), '4分钟12秒'],
    ['zh-CN', ms(1, 3, 0), '1小时3分钟'],
  ] as const)('%s %d ms', (locale, value, expected) => {
    expect(createTranslator(locale).formatDuration(value)).toBe(expected);
  });
});

describe('formatDateTime() and formatList()', () => {
  const iso = '2025-03-12T10:04:00Z';
  it.each([
    ['en-US', 'Mar 12, 2025, 10:04 AM UTC'],
    ['de-DE', '12. März 2025, 10:04 UTC'],
    ['es-ES', '12 mar 2025, 10:04 UTC'],
    ['zh-CN', '2025年3月12日 UTC 10:04'],
  ] as const)('%s', (locale, expected) => {
    expect(createTranslator(locale).formatDateTime(iso)).toBe(expected);
  });

  it('uses the given zone, survives a bad zone and a bad timestamp', () => {
    const t = createTranslator('de-DE');
    expect(t.formatDateTime(iso, 'Europe/Berlin')).toBe('12. März 2025, 11:04 MEZ');
    expect(t.formatDateTime(iso, 'Not/AZone')).toBe('12. März 2025, 10:04 UTC');
    expect(t.formatDateTime('yesterday')).toBe('yesterday');
  });

  it.each(SUPPORTED_LOCALES)('lists in %s', (locale) => {
    const list = createTranslator(locale).formatList(['Alice', 'Bob', 'Carol']);
    expect(list).toMatch(/Alice.+Bob.+Carol/);
    expect(createTranslator(locale).formatList(['Alice'])).toBe('Alice');
  });
});
