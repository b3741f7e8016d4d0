/**
 * Approvals and operator actions, proven through Teams-shaped activities over real HTTP: several
 * lab users (Alex requests, Bea and Chen approve, Fay is not an admin), the policy from the
 * environment, real runner agents on simulated servers, and the bot restarted mid-approval.
 * The unit-level rules live in test/runs/run-service.test.ts; this file shows what a person in
 * Teams sees and what the audit log keeps.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTranslator, runStatusName, stepTitle, type Translator } from '../../src/i18n/index.js';
import { BE01, BACKEND01, LYNCBE01, labServerSpec } from '../../src/lab/servers.js';
import type { PlaygroundUser } from '../../src/lab/playground-tenant.js';
import type { LabServer } from '../../src/lab/servers.js';
import type { AuditEvent } from '../../src/store/store.js';
import type { RunRecord, RunStatus } from '../../src/store/types.js';
import { compiledLabHost } from '../runner/compiled-host.js';
import { channelThread, type ConversationTarget } from '../support/teams-client.js';
import {
  cardActions,
  cardOf,
  cardText,
  createTestClock,
  startBotHarness,
  waitUntil,
  type BotHarness,
} from './harness.js';
import { rollBackLabServers } from './lab-rollback.js';

const en: Translator = createTranslator('en-US');
const clock = createTestClock();
const BE02 = labServerSpec({
  server: 'be02',
  product: 'sfb2019',
  edition: 'enterprise',
  sqlServerFqdn: 'sql01.contoso.local',
});

/** A weekly one-hour window three days from today (UTC), so "now" is never inside it. */
const windowDay = (new Date().getUTCDay() + 3) % 7;
const LYNC_WINDOW = { days: [windowDay], start: '01:00', end: '02:00', timeZone: 'UTC' };

let h: BotHarness;
let alex: PlaygroundUser;
let bea: PlaygroundUser;
let chen: PlaygroundUser;
let fay: PlaygroundUser;
/** Every refusal a test saw, checked against the audit log at the end. */
const refusalsSeen: { why: string; actorId: string; runId?: number }[] = [];

beforeAll(async () => {
  // The simulator compiled once to JavaScript: the same host, without tsx's start-up per session.
  const hostExecutable = await compiledLabHost();
  h = await startBotHarness(
    {
      PATCHBOT_APPROVALS_REQUIRED: '2',
      PATCHBOT_APPROVERS: '29:lab-user-bea,29:lab-user-chen',
      PATCHBOT_REQUESTERS: '29:lab-user-alex,29:lab-user-bea,29:lab-user-chen',
      PATCHBOT_APPROVAL_EXPIRY_MINUTES: '1',
      PATCHBOT_MAINTENANCE_WINDOWS: JSON.stringify({ lyncbe01: [LYNC_WINDOW] }),
      PATCHBOT_POOLS: JSON.stringify([{ name: 'pool-sfb', servers: ['be01', 'be02'], maxConcurrentRuns: 1 }]),
      // The test clock jumps forward; a runner must not look silent because of it.
      PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS: '600',
    },
    { specs: [BACKEND01, BE01, LYNCBE01, BE02], serverOptions: () => ({ hostExecutable }) },
    { now: clock.now },
  );
  alex = h.teams.user('Alex');
  bea = h.teams.user('Bea');
  chen = h.teams.user('Chen');
  fay = h.teams.user('Fay');
}, 60_000);
afterAll(async () => h?.stop());

// --- Teams helpers ------------------------------------------------------------------------------

interface Requested {
  thread: ConversationTarget;
  rootId: string;
  cardId: string;
  runId: number;
  card: Record<string, unknown>;
}

/** A new channel post; returns the bot's plain-text answers and cards in its thread. */
async function post(text: string, from: PlaygroundUser) {
  const answer = await h.teams.postInChannel(text, { from });
  expect(answer.status).toBe(200);
  const rootId = answer.activity!.id;
  const thread = channelThread(rootId);
  const messages = await waitUntil(
    () => (h.connector.messages(thread.id).length > 0 ? h.connector.messages(thread.id) : undefined),
    5000,
    `an answer to "${text}"`,
  );
  return { thread, rootId, messages, texts: messages.map((m) => String(m.activity.text ?? '')) };
}

