/**
 * The plan card in Chinese and German, with the real patch bot in the Agents Playground: the
 * `language` command is kept per conversation (personal chat in zh-CN, the group chat in de-DE),
 * and `plan backend01 standard` then shows every step, fact and note in that language, with no
 * catalog key or unfilled placeholder left on the card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator, languageName, type SupportedLocale } from '../../src/i18n/index.js';
import { LAB_TENANT } from '../../src/lab/playground.js';
import { BACKEND01 } from '../../src/lab/servers.js';
import { planUpdate, type Plan } from '../../src/procedure/index.js';
import { screenshotElement } from './support/element-screenshot.js';
import { startPatchBotLab, type PatchBotLab, UI_TIMEOUT_MS } from './support/patch-bot-lab.js';
import { expectedStepTitles, planCommands, untranslatedLeftovers } from './support/run-cards.js';

const CJK_IDEOGRAPH = /[\u4e00-\u9fff]/;

let lab: PatchBotLab;

beforeAll(async () => {
  lab = await startPatchBotLab();
}, 60_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

function backend01Plan(): Plan {
  const planned = planUpdate({ server: 'backend01', edition: 'standard' }, BACKEND01.profile);
  if (!planned.ok) throw new Error(`backend01 cannot be planned: ${planned.error.message}`);
  return planned.value;
}

interface LocaleCase {
  locale: SupportedLocale;
  /** A conversation of its own: the language setting belongs to the conversation. */
  conversation: string;
  mentionBot: boolean;
  /** Written out here, not taken from the catalog, so a wrong catalog entry cannot pass. */
  literally: string[];
}

const CASES: LocaleCase[] = [
  {
    locale: 'zh-CN',
    conversation: 'Personal Chat',
    mentionBot: false,
    literally: ['backend01 的更新计划', '安装累积更新', '停止 Skype for Business Server 服务', '服务器'],
  },
  {
    locale: 'de-DE',
    conversation: LAB_TENANT.groupChat.name,
    mentionBot: true,
    literally: [
      'Updateplan für backend01',
      'Kumulatives Update installieren',
      'Update auf die Datenbanken anwenden',
      'Schritte',
      'Ausfallzeit',
    ],
  },
];

describe('the plan card in other languages in the Agents Playground', () => {
  for (const { locale, conversation, mentionBot, literally } of CASES) {
    it(`shows the plan for backend01 in ${locale} after "language ${locale}"`, async () => {
      const t = createTranslator(locale);
      const ui = lab.harness.page();
      await ui.selectConversation(conversation);

      await ui.sendMessage(`language ${locale}`, { mentionBot });
      await ui.waitForMessage(t.t('bot.language.set', { language: languageName(t, locale) }), UI_TIMEOUT_MS);

      await ui.sendMessage('plan backend01 standard', { mentionBot });
      const card = await ui.waitForCard(t.t('card.plan.title', { server: 'backend01' }), UI_TIMEOUT_MS);
      const text = await card.innerText();
      for (const phrase of literally) expect(text).toContain(phrase);
      const plan = backend01Plan();
      for (const title of expectedStepTitles(plan, locale)) expect(text).toContain(title);
      for (const command of planCommands(plan)) expect(text).toContain(command);
      expect(text).toContain(t.t('card.plan.preview'));
      expect(await ui.readFacts(card)).toContainEqual({
        title: t.t('card.fact.steps'),
        value: String(plan.steps.length),
      });
      expect(untranslatedLeftovers(text)).toEqual([]);
      if (locale === 'zh-CN') expect(text).toMatch(CJK_IDEOGRAPH);
      else expect(text).not.toMatch(CJK_IDEOGRAPH);
      await screenshotElement(card, `plan-card-${locale}`);
    }, 60_000);
  }

  it('keeps each conversation in its own language', async () => {
    const zh = createTranslator('zh-CN');
    const ui = lab.harness.page();
    await ui.selectConversation('Personal Chat');
    await ui.sendMessage('language');
    await ui.waitForMessage(
      zh.t('bot.language.current', { language: languageName(zh, 'zh-CN') }),
      UI_TIMEOUT_MS,
    );
    expect(lab.app.store.getConversation(LAB_TENANT.personalChat.id)?.locale).toBe('zh-CN');
    expect(lab.app.store.getConversation(LAB_TENANT.groupChat.id)?.locale).toBe('de-DE');
  }, 30_000);
});
