import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, labServerSpec } from '../../src/lab/servers.js';
import { signRequest } from '../../src/protocol/signing.js';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import type { AuditEvent } from '../../src/store/store.js';
import { groupChat, type ConversationTarget } from '../support/teams-client.js';
import { firstStepResult } from './support/hostile.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, waitUntil } from './support/system.js';

const SCENARIO = {
  order: 6,
  title: 'Forgery: runner requests and card actions that must not pass',
  notes: [
    'Policy: one approval needed, approvers Bea and Alex, Alex requests (so his own approval is self-approval). ' +
      'The run of "another runner" belongs to backend01; the forging runner is registered for other01. ' +
      "Expiry: the bot's clock is moved 61 minutes on (approvals expire after 60) and the sweep is slowed, so the click itself meets the expired approval.",
  ],
};

const RUNNER = {
  id: 'rn-backend01',
  server: 'backend01',
  secret: 'backend01-runner-secret-abcdefghijklmnop0123',
};
const OTHER = { id: 'rn-other01', server: 'other01', secret: 'other01-runner-secret-abcdefghijklmnop01234' };

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('forgery', SCENARIO, { check, measured, pass });

async function raw(path: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${system.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => undefined)) as { error?: string } | undefined,
  };
}

function refusalsFor(audit: AuditEvent[], actor: (a: AuditEvent['actor']) => boolean, why: string): number {
  return audit.filter((e) => e.action === 'refuse' && actor(e.actor) && e.detail?.why === why).length;
}