/** `update ...` in a new channel post; the plan card's run. */
async function requestUpdate(text: string, from: PlaygroundUser = alex): Promise<Requested> {
  const { thread, rootId, messages } = await post(text, from);
  const message = messages.find((m) => cardOf(m.activity));
  if (!message) throw new Error(`no plan card for "${text}": ${messages.map((m) => m.activity.text).join()}`);
  const card = cardOf(message.activity)!;
  const confirm = cardActions(card).find((a) => a.verb === 'plan.confirm');
  expect(confirm, 'the requester sees Confirm').toBeDefined();
  return { thread, rootId, cardId: message.id, runId: Number(confirm!.data.runId), card };
}

type Answer = { card: Record<string, unknown>; message?: undefined } | { message: string; card?: undefined };

/** Presses an Action.Execute button the way Teams does (data merged with the card's inputs). */
async function press(
  run: Requested,
  verb: string,
  from: PlaygroundUser,
  data: Record<string, unknown> = { runId: run.runId },
): Promise<Answer> {
  const answer = await h.teams.pressCardButton({
    conversation: run.thread,
    replyToId: run.cardId,
    verb,
    data,
    from,
  });
  expect(answer.status).toBe(200);
  const body = answer.body as { type: string; value: unknown };
  return body.type === 'application/vnd.microsoft.card.adaptive'
    ? { card: body.value as Record<string, unknown> }
    : { message: String(body.value) };
}

/** The card Teams would show this user: the shared card, or their refreshed view (refresh.userIds). */
/** Waits until everything the bot queued for the run's thread reached "Teams". */
async function delivered(run: Requested): Promise<void> {
  await waitUntil(
    () => !h.app.store.outbox().some((o) => o.conversationId === run.thread.id),
    15_000,
    `the messages for run #${run.runId} to be delivered`,
  );
}

async function viewOf(run: Requested, user: PlaygroundUser): Promise<Record<string, unknown>> {
  await delivered(run);
  const shared = h.connector.currentCard(run.cardId)!;
  const refresh = shared.refresh as { userIds?: string[] } | undefined;
  if (!refresh?.userIds?.includes(user.id)) return shared;
  const answer = await press(run, 'run.refresh', user);
  expect(answer.card).toBeDefined();
  return answer.card!;
}

/** Approve as `user` with the button on their view of the card. */
async function approve(run: Requested, user: PlaygroundUser): Promise<Answer> {
  const button = cardActions(await viewOf(run, user)).find((a) => a.verb === 'run.approve');
  expect(button, `${user.givenName} sees Approve`).toBeDefined();
  return press(run, 'run.approve', user, button!.data);
}

async function confirmAndApprove(run: Requested): Promise<void> {
  expect((await press(run, 'plan.confirm', alex)).card).toBeDefined();
  expect((await approve(run, bea)).card).toBeDefined();
  expect((await approve(run, chen)).card).toBeDefined();
}

/** A text command in the run's thread; the bot's answers to it. */
async function sayInThread(
  run: { rootId: string; thread: ConversationTarget },
  text: string,
  from: PlaygroundUser,
) {
  const before = h.connector.messages(run.thread.id).length;
  const answer = await h.teams.postInChannel(text, { from, threadRootId: run.rootId });
  expect(answer.status).toBe(200);
  return waitUntil(
    () => {
      const all = h.connector.messages(run.thread.id).slice(before);
      return all.length > 0 ? all : undefined;
    },
    5000,
    `an answer to "${text}"`,
  );
}

/** A command in the group chat; the bot's one answer (text, or the card's visible text). */
async function ask(text: string, from: PlaygroundUser = alex): Promise<string> {
  const conversation = h.teams.groupChat.id;
  const before = h.connector.messages(conversation).length;
  expect((await h.teams.sayInGroupChat(text, { from })).status).toBe(200);
  const answer = await waitUntil(
    () => h.connector.messages(conversation)[before],
    5000,
    `an answer to "${text}"`,
  );
  const card = cardOf(answer.activity);
  return card ? cardText(card) : String(answer.activity.text ?? '');
}

async function runOf(runId: number): Promise<RunRecord> {
  const run = await h.app.store.findRun(runId);
  if (!run) throw new Error(`no run #${runId}`);
  return run;
}

