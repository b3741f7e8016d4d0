/**
 * The fleet and its package catalog in the Agents Playground (issue 14), as admins see them:
 * `versions` shows every lab server against the catalog, `packages` lists the catalog, and a
 * `package add` waits on its card until a second approver confirms it, after which the card,
 * `packages` and `versions` all show the new update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { LAB_PACKAGE_VERSIONS, labPackage } from '../../src/lab/package.js';
import { LAB_TENANT, type PlaygroundUser } from '../../src/lab/playground.js';
import { screenshotElement } from './support/element-screenshot.js';
import {
  startPatchBotLab,
  UI_TIMEOUT_MS,
  waitForOutboxToDrain,
  waitUntil,
  type PatchBotLab,
} from './support/patch-bot-lab.js';
import { invokeCardAction } from './support/playground-api.js';

const en = createTranslator('en-US');
const CARD_BUTTONS = '.ac-actionSet button';
const alex = LAB_TENANT.currentUser;
const bea = tenantUser('Bea');
const fay = tenantUser('Fay');
const NEXT_SFB = LAB_PACKAGE_VERSIONS.sfb2019[2]!;
const NEXT = labPackage('sfb2019', NEXT_SFB);

function tenantUser(givenName: string): PlaygroundUser {
  const user = LAB_TENANT.otherUsers.find((candidate) => candidate.givenName === givenName);
  if (user === undefined) throw new Error(`${givenName} is not in the lab tenant`);
  return user;
}

let lab: PatchBotLab;

beforeAll(async () => {
  lab = await startPatchBotLab({
    env: { PATCHBOT_APPROVALS_REQUIRED: '1', PATCHBOT_APPROVERS: `${alex.id},${bea.id}` },
  });
  await waitUntil(
    () => lab.app.store.runners().every((r) => r.facts),
    15_000,
    'every runner to report facts',
  );
}, 60_000);

afterAll(async () => {
  await lab?.stop();
}, 30_000);

describe('the fleet in the Agents Playground', () => {
  it('versions shows each lab server, what it runs, the newest catalogued version and that it is behind', async () => {
    const ui = lab.harness.page();
    await ui.selectConversation('Personal Chat');
    await ui.sendMessage('versions');
    const card = await ui.waitForCard(en.t('fleet.versions.title'), UI_TIMEOUT_MS);
    const text = await card.innerText();
    for (const server of ['backend01', 'be01', 'lyncbe01']) expect(text).toContain(server);
    expect(text).toContain(en.plural('fleet.behind', 3));
    const facts = await ui.readFacts(card);
    const installed = facts.filter((f) => f.title === en.t('fleet.fact.installed')).map((f) => f.value);
    const newest = facts.filter((f) => f.title === en.t('fleet.fact.newest')).map((f) => f.value);
    const reported = ['backend01', 'be01', 'lyncbe01'].map(
      (server) => lab.app.store.runners().find((r) => r.server === server)!.facts!.installedVersion,
    );
    expect(installed).toEqual(reported);
    expect(newest).toEqual([
      LAB_PACKAGE_VERSIONS.sfb2019[1],
      LAB_PACKAGE_VERSIONS.sfb2019[1],
      LAB_PACKAGE_VERSIONS.lync2013[1],
    ]);
    await screenshotElement(card, 'fleet-versions');
  });

  it('packages lists the catalog; a malformed package add is answered plainly and changes nothing', async () => {
    const ui = lab.harness.page();
    await ui.sendMessage('packages');
    const card = await ui.waitForCard(en.t('fleet.packages.title'), UI_TIMEOUT_MS);
    expect(await card.innerText()).toContain(labPackage('sfb2019', LAB_PACKAGE_VERSIONS.sfb2019[1]!).sha256);
    await ui.sendMessage(`package add sfb2019 ${NEXT_SFB} ${NEXT.source}`);
    const answer = await ui.waitForMessage('"sha256" is missing', UI_TIMEOUT_MS);
    expect(await answer.innerText()).toContain('package add <product> <version> <source> sha256 <hex>');
    expect(lab.app.store.pendingPackageChanges()).toEqual([]);
  });

  it('package add waits for a second approver on its card, then reaches packages and versions', async () => {
    const ui = lab.harness.page();
    await ui.selectConversation('IT Ops - Patching');
    await ui.sendMessage(`package add sfb2019 ${NEXT_SFB} ${NEXT.source} sha256 ${NEXT.sha256}`, {
      mentionBot: true,
    });
    const pending = await waitUntil(
      () => lab.app.store.pendingPackageChanges()[0],
      UI_TIMEOUT_MS,
      'the proposed change',
    );
    const title = en.t('fleet.change.title.add', {
      id: pending.id,
      product: 'Skype for Business Server 2019',
      version: NEXT_SFB,
    });
    const card = await ui.waitForCard(title, UI_TIMEOUT_MS);
    expect(await card.innerText()).toContain(en.t('fleet.change.status.awaiting-approval'));
    // Approvers are named by Teams id: the shared card carries no buttons (each approver's own view has them).
    expect(await card.locator(CARD_BUTTONS).count()).toBe(0);
    expect(lab.app.store.packages().some((p) => p.version === NEXT_SFB)).toBe(false);
    await screenshotElement(card, 'fleet-package-change-waiting');

    await waitForOutboxToDrain(lab.app);
    const change = await waitUntil(
      () => lab.app.store.pendingPackageChanges().find((c) => c.cardActivityId),
      UI_TIMEOUT_MS,
      'the change to know its card',
    );
    const press = (fromId: string, data: Record<string, unknown> = { changeId: change.id }) =>
      invokeCardAction(lab.harness.playground.url, {
        conversationId: change.conversationId,
        replyToId: change.cardActivityId!,
        fromId,
        verb: 'package.approve',
        data,
      });
    await expect(press(alex.id)).resolves.toMatchObject({
      value: en.t('package.self-approval', { id: change.id }),
    });
    await expect(press(fay.id)).resolves.toMatchObject({ value: en.t('package.not-allowed') });
    await expect(press(bea.id, { changeId: 'DROP TABLE' })).resolves.toMatchObject({
      value: en.t('bot.action.invalid'),
    });
    expect(lab.app.store.packages().some((p) => p.version === NEXT_SFB)).toBe(false);

    const approved = await press(bea.id);
    expect(approved.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(lab.app.store.packages().some((p) => p.version === NEXT_SFB && p.sha256 === NEXT.sha256)).toBe(
      true,
    );
    await expect(press(bea.id)).resolves.toMatchObject({
      value: en.t('package.change-not-found', { id: change.id }),
    });

    // The page shows the decision through the bot's own update of the card.
    await waitForOutboxToDrain(lab.app);
    const done = await ui.waitForCard(en.t('fleet.change.status.applied'), UI_TIMEOUT_MS);
    expect(await done.innerText()).toContain(title);
    expect(await ui.readFacts(done)).toContainEqual({
      title: en.t('card.fact.approved-by'),
      value: `${bea.name} (1/1)`,
    });
    await screenshotElement(done, 'fleet-package-change-done');

    await ui.selectConversation('Personal Chat');
    await ui.sendMessage('packages');
    await waitUntil(
      async () => (await ui.cards(en.t('fleet.packages.title')).last().innerText()).includes(NEXT.sha256),
      UI_TIMEOUT_MS,
      'the new package in the packages card',
    );
    await ui.sendMessage('versions');
    await waitUntil(
      async () => {
        const cards = ui.cards(en.t('fleet.versions.title'));
        return (await cards.count()) === 2 && (await cards.last().innerText()).includes(NEXT_SFB);
      },
      UI_TIMEOUT_MS,
      'versions to compare with the new update',
    );
  });
});
