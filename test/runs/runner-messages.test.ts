/**
 * Runner messages pass through the run's state machine (issue 16, finding 3): a heartbeat or a
 * step result naming a run the bot never handed out (planned, awaiting approval, rejected,
 * expired) changes nothing and is answered 'not-dispatched'.
 */
import fc from 'fast-check';
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../src/procedure/index.js';
import { STEP_STATUSES, type Heartbeat, type StepResult } from '../../src/protocol/messages.js';
import type { RunService } from '../../src/runs/service.js';
import type { LowdbStore } from '../../src/store/lowdb-store.js';
import type { RunRecord } from '../../src/store/types.js';
import { ALEX, BEA, CONVERSATION, actor, makeService, resultFor } from './support.js';

const SERVERS = ['backend01', 'be01', 'lyncbe01'] as const;

function beat(store: LowdbStore, runnerId: string, runId: number | null, stepId: string | null): Heartbeat {
  const info = store.getRunner(runnerId)!.info!;
  return { info, runId, stepId: stepId as Heartbeat['stepId'] };
}

async function request(service: RunService, server: (typeof SERVERS)[number]): Promise<RunRecord> {
  const edition = server === 'backend01' ? 'standard' : 'enterprise';
  const result = await service.request({
    request:
      edition === 'standard'
        ? { server, edition }
        : { server, edition, sqlServerFqdn: 'sql01.contoso.local' },
    requester: ALEX,
    conversationId: CONVERSATION,
    locale: 'en-US',
  });
  if (!result.ok) throw new Error(result.refusal.key);
  return result.value;
}

describe('a runner message for a run never handed out', () => {
  it('a heartbeat naming a planned run changes nothing: no step running, no downtime clock', async () => {
    const { service, store } = await makeService();
    const run = await request(service, 'backend01');
    const before = structuredClone(store.getRun(run.id));
    const answer = await service.dispatcher.heartbeat(
      'rn-backend01',
      beat(store, 'rn-backend01', run.id, run.plan.downtimeStartsAt),
    );
    expect(answer).toBe('not-dispatched');
    expect(store.getRun(run.id)).toEqual(before);
  });

  it('a step result for a run awaiting approval changes nothing', async () => {
    const { service, store } = await makeService({ approvers: [BEA.id], approvalsRequired: 1 });
    const run = await request(service, 'backend01');
    await service.confirm(run.id, actor(ALEX));
    const before = structuredClone(store.getRun(run.id));
    expect(before?.status).toBe('awaiting-approval');
    expect(await service.dispatcher.acceptResult('rn-backend01', resultFor(before!, 0))).toBe(
      'not-dispatched',
    );
    expect(store.getRun(run.id)).toEqual(before);
  });

  it('a heartbeat naming a failed run keeps its steps as they are', async () => {
    const { service, store } = await makeService();
    const run = await request(service, 'backend01');
    await service.confirm(run.id, actor(ALEX));
    await service.dispatcher.waitForJob('rn-backend01', AbortSignal.abort());
    const live = store.getRun(run.id)!;
    await service.dispatcher.acceptResult('rn-backend01', resultFor(live, 0, 'failed'));
    expect(store.getRun(run.id)?.status).toBe('failed');
    const before = structuredClone(store.getRun(run.id));
    await service.dispatcher.heartbeat(
      'rn-backend01',
      beat(store, 'rn-backend01', run.id, live.plan.steps[1]!.id),
    );
    expect(store.getRun(run.id)?.steps).toEqual(before?.steps);
    expect(store.getRun(run.id)?.status).toBe('failed');
  });
});