async function waitForStatus(runId: number, statuses: RunStatus[], timeoutMs = 30_000): Promise<RunRecord> {
  return waitUntil(
    async () => {
      const run = await runOf(runId);
      return statuses.includes(run.status) ? run : undefined;
    },
    timeoutMs,
    `run #${runId} to become ${statuses.join(' or ')}`,
  );
}

function lab(server: string): LabServer {
  return h.fleet.servers.find((s) => s.profile.server === server)!;
}

async function refusalsFor(why: string, actor: PlaygroundUser, runId?: number): Promise<AuditEvent[]> {
  return (await h.app.store.readAudit()).filter(
    (e) =>
      e.action === 'refuse' &&
      e.detail?.why === why &&
      'id' in e.actor &&
      e.actor.id === actor.id &&
      (runId === undefined || e.runId === runId),
  );
}

/** The refusal text is the catalog's, and the refusal is in the audit log. */
async function expectRefused(
  text: string | undefined,
  expected: string,
  audit: { why: string; actor: PlaygroundUser; runId?: number },
): Promise<void> {
  expect(text).toBe(expected);
  expect(await refusalsFor(audit.why, audit.actor, audit.runId)).not.toHaveLength(0);
  refusalsSeen.push({ why: audit.why, actorId: audit.actor.id, runId: audit.runId });
}

// --- approvals ----------------------------------------------------------------------------------

// Each test updates servers afresh: one already at the package's version would be "nothing to do".
beforeEach(() => rollBackLabServers(h.fleet, h.app.store));

