/**
 * What the patch bot's cards should say, worked out from the run the bot stored and the bot's
 * own translator, so a test checks the page against the plan instead of against copied text;
 * and how to find a run's card on the page while it changes in place.
 */
import type { Locator } from 'playwright-core';
import { createTranslator, stepTitle } from '../../../src/i18n/index.js';
import type { Plan } from '../../../src/procedure/index.js';
import type { App } from '../../../src/app.js';
import type { RunRecord } from '../../../src/store/types.js';
import { screenshotElement } from './element-screenshot.js';
import { UI_TIMEOUT_MS } from './patch-bot-lab.js';
import { PLAYGROUND_SELECTORS, type PlaygroundPage } from './playground-page.js';

/** `Run #12: update backend01` -> 12 (the run card's title in every language carries `#<id>`). */
export function runIdInCardText(text: string): number {
  const id = /#(\d+)/.exec(text)?.[1];
  if (id === undefined) throw new Error(`No run number in card text: ${text.slice(0, 200)}`);
  return Number(id);
}

/** The run a card shows, as the bot stored it. */
export async function runOfCard(app: App, card: Locator): Promise<RunRecord> {
  const id = runIdInCardText(await card.innerText());
  const run = await app.store.findRun(id);
  if (run === undefined) throw new Error(`The card shows run #${id}, which the bot does not know`);
  return run;
}

/** Every step title of the plan, as the card should show them in `locale`. */
export function expectedStepTitles(plan: Plan, locale: string): string[] {
  const t = createTranslator(locale);
  return plan.steps.map((step) => stepTitle(t, step.id, plan.product));
}

/** The commands the runner will send to PowerShell (closing the shell has none). */
export function planCommands(plan: Plan): string[] {
  return plan.steps.map((step) => step.command).filter((command) => command !== '');
}

/**
 * Text that must never reach a person: a catalog key such as `step.services.stop` or
 * `card.fact.server`, or a placeholder such as `{product}` left unfilled.
 */
export function untranslatedLeftovers(text: string): string[] {
  const keys = text.match(/\b(?:step|card|state|phase|bot|help|error|language)\.[a-z][\w-]*(?:\.[\w-]+)*/g);
  const placeholders = text.match(/\{[A-Za-z]\w*\}/g);
  return [...(keys ?? []), ...(placeholders ?? [])];
}

/**
 * Waits until one of `cards` (e.g. `ui.cards(runTitle)`) shows every text in `texts`, and returns
 * it. On time-out the error tells what those cards showed instead, and a screenshot is saved: a
 * run card changes in place, so a plain locator time-out says too little.
 */
export async function waitForCardShowing(
  cards: Locator,
  texts: readonly string[],
  timeoutMs = UI_TIMEOUT_MS,
): Promise<Locator> {
  const card = texts.reduce((found, text) => found.filter({ hasText: text }), cards);
  try {
    await card.last().waitFor({ timeout: timeoutMs });
    return card.last();
  } catch (error) {
    const shown = await cards.allInnerTexts().catch(() => []);
    await screenshotElement(cards.page().locator('body'), 'failed-wait-for-card').catch(() => undefined);
    const summary = shown.map((text) => text.replace(/\s+/g, ' ').slice(0, 400)).join('\n---\n');
    throw new Error(
      `No card showed ${JSON.stringify(texts)} within ${timeoutMs} ms (see test/artifacts/failed-wait-for-card.png); the page shows:\n${summary || '(no such card)'}`,
      { cause: error },
    );
  }
}

/** Waits for the last card offering the button `buttonTitle` (e.g. a plan card's Confirm). */
export async function waitForCardWithButton(
  ui: PlaygroundPage,
  buttonTitle: string,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<Locator> {
  const card = ui
    .cards()
    .filter({ has: ui.page.locator(PLAYGROUND_SELECTORS.cardButton(buttonTitle)) })
    .last();
  await card.waitFor({ timeout: timeoutMs });
  return card;
}
