import { describe, expect, it } from 'vitest';
import {
  ALEX,
  BEA,
  CHEN,
  CONVERSATION,
  EVE,
  actor,
  makeService,
  requestStandard,
  resultFor,
} from './support.js';

describe('requesting and confirming', () => {
  it('plans a run, confirms it and queues it when no approval is needed', async () => {
    const { service, store } = await makeService();
    const run = await requestStandard(service);
    expect(run.status).toBe('planned');
    const confirmed = await service.confirm(run.id, actor(ALEX));
    expect(confirmed.ok && confirmed.value.status).toBe('queued');
    expect(store.getRun(run.id)?.status).toBe('queued');
  });

  it('refuses an unknown server with the known ones and a suggestion', async () => {
    const { service } = await makeService();
    const result = await service.request({
      request: { server: 'backend1', edition: 'standard' },
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.refusal.key).toBe('bot.unknown-server.suggest');
      expect(result.refusal.params.suggestion).toBe('backend01');
    }
  });

  it('refuses someone who may not request, and audits it', async () => {
    const { service, store } = await makeService({ requesters: [ALEX.id] });
    const result = await service.request({
      request: { server: 'backend01', edition: 'standard' },
      requester: EVE,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!result.ok && result.refusal.key).toBe('bot.not-allowed.request');
    expect(
      (await store.readAudit()).some(
        (e) => e.action === 'refuse' && (e.detail as { why: string }).why === 'not-requester',
      ),
    ).toBe(true);
  });

  it('only the requester confirms their plan', async () => {
    const { service } = await makeService();
    const run = await requestStandard(service);
    const result = await service.confirm(run.id, actor(BEA));
    expect(!result.ok && result.refusal.key).toBe('bot.not-own-plan');
  });

  it('a double-click confirm yields one run and a stale-card answer', async () => {
    const { service, store } = await makeService();
    const run = await requestStandard(service);
    const [a, b] = await Promise.all([
      service.confirm(run.id, actor(ALEX)),
      service.confirm(run.id, actor(ALEX)),
    ]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    expect(store.liveRuns().filter((r) => r.server === 'backend01' && r.status === 'queued')).toHaveLength(1);
  });

  it('allows one active run per server', async () => {
    const { service } = await makeService();
    const first = await requestStandard(service);
    await service.confirm(first.id, actor(ALEX));
    const second = await service.request({
      request: { server: 'backend01', edition: 'standard' },
      requester: CHEN,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!second.ok && second.refusal).toEqual({
      key: 'bot.run-exists',
      params: { server: 'backend01', runId: first.id, status: 'queued' },
    });
  });

  it('enforces the pool limit', async () => {
    const { service } = await makeService({
      pools: [{ name: 'pool01', servers: ['backend01', 'be01'], maxConcurrentRuns: 1 }],
    });
    const first = await requestStandard(service);
    await service.confirm(first.id, actor(ALEX));
    const second = await service.request({
      request: { server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!second.ok && second.refusal.key).toBe('bot.pool-busy');
  });

  it('refuses outside the maintenance window with the next allowed time', async () => {
    // 2026-11-23 is a Monday; the window is Saturdays 01:00-05:00 UTC.
    const { service } = await makeService({
      maintenanceWindows: { backend01: [{ days: [6], start: '01:00', end: '05:00', timeZone: 'UTC' }] },
    });
    const result = await service.request({
      request: { server: 'backend01', edition: 'standard' },
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!result.ok && result.refusal).toEqual({
      key: 'bot.maintenance-window',
      params: { server: 'backend01', next: '2026-11-28T01:00:00.000Z' },
      windows: [{ days: [6], start: '01:00', end: '05:00', timeZone: 'UTC' }],
    });
  });

  it('refuses actions on a run from another conversation', async () => {
    const { service } = await makeService();
    const run = await requestStandard(service);
    const result = await service.confirm(run.id, actor(ALEX, '19:other@thread.tacv2'));
    expect(!result.ok && result.refusal.key).toBe('bot.run-not-found');
  });
});

describe('approvals', () => {
  const policy = { approvers: [BEA.id, CHEN.aadObjectId!, ALEX.id], approvalsRequired: 2 };

  it('needs two different approvers, never the requester, counted once per person', async () => {
    const { service } = await makeService(policy);
    const run = await requestStandard(service);
    expect((await service.confirm(run.id, actor(ALEX))).ok).toBe(true);
    const self = await service.approve(run.id, actor(ALEX));
    expect(!self.ok && self.refusal.key).toBe('bot.self-approval');
    const outsider = await service.approve(run.id, actor(EVE));
    expect(!outsider.ok && outsider.refusal.key).toBe('bot.not-allowed.approve');
    const first = await service.approve(run.id, actor(BEA));
    expect(first.ok && first.value.status).toBe('awaiting-approval');
    const again = await service.approve(run.id, actor(BEA));
    expect(!again.ok && again.refusal.key).toBe('bot.already-decided');
    const second = await service.approve(run.id, actor({ ...CHEN, id: '29:chen-other-id' }));
    expect(second.ok && second.value.status).toBe('queued');
  });

  it('a rejection with a reason ends the run', async () => {
    const { service } = await makeService(policy);
    const run = await requestStandard(service);
    await service.confirm(run.id, actor(ALEX));
    const result = await service.reject(run.id, actor(BEA), 'not tonight');
    expect(result.ok && result.value.status).toBe('rejected');
    expect(result.ok && result.value.decisions[0]).toMatchObject({
      decision: 'rejected',
      reason: 'not tonight',
      by: { id: BEA.id },
    });
  });

  it('expires after the configured time and the buttons stop working', async () => {
    const { service, advance, store } = await makeService({ ...policy, approvalExpiryMinutes: 60 });
    const run = await requestStandard(service);
    await service.confirm(run.id, actor(ALEX));
    advance(61 * 60_000);
    await service.sweep();
    expect((await store.findRun(run.id))?.status).toBe('expired');
    const late = await service.approve(run.id, actor(BEA));
    expect(!late.ok && late.refusal.key).toBe('bot.card-stale');
  });

  it('pending approvals survive a restart', async () => {
    const first = await makeService(policy);
    const run = await requestStandard(first.service);
    await first.service.confirm(run.id, actor(ALEX));
    await first.service.approve(run.id, actor(BEA));
    await first.store.close();
    const second = await makeService(policy, first.dataDir);
    const result = await second.service.approve(run.id, actor(CHEN));
    expect(result.ok && result.value.status).toBe('queued');
  });
});

describe('running, cancel, retry, abort', () => {
  async function running() {
    const setup = await makeService();
    const run = await requestStandard(setup.service);
    await setup.service.confirm(run.id, actor(ALEX));
    const controller = new AbortController();
    const job = await setup.service.dispatcher.waitForJob('rn-backend01', controller.signal);
    return { ...setup, run, job };
  }

  it('hands the queued run to its own runner only', async () => {
    const { job, service } = await running();
    expect(job).toMatchObject({ server: 'backend01', attempt: 1, startIndex: 0 });
    const controller = new AbortController();
    const other = service.dispatcher.waitForJob('rn-be01', controller.signal);
    controller.abort();
    expect(await other).toBeNull();
  });

  it('wakes a waiting poll as soon as a run is queued', async () => {
    const { service } = await makeService();
    const controller = new AbortController();
    const waiting = service.dispatcher.waitForJob('rn-backend01', controller.signal);
    const run = await requestStandard(service);
    await service.confirm(run.id, actor(ALEX));
    expect((await waiting)?.runId).toBe(run.id);
  });

  it('records results idempotently and completes the run', async () => {
    const { service, run, store } = await running();
    const live = store.getRun(run.id)!;
    for (let i = 0; i < live.plan.steps.length; i++) {
      expect(await service.dispatcher.acceptResult('rn-backend01', resultFor(live, i))).toBe('accepted');
      if (i === 0)
        expect(await service.dispatcher.acceptResult('rn-backend01', resultFor(live, 0))).toBe('duplicate');
    }
    const done = await store.findRun(run.id);
    expect(done?.status).toBe('succeeded');
    expect(done?.downtimeStartedAt).not.toBeNull();
    expect(done?.downtimeEndedAt).not.toBeNull();
  });

  it('refuses results from another server runner', async () => {
    const { service, run, store } = await running();
    expect(await service.dispatcher.acceptResult('rn-be01', resultFor(store.getRun(run.id)!, 0))).toBe(
      'forbidden',
    );
  });

  it('cancel mid-run rides back on the heartbeat', async () => {
    const { service, run, store } = await running();
    await service.dispatcher.acceptResult('rn-backend01', resultFor(store.getRun(run.id)!, 0));
    const cancel = await service.cancel(run.id, actor(CHEN));
    expect(cancel.ok && cancel.value.cancelRequested?.by.id).toBe(CHEN.id);
    const beat = await service.dispatcher.heartbeat('rn-backend01', {
      info: store.getRunner('rn-backend01')!.info!,
      runId: run.id,
      stepId: null,
    });
    expect(beat).toEqual({ cancel: [run.id] });
    await service.dispatcher.acceptResult('rn-backend01', resultFor(store.getRun(run.id)!, 1, 'cancelled'));
    expect((await store.findRun(run.id))?.status).toBe('cancelled');
  });

  it('a failed safe step can be retried and the run continues', async () => {
    const { service, run, store } = await running();
    await service.dispatcher.acceptResult('rn-backend01', resultFor(store.getRun(run.id)!, 0, 'failed'));
    expect(store.getRun(run.id)?.status).toBe('failed');
    const retried = await service.retry(run.id, actor(ALEX), false);
    expect(retried.ok && retried.value.attempt).toBe(2);
    const job = await service.dispatcher.waitForJob('rn-backend01', new AbortController().signal);
    expect(job).toMatchObject({ attempt: 2, startIndex: 0 });
  });

  it('a failed unsafe step needs the "I have checked the server" confirmation', async () => {
    const { service, run, store } = await running();
    const live = store.getRun(run.id)!;
    const install = live.plan.steps.findIndex((s) => s.id === 'update.install');
    for (let i = 0; i < install; i++)
      await service.dispatcher.acceptResult('rn-backend01', resultFor(live, i));
    await service.dispatcher.acceptResult(
      'rn-backend01',
      resultFor(store.getRun(run.id)!, install, 'failed'),
    );
    const unchecked = await service.retry(run.id, actor(ALEX), false);
    expect(!unchecked.ok && unchecked.refusal.key).toBe('bot.retry.needs-check');
    const checked = await service.retry(run.id, actor(ALEX), true);
    expect(checked.ok && checked.value.status).toBe('queued');
  });

  it('a runner that goes silent mid-run leaves the run interrupted, and abort ends it', async () => {
    const { service, run, store, advance } = await running();
    await service.dispatcher.heartbeat('rn-backend01', {
      info: store.getRunner('rn-backend01')!.info!,
      runId: run.id,
      stepId: run.plan.steps[0]!.id,
    });
    advance(61_000);
    await service.sweep();
    expect(store.getRun(run.id)?.status).toBe('interrupted');
    expect(store.getRun(run.id)?.steps[0]?.status).toBe('interrupted');
    const aborted = await service.abort(run.id, actor(ALEX));
    expect(aborted.ok && aborted.value.status).toBe('aborted');
  });

  it('interrupts the step the runner was on, and a late result for an earlier step keeps it so', async () => {
    const { service, run, store, advance } = await running();
    const live = store.getRun(run.id)!;
    const beat = (stepId: string) =>
      service.dispatcher.heartbeat('rn-backend01', {
        info: store.getRunner('rn-backend01')!.info!,
        runId: run.id,
        stepId: stepId as never,
      });
    expect(await service.dispatcher.acceptResult('rn-backend01', resultFor(live, 0))).toBe('accepted');
    // Step 2 ran and finished on the server, its result still in the runner's outbox, when the
    // runner said it was on step 3 and then went silent.
    await beat(live.plan.steps[1]!.id);
    await beat(live.plan.steps[2]!.id);
    advance(61_000);
    await service.sweep();
    expect(
      store
        .getRun(run.id)
        ?.steps.map((s) => s.status)
        .slice(0, 4),
    ).toEqual(['succeeded', 'running', 'interrupted', 'pending']);

    // The runner comes back and delivers its journal: step 2's result, then step 3 cut off.
    expect(await service.dispatcher.acceptResult('rn-backend01', resultFor(live, 1))).toBe('accepted');
    expect(store.getRun(run.id)?.status).toBe('interrupted');
    expect(store.getRun(run.id)?.steps[1]?.status).toBe('succeeded');
    expect(await service.dispatcher.acceptResult('rn-backend01', resultFor(live, 2, 'interrupted'))).toBe(
      'duplicate',
    );
    expect(store.getRun(run.id)?.status).toBe('interrupted');
    const interruptions = (await store.readAudit()).filter(
      (e) => e.action === 'interrupted' && e.runId === run.id,
    );
    expect(interruptions).toHaveLength(1);
  });

  it('warns once at 20 and once at 30 minutes of downtime', async () => {
    const { service, run, store, advance, changes } = await running();
    await service.dispatcher.heartbeat('rn-backend01', {
      info: store.getRunner('rn-backend01')!.info!,
      runId: run.id,
      stepId: 'services.stop',
    });
    for (const minutes of [10, 10, 5, 5, 5]) {
      advance(minutes * 60_000);
      await service.dispatcher.heartbeat('rn-backend01', {
        info: store.getRunner('rn-backend01')!.info!,
        runId: run.id,
        stepId: 'update.install',
      });
      await service.sweep();
    }
    const warnings = changes
      .filter((c) => c.change.kind === 'downtime-warning')
      .map((c) => (c.change as { minutes: number }).minutes);
    expect(warnings).toEqual([20, 30]);
  });

  it('halts after an installer that asks for a restart and resumes with the fresh shell on retry', async () => {
    const { service, run, store } = await running();
    const live = store.getRun(run.id)!;
    const install = live.plan.steps.findIndex((s) => s.id === 'update.install');
    for (let i = 0; i < install; i++)
      await service.dispatcher.acceptResult('rn-backend01', resultFor(live, i));
    const reboot = { ...resultFor(store.getRun(run.id)!, install), exitCode: 3010, rebootRequired: true };
    expect(await service.dispatcher.acceptResult('rn-backend01', reboot)).toBe('accepted');
    expect(store.getRun(run.id)?.status).toBe('failed');
    const retried = await service.retry(run.id, actor(ALEX), false);
    expect(retried.ok).toBe(true);
    const job = await service.dispatcher.waitForJob('rn-backend01', new AbortController().signal);
    expect(job?.steps[job.startIndex]).toBe('shell.reopen');
  });
});

describe('runner liveness', () => {
  it('refuses an update for a server whose runner has gone silent', async () => {
    const { service, advance } = await makeService();
    advance(5 * 60_000);
    const result = await service.request({
      request: { server: 'backend01', edition: 'standard' },
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!result.ok && result.refusal.key).toBe('bot.runner-offline');
  });
});