describe('approvals in a channel thread', () => {
  let run: Requested;

  it('a double-clicked Confirm confirms once; the shared card hides Approve, approvers get it by refresh', async () => {
    run = await requestUpdate('update backend01 standard');
    const [a, b] = await Promise.all([press(run, 'plan.confirm', alex), press(run, 'plan.confirm', alex)]);
    // Both clicks get a card (the second one the card as it is now); the run is confirmed once.
    expect(a.card && b.card).toBeDefined();
    const confirmed = await runOf(run.runId);
    expect(confirmed.status).toBe('awaiting-approval');
    const audit = await h.app.store.readAudit();
    expect(audit.filter((e) => e.action === 'confirm' && e.runId === run.runId)).toHaveLength(1);
    expect(h.app.store.liveRuns().filter((r) => r.server === 'backend01')).toHaveLength(1);
    refusalsSeen.push({ why: 'stale', actorId: alex.id, runId: run.runId });

    const shared = await waitUntil(
      () => {
        const card = h.connector.currentCard(run.cardId);
        return card && cardText(card).includes(en.t('card.plan.awaiting', { count: 0, required: 2 }))
          ? card
          : undefined;
      },
      15_000,
      'the shared card to show the approval state',
    );
    expect(cardActions(shared)).toEqual([]);
    expect((shared.refresh as { userIds: string[] }).userIds.sort()).toEqual([bea.id, chen.id].sort());
    for (const user of [bea, chen]) {
      const verbs = cardActions(await viewOf(run, user)).map((a) => a.verb);
      expect(verbs).toEqual(['run.approve', 'run.reject']);
    }
  });

  const refusals = [
    {
      name: 'the requester approving their own run',
      who: () => alex,
      verb: 'run.approve',
      key: 'bot.self-approval',
      why: 'self-approval',
    },
    {
      name: 'a non-approver approving',
      who: () => fay,
      verb: 'run.approve',
      key: 'bot.not-allowed.approve',
      why: 'not-approver',
    },
    {
      name: 'a non-approver rejecting',
      who: () => fay,
      verb: 'run.reject',
      key: 'bot.not-allowed.approve',
      why: 'not-approver',
    },
  ];
  it.each(refusals)('refuses $name with a message and an audit entry', async ({ who, verb, key, why }) => {
    const answer = await press(run, verb, who(), { runId: run.runId, reason: 'forged' });
    await expectRefused(answer.message, en.t(key), { why, actor: who(), runId: run.runId });
    const current = await runOf(run.runId);
    expect(current.status).toBe('awaiting-approval');
    expect(current.decisions).toEqual([]);
  });

  it('needs two approvers, counts a double-clicked approval once, then runs the plan exactly once', async () => {
    const logBefore = lab('backend01').stepCommands().length;
    const button = cardActions(await viewOf(run, bea)).find((a) => a.verb === 'run.approve')!;
    const [first, second] = await Promise.all([
      press(run, 'run.approve', bea, button.data),
      press(run, 'run.approve', bea, button.data),
    ]);
    const answers = [first, second];
    const accepted = answers.find((a) => a.card);
    const refused = answers.find((a) => a.message);
    expect(cardText(accepted!.card)).toContain(en.t('card.plan.awaiting', { count: 1, required: 2 }));
    await expectRefused(refused?.message, en.t('bot.already-decided', { runId: run.runId }), {
      why: 'already-decided',
      actor: bea,
      runId: run.runId,
    });
    expect((await runOf(run.runId)).status).toBe('awaiting-approval');
    // Chen's view says who approved so far.
    expect(cardText(await viewOf(run, chen))).toContain(bea.name);

    await approve(run, chen);
    const done = await waitForStatus(run.runId, ['succeeded', 'failed', 'interrupted']);
    expect(done.status).toBe('succeeded');
    expect(done.decisions.map((d) => d.by.id)).toEqual([bea.id, chen.id]);
    // One job: every step command ran once on the simulated server.
    expect(lab('backend01').stepCommands().slice(logBefore)).toEqual(
      done.plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command),
    );
    const audit = await h.app.store.readAudit();
    expect(audit.filter((e) => e.action === 'approve' && e.runId === run.runId)).toHaveLength(2);
  });

  it('a rejection with a reason ends the run and the reason is on the card', async () => {
    const rejected = await requestUpdate('update be01 enterprise sql sql01.contoso.local');
    await press(rejected, 'plan.confirm', alex);
    const reason = 'SQL backup still running';
    const button = cardActions(await viewOf(rejected, chen)).find((a) => a.verb === 'run.reject')!;
    const answer = await press(rejected, 'run.reject', chen, { ...button.data, reason });
    const reasonLine = en.t('card.decision.reason', { reason });
    expect(cardText(answer.card)).toContain(reasonLine);
    const run = await runOf(rejected.runId);
    expect(run.status).toBe('rejected');
    expect(run.decisions).toMatchObject([{ by: { id: chen.id }, decision: 'rejected', reason }]);
    await waitUntil(
      () => cardText(h.connector.currentCard(rejected.cardId)).includes(reasonLine) || undefined,
      15_000,
      'the shared card to show the reason',
    );
    const audit = await h.app.store.readAudit();
    expect(audit.find((e) => e.action === 'reject' && e.runId === rejected.runId)?.detail).toEqual({
      reason,
    });
    // Nothing left to approve: a late approval gets the card as it is, without buttons.
    const late = await press(rejected, 'run.approve', bea);
    expect(cardActions(late.card)).toEqual([]);
    refusalsSeen.push({ why: 'stale', actorId: bea.id, runId: rejected.runId });
  });
});

// --- one run per server, pools, windows, who may request ----------------------------------------