describe('property: no runner message moves a run the bot did not hand out', () => {
  /** backend01: planned; be01: awaiting approval; lyncbe01: approved and queued (handed out). */
  async function threeRuns() {
    const setup = await makeService({ approvers: [BEA.id], approvalsRequired: 1 });
    const { service, store } = setup;
    const planned = await request(service, 'backend01');
    const awaiting = await request(service, 'be01');
    await service.confirm(awaiting.id, actor(ALEX));
    const queued = await request(service, 'lyncbe01');
    await service.confirm(queued.id, actor(ALEX));
    await service.approve(queued.id, actor(BEA));
    expect(store.getRun(queued.id)?.status).toBe('queued');
    return { ...setup, planned, awaiting, queued };
  }

  it('holds over random sequences of heartbeats and results from every runner', async () => {
    // Run ids are the same in every fresh store: 1 planned, 2 awaiting approval, 3 queued.
    const runner = fc.constantFrom(...SERVERS.map((s) => `rn-${s}`));
    const runId = fc.constantFrom(1, 2, 3, 99);
    const stepId = fc.constantFrom(...STEP_IDS);
    const message = fc.oneof(
      fc.record({
        kind: fc.constant('heartbeat' as const),
        runner,
        runId: fc.option(runId, { nil: null }),
        stepId: fc.option(stepId, { nil: null }),
      }),
      fc.record({
        kind: fc.constant('result' as const),
        runner,
        runId,
        stepId,
        index: fc.nat({ max: 25 }),
        attempt: fc.integer({ min: 0, max: 3 }),
        status: fc.constantFrom(...STEP_STATUSES),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 12 }), async (messages) => {
        // A fresh store for each sequence, so a failure shrinks to the messages that cause it.
        const { service, store, dataDir, planned, awaiting, queued } = await threeRuns();
        expect([planned.id, awaiting.id, queued.id]).toEqual([1, 2, 3]);
        const snapshot = () => [planned.id, awaiting.id].map((id) => structuredClone(store.getRun(id)));
        const before = snapshot();
        for (const m of messages) {
          if (m.kind === 'heartbeat') {
            await service.dispatcher.heartbeat(m.runner, beat(store, m.runner, m.runId, m.stepId));
          } else {
            const at = new Date('2026-11-23T02:00:00Z').toISOString();
            const result: StepResult = {
              runId: m.runId,
              attempt: m.attempt,
              stepId: m.stepId,
              index: m.index,
              status: m.status,
              startedAt: at,
              endedAt: at,
              durationMs: 1,
              exitCode: 0,
              stdout: '',
              stderr: '',
              truncated: false,
              errorExcerpt: null,
            };
            await service.dispatcher.acceptResult(m.runner, result);
          }
        }
        expect(snapshot()).toEqual(before);
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      }),
      { seed: 16, numRuns: 100 },
    );
  });
});

describe('a result from a runner journal of another store (finding 9)', () => {
  it('is not taken for the run with the same number: only the job key of this run counts', async () => {
    const { service, store } = await makeService();
    const run = await request(service, 'backend01');
    await service.confirm(run.id, actor(ALEX));
    const job = await service.dispatcher.waitForJob('rn-backend01', AbortSignal.abort());
    expect(job?.key).toMatch(/^[0-9a-f-]{36}$/);
    const live = store.getRun(run.id)!;
    const before = structuredClone(live);
    const stale = { ...resultFor(live, 0), key: 'a-run-1-of-another-store' };
    expect(await service.dispatcher.acceptResult('rn-backend01', stale)).toBe('not-dispatched');
    expect(store.getRun(run.id)).toEqual(before);
    expect(
      await service.dispatcher.acceptResult('rn-backend01', { ...resultFor(live, 0), key: job!.key }),
    ).toBe('accepted');
  });

  it('gives every run its own key, so two stores’ run #1 never share one', async () => {
    const a = await makeService();
    const b = await makeService();
    const runA = await request(a.service, 'backend01');
    const runB = await request(b.service, 'backend01');
    expect(runA.id).toBe(runB.id);
    expect(runA.jobKey).not.toBe(runB.jobKey);
  });
});

describe('a job the runner declines (finding 9)', () => {
  it('fails the run with a notice that names the runner’s reason code', async () => {
    const { service, store } = await makeService();
    const run = await request(service, 'backend01');
    await service.confirm(run.id, actor(ALEX));
    const job = await service.dispatcher.waitForJob('rn-backend01', AbortSignal.abort());
    const live = store.getRun(run.id)!;
    const declined = {
      ...resultFor(live, 0, 'failed'),
      key: job!.key,
      declined: 'job-already-run',
      errorExcerpt: 'The runner refused this job (job-already-run): it already ran here.',
    };
    expect(await service.dispatcher.acceptResult('rn-backend01', declined)).toBe('accepted');
    const after = store.getRun(run.id)!;
    expect(after.status).toBe('failed');
    expect(after.steps[0]?.notice).toEqual({
      key: 'run.declined',
      params: { server: 'backend01', code: 'job-already-run' },
    });
  });
});
