/**
 * The fleet and its package catalog over real HTTP with the lab fleet (issue 14): `runners`
 * shows what each runner read on its server, `versions` compares that with the catalog,
 * `package add` needs an approver and, where the policy asks for approvals, a second approver's
 * click on the change card; forged and replayed clicks are refused; `history <server>` shows the
 * server's predicted downtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { LAB_PACKAGE_VERSIONS, labPackage } from '../../src/lab/package.js';
import { seedLabCatalog } from './lab-catalog.js';
import { cardActions, cardOf, cardText, startBotHarness, waitUntil, type BotHarness } from './harness.js';

let h: BotHarness;
const t = createTranslator('en-US');
const NEXT_SFB = LAB_PACKAGE_VERSIONS.sfb2019[2]!;
const NEXT = labPackage('sfb2019', NEXT_SFB);
const ADD_NEXT = `package add sfb2019 ${NEXT_SFB} ${NEXT.source} sha256 ${NEXT.sha256}`;

beforeAll(async () => {
  h = await startBotHarness({
    PATCHBOT_APPROVERS: '29:lab-user-bea,29:lab-user-chen',
    PATCHBOT_APPROVALS_REQUIRED: '1',
  });
  await seedLabCatalog(h.app.store);
  await waitUntil(() => h.app.store.runners().every((r) => r.facts), 15_000, 'every runner to report facts');
}, 60_000);
afterAll(async () => h?.stop());

const chat = () => h.teams.groupChat;

async function say(text: string, user = 'Alex') {
  const conversation = chat().id;
  await h.app.notifier.idle();
  const before = h.connector.messages(conversation).length;
  expect((await h.teams.sayInGroupChat(text, { from: h.teams.user(user) })).status).toBe(200);
  const reply = await waitUntil(
    () => h.connector.messages(conversation)[before],
    5000,
    `an answer to "${text}"`,
  );
  const card = cardOf(reply.activity);
  return { reply, card, text: `${reply.activity.text ?? ''}\n${cardText(card)}` };
}

async function press(replyToId: string, verb: string, data: Record<string, unknown>, user: string) {
  const answer = await h.teams.pressCardButton({
    conversation: chat(),
    replyToId,
    verb,
    data,
    from: h.teams.user(user),
  });
  expect(answer.status).toBe(200);
  const body = answer.body as { type: string; value: unknown };
  return body.type === 'application/vnd.microsoft.card.adaptive'
    ? { card: body.value as Record<string, unknown>, text: cardText(body.value) }
    : { message: String(body.value), text: String(body.value) };
}

describe('fleet views', () => {
  it('runners shows the facts each runner read on its server', async () => {
    const { text } = await say('runners');
    for (const label of [
      'Installed version',
      'Edition',
      'Pool',
      'Restart pending',
      'Free space',
      'PowerShell',
    ]) {
      expect(text).toContain(label);
    }
    const facts = h.app.store.runners().find((r) => r.server === 'be01')!.facts!;
    expect(text).toContain(facts.sqlServerFqdn!);
    expect(text).toContain(facts.installedVersion!);
  });

  it('versions shows every server behind the catalogued update, with no run yet', async () => {
    const { card, text } = await say('versions');
    expect(card).toBeDefined();
    for (const server of ['backend01', 'be01', 'lyncbe01']) expect(text).toContain(server);
    expect(text).toContain(LAB_PACKAGE_VERSIONS.sfb2019[1]!);
    expect(text).toContain(LAB_PACKAGE_VERSIONS.lync2013[1]!);
    expect(text).toContain('3 behind');
    expect(text).toContain(t.t('fleet.last-run.none'));
  });

  it('history for one server predicts its downtime from its own runs, and versions shows the last run', async () => {
    expect((await say('history backend01')).text).toContain(t.t('history.none'));
    const plan = await say('update backend01 standard');
    const confirm = cardActions(plan.card).find((a) => a.verb === 'plan.confirm')!;
    const runId = confirm.data.runId as number;
    await press(plan.reply.id, 'plan.confirm', { runId }, 'Alex');
    // This bot's policy asks for one approval, runs and catalog changes alike.
    await press(plan.reply.id, 'run.approve', { runId }, 'Chen');
    const run = await waitUntil(
      async () => {
        const found = await h.app.store.findRun(runId);
        return found?.status === 'succeeded' ? found : undefined;
      },
      30_000,
      `run #${runId} to succeed`,
    );
    const measured = Date.parse(run.downtimeEndedAt!) - Date.parse(run.downtimeStartedAt!);
    const history = await say('history backend01');
    expect(history.text).toContain(
      t.t('fleet.prediction.line', {
        prediction: t.plural('fleet.prediction', 1, {
          median: t.formatDuration(measured),
          worst: t.formatDuration(measured),
        }),
      }),
    );
    // All servers' history has no single prediction.
    expect((await say('history')).text).not.toContain('Predicted downtime');
    const versions = await say('versions');
    expect(versions.text).toContain(`#${runId} ${t.t('state.run.succeeded')}`);
    expect(versions.text).toContain('2 behind');
  }, 60_000);
});

describe('package catalog', () => {
  it('anyone lists the catalog', async () => {
    const { text } = await say('packages', 'Fay');
    expect(text).toContain('Package catalog');
    expect(text).toContain(labPackage('sfb2019', LAB_PACKAGE_VERSIONS.sfb2019[1]!).sha256);
  });

  it('a malformed package command gets a clear message and changes nothing', async () => {
    const { text } = await say('package add sfb2019 7.0.2046.551 ftp://files/x.exe sha256 00');
    expect(text).toContain('ftp://files/x.exe');
    expect(h.app.store.pendingPackageChanges()).toEqual([]);
  });

  it('only approvers propose; a second approver confirms on the card; forged and replayed clicks are refused', async () => {
    const refused = await say(ADD_NEXT, 'Fay');
    expect(refused.text).toContain(t.t('package.not-allowed'));
    expect(h.app.store.pendingPackageChanges()).toEqual([]);

    const proposed = await say(ADD_NEXT, 'Bea');
    expect(proposed.text).toContain(`add Skype for Business Server 2019 ${NEXT_SFB}`);
    expect(proposed.text).toContain(t.t('fleet.change.status.awaiting-approval'));
    // Approvers are named by Teams id: the shared card has no buttons, each approver's view has.
    expect(cardActions(proposed.card)).toEqual([]);
    const id = h.app.store.pendingPackageChanges()[0]!.id;
    const cardId = proposed.reply.id;

    const beaView = await press(cardId, 'package.refresh', { changeId: id }, 'Bea');
    expect(cardActions(beaView.card)).toEqual([]);
    const chenView = await press(cardId, 'package.refresh', { changeId: id }, 'Chen');
    expect(cardActions(chenView.card).map((a) => a.verb)).toEqual(['package.approve', 'package.reject']);

    expect((await press(cardId, 'package.approve', { changeId: id }, 'Bea')).text).toContain(
      t.t('package.self-approval', { id }),
    );
    expect((await press(cardId, 'package.approve', { changeId: id }, 'Fay')).text).toContain(
      t.t('package.not-allowed'),
    );
    for (const forged of [{ changeId: 'x' }, {}, { changeId: id + 50 }, { changeId: -1 }]) {
      const answer = await press(cardId, 'package.approve', forged, 'Chen');
      expect(answer.card).toBeUndefined();
    }
    expect(h.app.store.packages().some((p) => p.version === NEXT_SFB)).toBe(false);

    const approved = await press(cardId, 'package.approve', { changeId: id }, 'Chen');
    expect(approved.text).toContain(t.t('fleet.change.status.applied'));
    expect(cardActions(approved.card)).toEqual([]);
    expect(h.app.store.packages().some((p) => p.version === NEXT_SFB && p.sha256 === NEXT.sha256)).toBe(true);

    // Everyone's card shows the outcome: the message itself is updated in place.
    await waitUntil(
      () => cardText(h.connector.currentCard(cardId)).includes(t.t('fleet.change.status.applied')),
      10_000,
      'the shared card to show the approved change',
    );

    const replay = await press(cardId, 'package.approve', { changeId: id }, 'Chen');
    expect(replay.text).toContain(t.t('package.change-not-found', { id }));

    // This conversation's events (the lab seeding is audited too, as the system).
    const audit = (await h.app.store.readAudit()).filter((e) => e.conversationId === chat().id);
    const actions = audit.filter((e) => e.action.startsWith('package-')).map((e) => e.action);
    expect(actions).toEqual(['package-propose', 'package-approve', 'package-add']);
    const refusals = audit.filter((e) => e.action === 'refuse').map((e) => e.detail?.why);
    expect(refusals).toEqual(
      expect.arrayContaining(['not-approver', 'self-approval', 'invalid-action', 'change-not-found']),
    );

    // The new entry is the newest for the product: versions now compares with it.
    const versions = await say('versions');
    expect(versions.text).toContain(NEXT_SFB);
  });

  it('a new catalog entry reaches every lab server without touching its runner settings', async () => {
    const lync = labPackage('lync2013', LAB_PACKAGE_VERSIONS.lync2013[2]!);
    const proposed = await say(
      `package add lync2013 ${lync.version} ${lync.source} sha256 ${lync.sha256}`,
      'Bea',
    );
    const change = h.app.store.pendingPackageChanges()[0]!;
    await press(proposed.reply.id, 'package.approve', { changeId: change.id }, 'Chen');
    const runnersBefore = JSON.stringify(h.app.store.runners().map((r) => r.info?.profile));

    for (const [server, pkg] of [
      ['backend01', NEXT],
      ['be01', NEXT],
      ['lyncbe01', lync],
    ] as const) {
      const plan = await say(`update ${server}`);
      const confirm = cardActions(plan.card).find((a) => a.verb === 'plan.confirm');
      expect(confirm, `a plan card for ${server}: ${plan.text}`).toBeDefined();
      const runId = confirm!.data.runId as number;
      await press(plan.reply.id, 'plan.confirm', { runId }, 'Alex');
      await press(plan.reply.id, 'run.approve', { runId }, 'Chen');
      const run = await waitUntil(
        async () => {
          const found = await h.app.store.findRun(runId);
          return found && ['succeeded', 'failed', 'aborted'].includes(found.status) ? found : undefined;
        },
        30_000,
        `run #${runId} on ${server}`,
      );
      expect([server, run.status, run.plan.package]).toEqual([server, 'succeeded', pkg]);
      await waitUntil(
        () => h.app.store.runners().find((r) => r.server === server)?.facts?.installedVersion === pkg.version,
        15_000,
        `${server} to report ${pkg.version}`,
      );
    }
    // The runners' own settings were never touched: they report no package of their own.
    expect(JSON.stringify(h.app.store.runners().map((r) => r.info?.profile))).toBe(runnersBefore);
    expect(h.app.store.runners().every((r) => r.info?.profile.package === undefined)).toBe(true);
    const versions = await say('versions');
    expect(versions.text).toContain('0 behind');
  }, 120_000);

  it('the catalog and a pending change survive a restart of the bot', async () => {
    await say(`package remove sfb2019 ${NEXT_SFB}`, 'Chen');
    const pending = h.app.store.pendingPackageChanges();
    expect(pending.map((c) => c.action)).toEqual(['remove']);
    await h.restart();
    expect(h.app.store.pendingPackageChanges()).toEqual(pending);
    expect(h.app.store.packages().some((p) => p.version === NEXT_SFB)).toBe(true);
    const { text } = await say('packages');
    expect(text).toContain(t.t('fleet.change.pending.remove', { id: pending[0]!.id }));
  });
});