describe('requests that must not start a second run', () => {
  it('parallel update requests for one server end with exactly one active run', async () => {
    const people = [alex, bea, chen];
    const requested = await Promise.all(
      people.map((p) => requestUpdate('update be01 enterprise sql sql01.contoso.local', p)),
    );
    expect(new Set(requested.map((r) => r.runId)).size).toBe(3);
    const answers = await Promise.all(requested.map((r, i) => press(r, 'plan.confirm', people[i]!)));
    const winners = requested.filter((_r, i) => answers[i]!.card);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const active = h.app.store.liveRuns().filter((r) => r.server === 'be01' && r.status !== 'planned');
    expect(active.map((r) => r.id)).toEqual([winner.runId]);
    for (const [i, r] of requested.entries()) {
      if (r === winner) continue;
      await expectRefused(
        answers[i]!.message,
        en.t('bot.run-exists', {
          server: 'be01',
          runId: winner.runId,
          status: runStatusName(en, 'awaiting-approval'),
        }),
        { why: 'run-exists', actor: people[i]!, runId: r.runId },
      );
      // The loser dismisses their plan.
      expect((await press(r, 'plan.cancel', people[i]!)).card).toBeDefined();
    }

    // A new request for be01 is refused outright, and so is be02: the pool allows one run.
    const again = await post('update be01 enterprise sql sql01.contoso.local', chen);
    await expectRefused(
      again.texts[0],
      en.t('bot.run-exists', {
        server: 'be01',
        runId: winner.runId,
        status: runStatusName(en, 'awaiting-approval'),
      }),
      { why: 'run-exists', actor: chen },
    );
    const pooled = await post('update be02 enterprise sql sql01.contoso.local', alex);
    await expectRefused(
      pooled.texts[0],
      en.t('bot.pool-busy', { pool: 'pool-sfb', limit: 1, runs: `#${winner.runId}` }),
      { why: 'pool-busy', actor: alex },
    );

    // `cancel` by someone who may not request is refused; the requester's cancel ends it.
    const refused = await sayInThread(winner, `cancel #${winner.runId}`, fay);
    await expectRefused(String(refused[0]!.activity.text), en.t('bot.not-allowed.request'), {
      why: 'not-requester',
      actor: fay,
      runId: winner.runId,
    });
    expect((await runOf(winner.runId)).status).toBe('awaiting-approval');
    const cancelled = await sayInThread(
      winner,
      `cancel #${winner.runId}`,
      winner === requested[0] ? alex : bea,
    );
    expect(String(cancelled[0]!.activity.text)).toBe(en.t('bot.cancel.done', { runId: winner.runId }));
    expect((await runOf(winner.runId)).status).toBe('cancelled');
  });

  it('refuses outside the maintenance window, naming the window and the next allowed time', async () => {
    const answer = await post('update lyncbe01 enterprise sql lyncsql01.contoso.local collocated', alex);
    const now = clock.now();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 3, 1, 0));
    expect(next.getUTCDay()).toBe(windowDay);
    const weekday = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: 'UTC' }).format(next);
    await expectRefused(
      answer.texts[0],
      en.t('bot.maintenance-window', {
        server: 'lyncbe01',
        window: `${weekday} 01:00-02:00 (UTC)`,
        next: en.formatDateTime(next.toISOString()),
      }),
      { why: 'maintenance-window', actor: alex },
    );
    expect(h.app.store.liveRuns().filter((r) => r.server === 'lyncbe01')).toEqual([]);
  });

  it('refuses a request from someone who is not on the requesters list', async () => {
    const answer = await post('update backend01 standard', fay);
    await expectRefused(answer.texts[0], en.t('bot.not-allowed.request'), {
      why: 'not-requester',
      actor: fay,
    });
    expect(answer.messages.some((m) => cardOf(m.activity))).toBe(false);
  });
});

// --- restart --------------------------------------------------------------------------------------

describe('a restart of the bot', () => {
  it('keeps a half-approved run: the second approval after the restart starts it', async () => {
    const run = await requestUpdate('update be01 enterprise sql sql01.contoso.local');
    await press(run, 'plan.confirm', alex);
    await approve(run, bea);
    await delivered(run);

    await h.restart();
    await waitUntil(
      async () => (await h.teams.sayInGroupChat('help', { from: alex })).status === 200 || undefined,
      5000,
      'the restarted bot to answer',
    );
    const after = await runOf(run.runId);
    expect(after.status).toBe('awaiting-approval');
    expect(after.decisions.map((d) => d.by.id)).toEqual([bea.id]);
    // Bea's approval survived, so she is refused a second one; Chen's completes the approvals.
    const again = await press(run, 'run.approve', bea);
    await expectRefused(again.message, en.t('bot.already-decided', { runId: run.runId }), {
      why: 'already-decided',
      actor: bea,
      runId: run.runId,
    });
    expect(cardText(await viewOf(run, chen))).toContain(
      en.t('card.plan.awaiting', { count: 1, required: 2 }),
    );
    const versions = h.connector.message(run.cardId)!.versions;
    await approve(run, chen);
    const done = await waitForStatus(run.runId, ['succeeded', 'failed', 'interrupted']);
    expect(done.status).toBe('succeeded');
    // The new process keeps updating the same card: no second card, the first one moved on.
    await waitUntil(
      () => (h.connector.message(run.cardId)!.versions > versions ? true : undefined),
      15_000,
      'the restarted bot to update the run card',
    );
    expect(cardActions(h.connector.currentCard(run.cardId))).toEqual([]);
    const cards = h.connector.messages(run.thread.id).map((m) => cardOf(m.activity));
    expect(
      cards.filter(
        (c) => c && cardText(c).includes(en.t('card.run.title', { runId: run.runId, server: 'be01' })),
      ),
    ).toHaveLength(1);
  });
});

