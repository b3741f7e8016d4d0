/**
 * Approval by a second admin, with the real patch bot in the Agents Playground: Alex (the
 * playground's current user, in Chromium) requests and confirms an update in a channel; his own
 * approval and a non-approver's are refused; Bea approves through the playground's REST invoke
 * (the page can only act as Alex); the run then completes and Alex's page shows the final card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { LAB_TENANT, type PlaygroundUser } from '../../src/lab/playground.js';
import { frameText, type StreamFrame } from './support/conversation-stream.js';
import { screenshotElement } from './support/element-screenshot.js';
import {
  startPatchBotLab,
  waitForOutboxToDrain,
  waitForRunToFinish,
  type PatchBotLab,
  UI_TIMEOUT_MS,
} from './support/patch-bot-lab.js';
import { invokeCardAction } from './support/playground-api.js';
import { PLAYGROUND_SELECTORS } from './support/playground-page.js';
import { runOfCard, waitForCardShowing, waitForCardWithButton } from './support/run-cards.js';

const en = createTranslator('en-US');
const CARD_BUTTONS = '.ac-actionSet button';

function tenantUser(givenName: string): PlaygroundUser {
  const user = LAB_TENANT.otherUsers.find((candidate) => candidate.givenName === givenName);
  if (user === undefined) throw new Error(`${givenName} is not in the lab tenant`);
  return user;
}

const alex = LAB_TENANT.currentUser;
const bea = tenantUser('Bea');
const chen = tenantUser('Chen');
const fay = tenantUser('Fay');

let lab: PatchBotLab;

beforeAll(async () => {
  lab = await startPatchBotLab({
    env: { PATCHBOT_APPROVALS_REQUIRED: '1', PATCHBOT_APPROVERS: `${bea.id},${chen.id}` },
  });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

/** What the bot sent Teams for one message: its creation, then every update in place. */
function framesOfMessage(messageId: string): StreamFrame[] {
  return lab.harness.stream
    .botFrames(lab.harness.tenant.bot.id)
    .filter((frame) => frame.message?.messageId === messageId);
}

/** The card content of the bot's latest create/update frame for the message `messageId`. */
function latestCardOf(messageId: string): Record<string, unknown> | undefined {
  const content = framesOfMessage(messageId).at(-1)?.message?.attachments?.[0]?.content;
  return typeof content === 'object' && content !== null ? (content as Record<string, unknown>) : undefined;
}

describe('approval by a second admin in the Agents Playground', () => {
  it('waits for another approver, refuses the requester and a non-approver, and runs once Bea approves', async () => {
    const ui = lab.harness.page();
    await ui.selectConversation('IT Ops - Patching');
    await ui.sendMessage('update backend01 standard', { mentionBot: true });

    const planCard = await waitForCardWithButton(ui, en.t('card.action.confirm'));
    const run = await runOfCard(lab.app, planCard);
    const cardTitle = en.t('card.run.title', { runId: run.id, server: 'backend01' });
    expect(await planCard.innerText()).toContain(en.plural('card.plan.needs-approval', 1));

    // Alex confirms: the card changes in place to "waiting for approval", with no Approve for him.
    await ui.clickCardButton(planCard, en.t('card.action.confirm'));
    const waiting = en.t('card.plan.awaiting', { count: 0, required: 1 });
    const waitingCard = await ui.waitForCard(waiting, UI_TIMEOUT_MS);
    expect(await waitingCard.innerText()).toContain(cardTitle);
    expect(await waitingCard.locator(CARD_BUTTONS).count()).toBe(0);
    expect(await ui.cards(cardTitle).count()).toBe(1);
    await waitForOutboxToDrain(lab.app);
    const awaiting = await lab.app.store.findRun(run.id);
    expect(awaiting?.status).toBe('awaiting-approval');
    const cardMessageId = awaiting?.cardActivityId ?? '';
    const threadId = awaiting?.conversationId ?? '';
    expect(threadId).toContain(';messageid=');
    await screenshotElement(waitingCard, 'patch-bot-approval-waiting');

    // The card the bot put in the channel asks Teams for a per-user view for the approvers only.
    const sharedCard = latestCardOf(cardMessageId);
    expect(sharedCard?.refresh).toMatchObject({ userIds: [bea.id, chen.id] });
    expect(JSON.stringify(sharedCard?.actions ?? [])).not.toContain('run.approve');

    // Alex has no Approve button; pressing it anyway (as Teams would send it) is refused.
    const press = (fromId: string) =>
      invokeCardAction(lab.harness.playground.url, {
        conversationId: threadId,
        replyToId: cardMessageId,
        fromId,
        verb: 'run.approve',
        data: { runId: run.id },
      });
    await expect(press(alex.id)).resolves.toMatchObject({ value: en.t('bot.self-approval') });
    await expect(press(fay.id)).resolves.toMatchObject({ value: en.t('bot.not-allowed.approve') });
    expect((await lab.app.store.findRun(run.id))?.decisions).toEqual([]);

    // Bea approves from her own Teams client (the REST invoke); the run starts and finishes.
    const framesBeforeApproval = framesOfMessage(cardMessageId).length;
    const approved = await press(bea.id);
    expect(approved.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(approved.value)).toContain(bea.name);
    const finished = await waitForRunToFinish(lab.app, run.id);
    expect(finished.status).toBe('succeeded');
    expect(finished.decisions.map((decision) => [decision.by.id, decision.decision])).toEqual([
      [bea.id, 'approved'],
    ]);
    await waitForOutboxToDrain(lab.app);

    // The invoke itself sends the page nothing; the bot's own card updates bring it up to date.
    const stepCount = finished.steps.length;
    const finalCard = await waitForCardShowing(ui.cards(cardTitle), [
      en.t('card.progress.done', { done: stepCount, total: stepCount }),
    ]);
    expect(await finalCard.innerText()).toContain(`✅ ${en.t('state.run.succeeded')}`);
    expect(await ui.readFacts(finalCard)).toContainEqual({
      title: en.t('card.fact.approved-by'),
      value: bea.name,
    });
    expect(await ui.cards(cardTitle).count()).toBe(1);
    const thread = await ui.threadContaining(cardTitle);
    const summary = en.t('card.summary.succeeded', { server: 'backend01' });
    await expect
      .poll(() => thread.locator(PLAYGROUND_SELECTORS.card).filter({ hasText: summary }).count(), {
        timeout: UI_TIMEOUT_MS,
      })
      .toBe(1);
    const updatesAfterApproval = framesOfMessage(cardMessageId).slice(framesBeforeApproval);
    expect(updatesAfterApproval.every((frame) => frame.action === 'updateMessage')).toBe(true);
    expect(updatesAfterApproval.some((frame) => frameText(frame).includes(bea.name))).toBe(true);
    await screenshotElement(finalCard, 'patch-bot-approval-final');
  }, 90_000);
});
