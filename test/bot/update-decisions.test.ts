/**
 * Version-aware updates over real HTTP with the lab fleet (issue 14): an update repeated after
 * it finished answers "nothing to do" and takes nothing down; a typed edition that contradicts
 * the server is refused; `force` is for approvers only; `check <server>` shows one readiness card
 * that fills in, and a later plan card reuses its fresh result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { seedLabCatalog } from './lab-catalog.js';
import { cardActions, cardOf, cardText, startBotHarness, waitUntil, type BotHarness } from './harness.js';

let h: BotHarness;
const BEA = '29:lab-user-bea';
const t = createTranslator('en-US');

beforeAll(async () => {
  h = await startBotHarness({ PATCHBOT_APPROVERS: BEA });
  await seedLabCatalog(h.app.store);
}, 60_000);
afterAll(async () => h?.stop());

const chat = () => h.teams.groupChat;

/** Says `text` in the group chat as `user`; the bot's first answer (text and card text). */
async function say(text: string, user = 'Alex') {
  const conversation = chat().id;
  // Replies about earlier runs are delivered in the background: let them land first.
  await h.app.notifier.idle();
  await waitUntil(() => h.app.store.outbox().length === 0, 10_000, 'the outbox to drain');
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

function factsOf(server: string) {
  return h.app.store.runners().find((r) => r.server === server)?.facts ?? null;
}

async function finished(runId: number) {
  return waitUntil(
    async () => {
      const run = await h.app.store.findRun(runId);
      return run && ['succeeded', 'failed', 'aborted', 'interrupted'].includes(run.status) ? run : undefined;
    },
    30_000,
    `run #${runId} to finish`,
  );
}

describe('no outage for nothing', () => {
  it('a repeated "update backend01 standard" answers nothing to do, with no run and no downtime', async () => {
    const first = await say('update backend01 standard');
    const confirm = cardActions(first.card).find((a) => a.verb === 'plan.confirm')!;
    const runId = confirm.data.runId as number;
    await h.teams.pressCardButton({
      conversation: chat(),
      replyToId: first.reply.id,
      verb: 'plan.confirm',
      data: confirm.data,
      from: h.teams.user('Alex'),
    });
    const run = await finished(runId);
    expect(run.status).toBe('succeeded');
    const target = run.plan.package!.version;
    // The runner reports the new version after the job (facts with the next heartbeat).
    await waitUntil(
      () => factsOf('backend01')?.installedVersion === target,
      10_000,
      'the new version in the facts',
    );

    const server = h.fleet.servers.find((s) => s.profile.server === 'backend01')!;
    const commandsBefore = server.stepCommands().length;
    const runsBefore = (await h.app.store.finishedRuns({ server: 'backend01', limit: 50 })).length;
    const again = await say('update backend01 standard');
    expect(again.card).toBeUndefined();
    expect(again.text).toContain(
      t.t('update.nothing-to-do', { server: 'backend01', installed: target }).slice(0, 40),
    );
    expect(again.text).toContain(target);
    expect(h.app.store.liveRuns().filter((r) => r.server === 'backend01')).toHaveLength(0);
    expect((await h.app.store.finishedRuns({ server: 'backend01', limit: 50 })).length).toBe(runsBefore);
    // Nothing ran on the server: no service was stopped a second time.
    expect(server.stepCommands().length).toBe(commandsBefore);
  });

  it('force is refused for a non-approver and planned for an approver, saying so on the card', async () => {
    const refused = await say('update backend01 force');
    expect(refused.card).toBeUndefined();
    expect(refused.text).toContain('Only approvers may use "force"');

    const forced = await say('update backend01 force', 'Bea');
    expect(forced.card).toBeDefined();
    const version = factsOf('backend01')!.installedVersion!;
    expect(forced.text).toContain(t.t('plan.note.force', { version }));
    // backend01 has one finished run with a measured downtime: the card predicts from it.
    expect(forced.text).toContain('Expected downtime on this server: about');
    expect(forced.text).not.toContain(t.t('card.downtime.typical', { minutes: 15 }).slice(0, 18));
    const cancel = cardActions(forced.card).find((a) => a.verb === 'plan.cancel')!;
    await h.teams.pressCardButton({
      conversation: chat(),
      replyToId: forced.reply.id,
      verb: 'plan.cancel',
      data: cancel.data,
      from: h.teams.user('Bea'),
    });
    await waitUntil(
      () => h.app.store.liveRuns().every((r) => r.server !== 'backend01' || r.status !== 'planned'),
      5000,
      'the forced plan to be cancelled',
    );
    const audit = await h.app.store.readAudit();
    expect(audit.some((e) => e.action === 'request' && e.detail?.force === 'same-version')).toBe(true);
    expect(audit.some((e) => e.action === 'refuse' && e.detail?.why === 'force-not-approver')).toBe(true);
  });
});

describe('the edition from the server', () => {
  it('refuses a typed edition that contradicts the server, showing both', async () => {
    const answer = await say('update be01 standard');
    expect(answer.card).toBeUndefined();
    expect(answer.text).toContain('You typed "standard"');
    expect(answer.text).toContain('enterprise');
    expect(h.app.store.liveRuns().filter((r) => r.server === 'be01')).toHaveLength(0);
  });

  it('plans "update be01" with the edition and SQL Server the runner reported', async () => {
    await waitUntil(() => factsOf('be01')?.sqlServerFqdn, 10_000, 'be01 to report its facts');
    const answer = await say('plan be01');
    expect(answer.card).toBeDefined();
    expect(answer.text).toContain('sql01.contoso.local');
    expect(answer.text).toContain(t.t('edition.enterprise'));
  });
});

describe('check <server>', () => {
  it('shows one readiness card that fills in and ends ready; a later plan card reuses it', async () => {
    const conversation = chat().id;
    const started = await say('check lyncbe01');
    expect(started.card).toBeDefined();
    expect(started.text).toContain('Readiness check');
    const run = await waitUntil(
      () => h.app.store.liveRuns().find((r) => r.server === 'lyncbe01' && r.kind === 'check')?.id,
      5000,
      'the check run',
    ).catch(async () => (await h.app.store.finishedRuns({ server: 'lyncbe01', limit: 1 }))[0]!.id);
    const done = await finished(run);
    expect(done.kind).toBe('check');
    expect(done.status).toBe('succeeded');
    expect(done.downtimeStartedAt).toBeNull();
    expect(done.steps.every((s) => s.status === 'succeeded')).toBe(true);
    await h.app.notifier.idle();
    await waitUntil(() => h.app.store.outbox().length === 0, 10_000, 'the outbox to drain');
    const card = h.connector.currentCard(started.reply.id);
    expect(cardText(card)).toContain(t.t('check.state.ready', { package: done.plan.package!.version }));
    // One card, updated in place: no step replies, no summary.
    const after = h.connector.messages(conversation).filter((m) => m.id !== started.reply.id);
    expect(after.filter((m) => JSON.stringify(m.activity).includes(`#${run}`))).toHaveLength(0);

    const plan = await say('plan lyncbe01 enterprise sql lyncsql01.contoso.local');
    expect(plan.text).toContain(`(check #${run})`);
  });

  it('refuses forged button presses naming a check run, and audits them', async () => {
    const check = (await h.app.store.finishedRuns({ server: 'lyncbe01', limit: 5 })).find(
      (r) => r.kind === 'check',
    )!;
    for (const verb of ['plan.confirm', 'plan.cancel', 'run.retry', 'run.abort', 'run.approve']) {
      const answer = await h.teams.pressCardButton({
        conversation: chat(),
        replyToId: check.cardActivityId ?? '',
        verb,
        data: { runId: check.id },
        from: h.teams.user('Alex'),
      });
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.body)).toContain(t.t('bot.action.invalid'));
    }
    expect((await h.app.store.findRun(check.id))?.status).toBe('succeeded');
    const refused = (await h.app.store.readAudit()).filter(
      (e) => e.action === 'refuse' && e.detail?.why === 'invalid-action' && e.detail.runId === check.id,
    );
    expect(refused).toHaveLength(5);
  });
});
