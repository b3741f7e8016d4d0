import { describe, expect, it } from 'vitest';
import { CARD_TEMPLATE_NAMES, renderCard, type CardTemplateName } from '../../src/cards/index.js';
import { CATALOGS, createTranslator, SUPPORTED_LOCALES, type SupportedLocale } from '../../src/i18n/index.js';
import { mustPlan, REQUESTS } from './fixtures.js';
import { modelsFor, variationsFor } from './models-for-tests.js';
import { untranslatedBits, validateCard, visibleText } from './validate-card.js';

const plan = mustPlan(REQUESTS.enterprise);

/** English catalog messages (as patterns) that this locale words differently: none may appear on its cards. */
function englishMessages(locale: SupportedLocale): RegExp[] {
  const english: Readonly<Record<string, string>> = CATALOGS['en-US'];
  const own: Readonly<Record<string, string>> = CATALOGS[locale];
  return Object.entries(english)
    .filter(([key, message]) => own[key] !== message)
    .map(([, message]) => {
      const escaped = message.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[A-Za-z]+\\?\}/g, '.+?');
      return new RegExp(`^${escaped}$`);
    });
}
const english = modelsFor(plan, createTranslator('en-US'));

function render<N extends CardTemplateName>(name: N, model: unknown) {
  return renderCard(name, model as Parameters<typeof renderCard<N>>[1]).content;
}

describe.each(SUPPORTED_LOCALES)('cards in %s', (locale) => {
  const t = createTranslator(locale);
  const models = modelsFor(plan, t);
  const variations = variationsFor(plan, t);

  it.each(CARD_TEMPLATE_NAMES)('%s renders a valid card from a real plan', (name) => {
    const card = render(name, models[name]);
    expect(validateCard(card)).toEqual([]);
    expect(card.lang).toBe(locale);
    expect(untranslatedBits(visibleText(card))).toEqual([]);
  });

  it.each(CARD_TEMPLATE_NAMES)('%s renders every variation', (name) => {
    for (const model of variations[name] ?? []) {
      const card = render(name, model);
      expect(validateCard(card)).toEqual([]);
      expect(untranslatedBits(visibleText(card))).toEqual([]);
    }
  });
});

describe.each(SUPPORTED_LOCALES.filter((l) => l !== 'en-US'))('cards in %s', (locale) => {
  const models = modelsFor(plan, createTranslator(locale));

  it.each(CARD_TEMPLATE_NAMES)('%s is not the English card', (name) => {
    const text = visibleText(render(name, models[name]));
    const englishText = visibleText(render(name, english[name]));
    expect(text.join('\n')).not.toBe(englishText.join('\n'));
    expect(text.filter((s) => englishMessages(locale).some((re) => re.test(s)))).toEqual([]);
  });
});

describe.each(Object.entries(REQUESTS))('plan card for the %s variant', (variant, request) => {
  const command = {
    standard: 'Update-PatchBotDatabase -Variant standard',
    enterprise: "Update-PatchBotDatabase -Variant enterprise -SqlServerFqdn 'sql01.contoso.local'",
    'enterprise-collocated':
      "Update-PatchBotDatabase -Variant enterprise-collocated -SqlServerFqdn 'sql01.contoso.local'",
  }[variant];

  it.each(SUPPORTED_LOCALES)('shows the right database update command in %s', (locale) => {
    const t = createTranslator(locale);
    const card = render('plan', modelsFor(mustPlan(request), t).plan);
    const texts = visibleText(card);
    expect(validateCard(card)).toEqual([]);
    expect(texts.filter((s) => s.startsWith('Update-PatchBotDatabase -'))).toEqual([command]);
    expect(texts).toContain(t.t(`variant.${variant}`));
  });
});
