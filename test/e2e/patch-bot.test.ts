/**
 * The real patch bot, started as lab mode starts it (bot, runner agents on SIMULATED servers),
 * used through the Agents Playground in Chromium the way an admin uses Teams: a channel update
 * from plan card to finished run, and an update in personal chat whose missing details the bot
 * asks for, then cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { frameText } from './support/conversation-stream.js';
import { screenshotElement } from './support/element-screenshot.js';
import {
  startPatchBotLab,
  waitForOutboxToDrain,
  waitForRunToFinish,
  waitUntil,
  type PatchBotLab,
  UI_TIMEOUT_MS,
} from './support/patch-bot-lab.js';
import { PLAYGROUND_SELECTORS } from './support/playground-page.js';
import {
  expectedStepTitles,
  planCommands,
  runOfCard,
  waitForCardShowing,
  waitForCardWithButton,
} from './support/run-cards.js';

const en = createTranslator('en-US');
const CARD_BUTTONS = '.ac-actionSet button';
/** The title of a step's reply in the thread, `Step 3 of 20: ...` (card.step.position). */
const STEP_REPLY_TITLE = /Step \d+ of \d+:/;
let lab: PatchBotLab;

beforeAll(async () => {
  lab = await startPatchBotLab();
}, 60_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

describe('the patch bot in the Agents Playground', () => {
  it('updates backend01 from a channel: plan card, Confirm, progress card in place, a reply per step', async () => {
    const ui = lab.harness.page();
    await ui.selectConversation('IT Ops - Patching');
    await ui.sendMessage('update backend01 standard', { mentionBot: true });

    const planCard = await waitForCardWithButton(ui, en.t('card.action.confirm'));
    const run = await runOfCard(lab.app, planCard);
    expect(run).toMatchObject({ server: 'backend01', status: 'planned' });
    const cardTitle = en.t('card.run.title', { runId: run.id, server: 'backend01' });
    const planText = await planCard.innerText();
    expect(planText).toContain(cardTitle);
    for (const title of expectedStepTitles(run.plan, 'en-US')) expect(planText).toContain(title);
    for (const command of planCommands(run.plan)) expect(planText).toContain(command);
    expect(planText).toContain('Stop-PatchBotCsServices');
    expect(planText).toContain('Update-PatchBotDatabase -Variant standard');
    // ...and the Microsoft commands they run, as the article writes them.
    expect(planText).toContain('Install-CsDatabase -Update -LocalDatabases');
    expect(planText).toContain('net stop w3svc /y');
    expect(await ui.readFacts(planCard)).toContainEqual({
      title: en.t('card.fact.steps'),
      value: String(run.plan.steps.length),
    });
    await screenshotElement(planCard, 'patch-bot-plan-card');

    await ui.clickCardButton(planCard, en.t('card.action.confirm'));
    const finished = await waitForRunToFinish(lab.app, run.id);
    expect(finished.status).toBe('succeeded');
    await waitForOutboxToDrain(lab.app);

    // The plan card itself became the progress card and reached its final state.
    const stepCount = finished.steps.length;
    const progressCard = await waitForCardShowing(ui.cards(cardTitle), [
      en.t('card.progress.done', { done: stepCount, total: stepCount }),
    ]);
    const progressText = await progressCard.innerText();
    expect(progressText).toContain(`✅ ${en.t('state.run.succeeded')}`);
    expect(await progressCard.locator(CARD_BUTTONS).count()).toBe(0);
    expect(await ui.readFacts(progressCard)).toContainEqual({
      title: en.t('card.fact.approved-by'),
      value: en.t('card.history.no-approval'),
    });
    expect(await ui.cards(cardTitle).count()).toBe(1);
    await screenshotElement(progressCard, 'patch-bot-progress-card-final');

    // In the thread: one reply per step, in order, then the summary.
    const thread = await ui.threadContaining(cardTitle);
    const threadCards = thread.locator(PLAYGROUND_SELECTORS.card);
    const stepReplies = threadCards.filter({ hasText: STEP_REPLY_TITLE }).filter({ hasNotText: cardTitle });
    await expect.poll(() => stepReplies.count(), { timeout: UI_TIMEOUT_MS }).toBe(stepCount);
    const replyTitles = expectedStepTitles(run.plan, 'en-US').map((title, i) =>
      en.t('card.step.position', { index: i + 1, total: stepCount, title }),
    );
    for (const [i, title] of replyTitles.entries()) {
      await expect(stepReplies.nth(i).innerText()).resolves.toContain(title);
    }
    await ui.waitForCard(en.t('card.summary.succeeded', { server: 'backend01' }), UI_TIMEOUT_MS);

    // Teams saw one card message for the run, edited in place, and every reply in the same thread.
    const botFrames = lab.harness.stream.botFrames(lab.harness.tenant.bot.id);
    const cardFrames = botFrames.filter((frame) => frameText(frame).includes(cardTitle));
    const replyFrames = botFrames.filter(
      (frame) =>
        frame.action === 'createMessage' &&
        STEP_REPLY_TITLE.test(frameText(frame)) &&
        !frameText(frame).includes(cardTitle),
    );
    expect(replyFrames).toHaveLength(stepCount);
    expect(replyFrames.every((frame) => frame.actionConversationId === finished.conversationId)).toBe(true);
    const created = cardFrames.filter((frame) => frame.action === 'createMessage');
    expect(created).toHaveLength(1);
    expect(created[0]?.message?.messageId).toBe(finished.cardActivityId);
    expect(cardFrames.filter((frame) => frame.action === 'updateMessage').length).toBeGreaterThan(0);
    await screenshotElement(thread, 'patch-bot-channel-thread');
  }, 90_000);

  // Asking for them when a server reported nothing: test/bot/update-dialog.test.ts.
  it('takes the edition and the SQL Server be01 reported in personal chat, shows -SqlServerFqdn, and cancels', async () => {
    const ui = lab.harness.page();
    await ui.selectConversation('Personal Chat');
    await waitUntil(
      () => lab.app.store.runners().find((r) => r.server === 'be01')?.facts?.sqlServerFqdn,
      UI_TIMEOUT_MS,
      'be01 to report its facts',
    );

    await ui.sendMessage('update be01');

    const planCard = await ui.waitForCard("-SqlServerFqdn 'sql01.contoso.local'", UI_TIMEOUT_MS);
    const run = await runOfCard(lab.app, planCard);
    expect(run).toMatchObject({ server: 'be01', status: 'planned' });
    const planText = await planCard.innerText();
    expect(planText).toContain(
      "Update-PatchBotDatabase -Variant enterprise -SqlServerFqdn 'sql01.contoso.local'",
    );
    expect(planText).toContain(
      "Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn 'sql01.contoso.local'",
    );
    for (const command of planCommands(run.plan)) expect(planText).toContain(command);
    expect(await ui.readFacts(planCard)).toContainEqual({
      title: en.t('card.fact.sql'),
      value: 'sql01.contoso.local',
    });
    await screenshotElement(planCard, 'patch-bot-personal-plan-card');

    await ui.clickCardButton(planCard, en.t('card.action.cancel'));

    const cardTitle = en.t('card.run.title', { runId: run.id, server: 'be01' });
    const cancelledCard = await ui.waitForCard(`🚫 ${en.t('state.run.cancelled')}`, UI_TIMEOUT_MS);
    expect(await cancelledCard.innerText()).toContain(cardTitle);
    expect(await cancelledCard.locator(CARD_BUTTONS).count()).toBe(0);
    expect(await ui.cards(cardTitle).count()).toBe(1);
    expect((await lab.app.store.findRun(run.id))?.status).toBe('cancelled');
    await screenshotElement(cancelledCard, 'patch-bot-personal-plan-card-cancelled');
  }, 60_000);
});