describe('forgery', () => {
  it('refuses every forged runner request and card action, and audits each one', async () => {
    beginScenario('forgery');
    system = await ReliabilitySystem.start({
      name: 'forgery',
      sweepIntervalMs: 60_000,
      env: {
        PATCHBOT_APPROVERS: '29:lab-user-bea,29:lab-user-alex',
        PATCHBOT_APPROVALS_REQUIRED: '1',
        PATCHBOT_APPROVAL_EXPIRY_MINUTES: '60',
      },
    });
    system.extraRunners.push(RUNNER, OTHER);
    const clockFile = join(system.dir, 'clock-offset');
    writeFileSync(clockFile, '0');
    await system.startBot({ clockFile });
    // The test plays backend01's runner itself: one honest heartbeat so the bot knows the server.
    const beat = (runner: { id: string }, server = BACKEND01.profile, runId: number | null = null) => ({
      info: { runnerId: runner.id, version: '1.0.0', profile: server },
      runId,
      stepId: null,
    });
    expect((await system.runnerCall(RUNNER_API_PATHS.heartbeat, beat(RUNNER), RUNNER)).status).toBe(200);
    const otherProfile = labServerSpec({
      server: OTHER.server,
      product: 'sfb2019',
      edition: 'standard',
    }).profile;
    expect(
      (await system.runnerCall(RUNNER_API_PATHS.heartbeat, beat(OTHER, otherProfile), OTHER)).status,
    ).toBe(200);

    // Card actions on a run Alex requested in a channel thread.
    const run = await system.planRun('backend01', 'standard', 'Alex');
    const press = (from: string, verb: string, conversation: ConversationTarget = run.target) =>
      system.teams.pressCardButton({
        conversation,
        replyToId: run.cardId,
        verb,
        data: { runId: run.runId },
        from: system.teams.user(from),
      });
    const cardCases: {
      name: string;
      from: string;
      why: string;
      answer: Awaited<ReturnType<typeof press>>;
      statusAfter: string;
    }[] = [];
    const attempt = async (
      name: string,
      from: string,
      verb: string,
      why: string,
      conversation?: ConversationTarget,
    ) => {
      const answer = await press(from, verb, conversation);
      cardCases.push({ name, from, why, answer, statusAfter: system.run(run.runId)!.status });
    };
    await attempt('confirm by someone else than the requester', 'Chen', 'plan.confirm', 'not-requester');
    await attempt(
      'confirm from another conversation',
      'Alex',
      'plan.confirm',
      'run-not-found',
      groupChat(system.teams.tenant),
    );
    expect((await press('Alex', 'plan.confirm')).status).toBe(200);
    await waitUntil(
      () => system.run(run.runId)?.status === 'awaiting-approval',
      5_000,
      'the run to await approval',
    );
    await attempt('approval by a non-approver', 'Dana', 'run.approve', 'not-approver');
    await attempt('self-approval by the requester', 'Alex', 'run.approve', 'self-approval');
    await attempt(
      "approval on another conversation's run",
      'Bea',
      'run.approve',
      'run-not-found',
      groupChat(system.teams.tenant),
    );
    await attempt(
      "refresh of another conversation's run",
      'Bea',
      'run.refresh',
      'run-not-found',
      groupChat(system.teams.tenant),
    );
    await attempt('a verb no card has', 'Bea', 'run.forcerun', 'invalid-action');
    // An hour later the approval has expired.
    writeFileSync(clockFile, String(61 * 60_000));
    process.kill(system.bot!.pid, 'SIGUSR2');
    await system.bot!.waitForLine((line) => line.includes('"reliability":"clock"'), 5_000);
    await attempt('approval after expiry', 'Bea', 'run.approve', 'expired');
    await attempt('approval of an expired run', 'Bea', 'run.approve', 'stale');

    const audit = system.audit();
    const cardUnrefused = cardCases.filter((c) => {
      const body = c.answer.body as { type?: string; value?: unknown };
      const refusedText =
        body?.type === 'application/vnd.microsoft.activity.message' && typeof body.value === 'string';
      const staleCard = body?.type === 'application/vnd.microsoft.card.adaptive';
      return !(c.answer.status === 200 && (refusedText || staleCard));
    });
    const statusesAfter = [...new Set(cardCases.map((c) => c.statusAfter))];
    const cardUnaudited = cardCases.filter(
      (c) => refusalsFor(audit, (a) => 'id' in a && a.id === system.teams.user(c.from).id, c.why) === 0,
    );
    record(
      'card actions: non-requester, non-approver, self-approval, other conversation, unknown verb, after expiry',
      `${cardCases.length - cardUnrefused.length} of ${cardCases.length} refused, ${cardCases.length - cardUnaudited.length} of ${cardCases.length} audited as refused (${cardCases.map((c) => c.why).join(', ')}); run states meanwhile: ${statusesAfter.join(' -> ')}`,
      cardUnrefused.length === 0 && cardUnaudited.length === 0,
    );

    // Runner requests.
    const body = beat(RUNNER);
    const path = RUNNER_API_PATHS.heartbeat;
    const signed = (overrides: { secret?: string; timestamp?: number; runnerId?: string } = {}) =>
      signRequest({
        runnerId: overrides.runnerId ?? RUNNER.id,
        secret: overrides.secret ?? RUNNER.secret,
        method: 'POST',
        path,
        body: JSON.stringify(body),
        timestamp: overrides.timestamp,
      });
    const replayed = signed();
    type Answer = { status: number; body?: unknown };
    const errorOf = (answer: Answer) => (answer.body as { error?: string } | undefined)?.error;
    const runnerCases: { name: string; why: string; runnerId: string | null; answer: Answer }[] = [];
    const forge = async (name: string, why: string, runnerId: string | null, send: () => Promise<Answer>) =>
      runnerCases.push({ name, why, runnerId, answer: await send() });
    await forge('bad signature (wrong secret)', 'bad-signature', RUNNER.id, () =>
      raw(path, body, signed({ secret: OTHER.secret })),
    );
    await forge('bad signature (body changed)', 'bad-signature', RUNNER.id, () =>
      raw(path, { ...body, runId: 1 }, signed()),
    );
    await forge('stale timestamp (10 min old)', 'stale-timestamp', RUNNER.id, () =>
      raw(path, body, signed({ timestamp: Date.now() - 10 * 60_000 })),
    );
    await forge('timestamp from the future', 'stale-timestamp', RUNNER.id, () =>
      raw(path, body, signed({ timestamp: Date.now() + 10 * 60_000 })),
    );
    expect((await raw(path, body, replayed)).status).toBe(200);
    await forge('replayed nonce', 'replayed-nonce', RUNNER.id, () => raw(path, body, replayed));
    await forge('unknown runner', 'unknown-runner', 'rn-nobody', () =>
      raw(path, body, signed({ runnerId: 'rn-nobody' })),
    );
    await forge('no signature', 'missing-headers', null, () => raw(path, body, {}));
    await forge("result for another runner's run", 'not-own-run', OTHER.id, () =>
      system.runnerCall(
        RUNNER_API_PATHS.results,
        {
          results: [firstStepResult(run.runId)],
        },
        OTHER,
      ),
    );
    await forge("heartbeat naming another runner's run", 'not-own-run', OTHER.id, () =>
      system.runnerCall(RUNNER_API_PATHS.heartbeat, beat(OTHER, otherProfile, run.runId), OTHER),
    );
    await forge("heartbeat claiming another runner's server", 'not-own-server', OTHER.id, () =>
      system.runnerCall(RUNNER_API_PATHS.heartbeat, beat(OTHER, BACKEND01.profile), OTHER),
    );
    await forge("heartbeat claiming another runner's id", 'not-own-runner-id', OTHER.id, () =>
      system.runnerCall(RUNNER_API_PATHS.heartbeat, beat(RUNNER, otherProfile), OTHER),
    );
    const runnerUnrefused = runnerCases.filter(
      (c) => ![401, 403].includes(c.answer.status) || errorOf(c.answer) !== c.why,
    );
    const expectedCounts = new Map<string, number>();
    for (const c of runnerCases)
      expectedCounts.set(`${c.runnerId}|${c.why}`, (expectedCounts.get(`${c.runnerId}|${c.why}`) ?? 0) + 1);
    const unaudited = () =>
      [...expectedCounts].filter(([key, n]) => {
        const [runnerId, why] = key.split('|') as [string, string];
        const id = runnerId === 'null' ? '(unknown)' : runnerId;
        return refusalsFor(system.audit(), (a) => 'runnerId' in a && a.runnerId === id, why) < n;
      });
    // The runner API answers first and writes the audit event right after.
    await waitUntil(() => unaudited().length === 0, 3_000, 'the runner refusals in the audit').catch(
      () => undefined,
    );
    const runnerUnaudited = unaudited();
    record(
      "runner requests: bad signature, stale timestamp, replayed nonce, unknown runner, another runner's run",
      `${runnerCases.length - runnerUnrefused.length} of ${runnerCases.length} refused (${runnerCases.map((c) => `${c.answer.status} ${c.why}`).join(', ')}); audited: ${runnerUnaudited.length === 0 ? 'every one' : `missing ${runnerUnaudited.map(([k]) => k).join(', ')}`}`,
      runnerUnrefused.length === 0 && runnerUnaudited.length === 0,
    );

    // Another runner never receives the run's job, even while it waits in the queue.
    const run2 = await system.planRun('backend01', 'standard', 'Alex');
    await system.teams.pressCardButton({
      conversation: run2.target,
      replyToId: run2.cardId,
      verb: 'plan.confirm',
      data: { runId: run2.runId },
      from: system.teams.user('Alex'),
    });
    await system.teams.pressCardButton({
      conversation: run2.target,
      replyToId: run2.cardId,
      verb: 'run.approve',
      data: { runId: run2.runId },
      from: system.teams.user('Bea'),
    });
    await waitUntil(() => system.run(run2.runId)?.status === 'queued', 5_000, 'the second run to be queued');
    const otherPoll = await system.runnerCall(RUNNER_API_PATHS.poll, { waitMs: 1000 }, OTHER);
    const ownPoll = await system.runnerCall(RUNNER_API_PATHS.poll, { waitMs: 1000 }, RUNNER);
    const ownJob = (ownPoll.body as { job?: { runId: number } } | undefined)?.job?.runId;
    record(
      "another runner's job is never handed out",
      `queued run #${run2.runId}: the other runner's poll answered ${otherPoll.status}; backend01's own poll got job #${ownJob ?? '-'}`,
      otherPoll.status === 204 && ownJob === run2.runId,
    );

    expect(cardUnrefused.map((c) => c.name)).toEqual([]);
    expect(cardUnaudited.map((c) => c.name)).toEqual([]);
    expect(runnerUnrefused.map((c) => `${c.name}: ${c.answer.status} ${errorOf(c.answer)}`)).toEqual([]);
    expect(runnerUnaudited).toEqual([]);
    expect(otherPoll.status).toBe(204);
    expect(ownJob).toBe(run2.runId);
  }, 90_000);
});
