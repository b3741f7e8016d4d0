/**
 * Version-aware updates in the Agents Playground (issue 14), as an admin sees them: an update
 * repeated after it finished answers "nothing to do" and stops nothing; a typed edition that
 * contradicts the server is refused with both values; `check <server>` shows one readiness card
 * that fills in and ends ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { seedLabCatalog } from '../bot/lab-catalog.js';
import { screenshotElement } from './support/element-screenshot.js';
import {
  startPatchBotLab,
  UI_TIMEOUT_MS,
  waitForOutboxToDrain,
  waitForRunToFinish,
  waitUntil,
  type PatchBotLab,
} from './support/patch-bot-lab.js';
import { PLAYGROUND_SELECTORS } from './support/playground-page.js';
import { runOfCard, waitForCardShowing, waitForCardWithButton } from './support/run-cards.js';

const en = createTranslator('en-US');
let lab: PatchBotLab;

beforeAll(async () => {
  lab = await startPatchBotLab();
  await seedLabCatalog(lab.app.store);
}, 60_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

const factsOf = (server: string) => lab.app.store.runners().find((r) => r.server === server)?.facts ?? null;

describe('version-aware updates in the Agents Playground', () => {
  it('a repeated "update backend01 standard" answers nothing to do, with no card and no downtime', async () => {
    const ui = lab.harness.page();
    await ui.selectConversation('Personal Chat');
    await ui.sendMessage('update backend01 standard');
    const planCard = await waitForCardWithButton(ui, en.t('card.action.confirm'));
    const run = await runOfCard(lab.app, planCard);
    await ui.clickCardButton(planCard, en.t('card.action.confirm'));
    const finished = await waitForRunToFinish(lab.app, run.id);
    expect(finished.status).toBe('succeeded');
    await waitForOutboxToDrain(lab.app);
    const version = finished.plan.package!.version;
    await waitUntil(
      () => factsOf('backend01')?.installedVersion === version,
      15_000,
      'the new version in the facts',
    );

    const server = lab.fleet.servers.find((s) => s.profile.server === 'backend01')!;
    const commands = server.stepCommands().length;
    await ui.sendMessage('update backend01 standard');
    const answer = await ui.waitForMessage(
      en.t('update.nothing-to-do', { server: 'backend01', installed: version }).slice(0, 60),
      UI_TIMEOUT_MS,
    );
    expect(await answer.innerText()).toContain('nothing to do');
    await screenshotElement(answer, 'update-nothing-to-do');
    // No card offers Confirm: the first run's card became its progress card, and no new plan came.
    const confirm = ui.page.locator(PLAYGROUND_SELECTORS.cardButton(en.t('card.action.confirm')));
    expect(await ui.cards().filter({ has: confirm }).count()).toBe(0);
    expect(lab.app.store.liveRuns().filter((r) => r.server === 'backend01')).toHaveLength(0);
    expect(server.stepCommands().length).toBe(commands);
  });

  it('refuses an edition that contradicts what the server reported, showing both', async () => {
    const ui = lab.harness.page();
    await ui.sendMessage('update be01 standard');
    const answer = await ui.waitForMessage('You typed "standard"', UI_TIMEOUT_MS);
    const text = await answer.innerText();
    expect(text).toContain('be01');
    expect(text).toContain('enterprise');
    expect(lab.app.store.liveRuns().filter((r) => r.server === 'be01')).toHaveLength(0);
  });

  it('check lyncbe01 shows one readiness card that fills in and ends ready, with no downtime', async () => {
    const ui = lab.harness.page();
    await ui.sendMessage('check lyncbe01');
    const check = await waitUntil(
      async () =>
        lab.app.store.liveRuns().find((r) => r.server === 'lyncbe01' && r.kind === 'check') ??
        (await lab.app.store.finishedRuns({ server: 'lyncbe01', limit: 1 })).find((r) => r.kind === 'check'),
      UI_TIMEOUT_MS,
      'the check run',
    );
    const done = await waitForRunToFinish(lab.app, check.id);
    expect(done.status).toBe('succeeded');
    expect(done.downtimeStartedAt).toBeNull();
    await waitForOutboxToDrain(lab.app);
    const title = en.t('check.title', { runId: check.id, server: 'lyncbe01' });
    const card = await waitForCardShowing(ui.cards(title), [
      en.t('check.state.ready', { package: done.plan.package!.version }),
    ]);
    await screenshotElement(card, 'readiness-card-ready');
    expect(await ui.cards(title).count()).toBe(1);
    expect(await card.locator('.ac-actionSet button').count()).toBe(0);

    // A plan made now reuses the fresh result; edition and SQL Server come from the server's facts.
    await ui.sendMessage('plan lyncbe01');
    const plan = await ui.waitForCard(`(check #${check.id})`, UI_TIMEOUT_MS);
    const planText = await plan.innerText();
    expect(planText).toContain("-SqlServerFqdn 'lyncsql01.contoso.local'");
    expect(planText).toContain(en.t('card.plan.preview'));
    await screenshotElement(plan, 'plan-card-after-check');
  });
});