// --- operating a run -------------------------------------------------------------------------------

describe('operating a run', () => {
  it('cancel mid-run stops before the next step; status, runners and history tell the truth', async () => {
    const server = lab('backend01');
    const slowMs = 4000;
    const original = server.readState().durationsMs['Assert-PatchBotFileHash'];
    server.update((s) => void (s.durationsMs['Assert-PatchBotFileHash'] = slowMs / s.timeScale));
    const logBefore = server.stepCommands().length;
    const run = await requestUpdate('update backend01 standard');
    await confirmAndApprove(run);
    const running = await waitUntil(
      async () => {
        const r = await runOf(run.runId);
        return r.steps.find((s) => s.stepId === 'stage.verify')?.status === 'running' ? r : undefined;
      },
      15_000,
      'the slow step to run',
    );
    const heading = `#${run.runId} · backend01`;
    const runningName = runStatusName(en, 'running');

    // While it runs: status, status #id, status <server> and runners show it.
    for (const command of ['status', `status #${run.runId}`, 'status backend01']) {
      const text = await ask(command);
      expect(text, command).toContain(heading);
      expect(text, command).toContain(runningName);
    }
    expect(await ask('status be02')).toBe(en.t('status.none'));
    const runners = await ask('runners');
    for (const name of ['backend01', 'be01', 'be02', 'lyncbe01']) expect(runners).toContain(name);
    expect(runners).toContain(`#${running.id}`);

    const refused = await sayInThread(run, `cancel #${run.runId}`, fay);
    await expectRefused(String(refused[0]!.activity.text), en.t('bot.not-allowed.request'), {
      why: 'not-requester',
      actor: fay,
      runId: run.runId,
    });
    const answer = await sayInThread(run, `cancel #${run.runId}`, chen);
    expect(String(answer[0]!.activity.text)).toBe(en.t('bot.cancel.requested', { runId: run.runId }));

    const done = await waitForStatus(run.runId, ['cancelled', 'succeeded', 'failed'], 20_000);
    expect(done.status).toBe('cancelled');
    const state = Object.fromEntries(done.steps.map((s) => [s.stepId, s.status]));
    expect(state['stage.verify']).toBe('succeeded');
    expect(state['stage.extract']).toBe('cancelled');
    const ran = server.stepCommands().slice(logBefore);
    expect(ran.at(-1)).toContain('Assert-PatchBotFileHash');
    expect(ran.some((c) => c.startsWith('Expand-PatchBotPackage'))).toBe(false);
    server.update((s) => void (s.durationsMs['Assert-PatchBotFileHash'] = original ?? 5000));

    // Finished: status <server> shows its last finished run; history lists what ended.
    const last = await ask('status backend01');
    expect(last).toContain(heading);
    expect(last).toContain(runStatusName(en, 'cancelled'));
    expect(last).toContain(en.t('card.history.title.server', { server: 'backend01' }));
    expect(last).not.toContain(en.t('card.status.title'));
    const history = await ask('history');
    expect(history).toContain(en.t('card.history.title'));
    expect(history).toContain(heading);
    expect(history).toMatch(/· be01/);
    const backendOnly = await ask('history backend01');
    expect(backendOnly).toContain(en.t('card.history.title.server', { server: 'backend01' }));
    expect(backendOnly).toContain(heading);
    expect(backendOnly).not.toMatch(/· be01/);
    expect(await ask('history be02')).toBe(en.t('history.none'));
  });

  it('a failed safe step is retried from the failure card and the run continues', async () => {
    const server = lab('be01');
    server.addFault({
      command: 'Assert-PatchBotNoPendingReboot',
      fault: { kind: 'error', message: 'A restart is pending (simulated).' },
    });
    const run = await requestUpdate('update be01 enterprise sql sql01.contoso.local');
    await confirmAndApprove(run);
    const failed = await waitForStatus(run.runId, ['failed', 'succeeded']);
    expect(failed.status).toBe('failed');
    expect(failed.steps.find((s) => s.status === 'failed')?.stepId).toBe('precheck.reboot');
    server.update((s) => void (s.faults = []));

    const failure = await waitUntil(
      () =>
        h.connector
          .messages(run.thread.id)
          .map((m) => cardOf(m.activity))
          .find((c) => c && cardActions(c).some((a) => a.verb === 'run.retry')),
      15_000,
      'the failure card',
    );
    expect(cardText(failure)).toContain(en.t('card.failure.retry-safe'));
    const retry = cardActions(failure).find((a) => a.verb === 'run.retry')!;
    expect((await press(run, 'run.retry', alex, retry.data)).card).toBeDefined();
    const done = await waitForStatus(run.runId, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.attempt).toBe(2);
  });

  it('an unsafe step needs "I have checked the server" before a retry', async () => {
    const server = lab('backend01');
    const installs = server.readState().callCounts['Install-PatchBotUpdate'] ?? 0;
    server.addFault({
      command: 'Install-PatchBotUpdate',
      occurrence: installs + 1,
      fault: { kind: 'exit', code: 1603, stderr: 'Installation failed (simulated).' },
    });
    const run = await requestUpdate('update backend01 standard');
    await confirmAndApprove(run);
    const failed = await waitForStatus(run.runId, ['failed', 'succeeded']);
    expect(failed.steps.find((s) => s.status === 'failed')?.stepId).toBe('update.install');

    const failure = await waitUntil(
      () =>
        h.connector
          .messages(run.thread.id)
          .map((m) => cardOf(m.activity))
          .find((c) => c && cardActions(c).some((a) => a.verb === 'run.retry')),
      15_000,
      'the failure card',
    );
    expect(cardText(failure)).toContain(en.t('card.failure.checked'));
    const retry = cardActions(failure).find((a) => a.verb === 'run.retry')!;
    const unchecked = await press(run, 'run.retry', alex, { ...retry.data, checked: 'false' });
    await expectRefused(
      unchecked.message,
      en.t('bot.retry.needs-check', { step: stepTitle(en, 'update.install', 'sfb2019') }),
      {
        why: 'needs-check',
        actor: alex,
        runId: run.runId,
      },
    );
    expect((await runOf(run.runId)).status).toBe('failed');

    expect((await press(run, 'run.retry', alex, { ...retry.data, checked: 'true' })).card).toBeDefined();
    const done = await waitForStatus(run.runId, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(
      (await h.app.store.readAudit()).find((e) => e.action === 'retry' && e.runId === run.runId)?.detail,
    ).toMatchObject({ step: 'update.install', checked: true });
  });
});

// --- expiry (last: it moves the bot's clock) ------------------------------------------------------

describe('expiry after PATCHBOT_APPROVAL_EXPIRY_MINUTES', () => {
  const stages = [
    { stage: 'an unconfirmed plan', confirm: false, verb: 'plan.confirm', who: () => alex },
    { stage: 'an undecided approval', confirm: true, verb: 'run.approve', who: () => bea },
  ];
  it.each(stages)('$stage expires and its buttons stop working', async ({ confirm, verb, who }) => {
    const run = await requestUpdate('update backend01 standard');
    if (confirm) await press(run, 'plan.confirm', alex);
    clock.advance(61_000);
    const expired = await waitForStatus(run.runId, ['expired'], 5000);
    expect(expired.endedAt).not.toBeNull();
    const audit = await h.app.store.readAudit();
    expect(audit.find((e) => e.action === 'expire' && e.runId === run.runId)?.actor).toEqual({
      system: true,
    });
    const late = await press(run, verb, who());
    expect(cardActions(late.card)).toEqual([]);
    expect(cardText(late.card)).toContain(runStatusName(en, 'expired'));
    refusalsSeen.push({ why: 'stale', actorId: who().id, runId: run.runId });
  });
});

describe('the audit log', () => {
  it('holds every refusal the people above were shown', async () => {
    const audit = await h.app.store.readAudit();
    expect(refusalsSeen.length).toBeGreaterThan(10);
    for (const seen of refusalsSeen) {
      const found = audit.some(
        (e) =>
          e.action === 'refuse' &&
          e.detail?.why === seen.why &&
          'id' in e.actor &&
          e.actor.id === seen.actorId &&
          (seen.runId === undefined || e.runId === seen.runId),
      );
      expect(found, JSON.stringify(seen)).toBe(true);
    }
  });
});
