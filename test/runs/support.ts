import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { DEFAULT_POLICY, type Policy } from '../../src/runs/policy.js';
import { RunService, type RunChange } from '../../src/runs/service.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { Person, RunRecord } from '../../src/store/types.js';
import type { StepResult } from '../../src/protocol/messages.js';
import { profile } from '../procedure/fixtures.js';

export const ALEX: Person = { id: '29:alex', name: 'Alex Admin', aadObjectId: 'aad-alex' };
export const BEA: Person = { id: '29:bea', name: 'Bea Approver', aadObjectId: 'aad-bea' };
export const CHEN: Person = { id: '29:chen', name: 'Chen Operator', aadObjectId: 'aad-chen' };
export const EVE: Person = { id: '29:eve', name: 'Eve Guest', aadObjectId: 'aad-eve' };
export const CONVERSATION = '19:patching@thread.tacv2;messageid=1700000000000';

/** A RunService on a real lowdb store in a temp dir, with a controllable clock. */
export async function makeService(policy: Partial<Policy> = {}, dir?: string) {
  const dataDir = dir ?? (await mkdtemp(path.join(tmpdir(), 'patchbot-runs-')));
  let clock = new Date('2026-11-23T02:00:00Z');
  const changes: { runId: number; status: string; change: RunChange }[] = [];
  const store = await LowdbStore.open(dataDir, () => clock);
  const service = new RunService({
    store,
    policy: { ...DEFAULT_POLICY, ...policy },
    now: () => clock,
    observer: {
      runChanged: async (run, change) => void changes.push({ runId: run.id, status: run.status, change }),
    },
    logger: silentLogger(),
    heartbeatTimeoutMs: 60_000,
  });
  for (const [server, product, edition] of [
    ['backend01', 'sfb2019', 'standard'],
    ['be01', 'sfb2019', 'enterprise'],
    ['lyncbe01', 'lync2013', 'enterprise'],
  ] as const) {
    await store.saveRunner({
      id: `rn-${server}`,
      server,
      secret: 's'.repeat(43),
      createdAt: clock.toISOString(),
      lastSeenAt: clock.toISOString(),
      info: { runnerId: `rn-${server}`, version: '0.1.0', profile: profile(product, server, { edition }) },
    });
  }
  return {
    dataDir,
    store,
    service,
    changes,
    advance: (ms: number) => (clock = new Date(clock.getTime() + ms)),
    now: () => clock,
  };
}

export const actor = (person: Person, conversationId = CONVERSATION) => ({ person, conversationId });

export async function requestStandard(service: RunService, person: Person = ALEX): Promise<RunRecord> {
  const result = await service.request({
    request: { server: 'backend01', edition: 'standard' },
    requester: person,
    conversationId: CONVERSATION,
    locale: 'en-US',
  });
  if (!result.ok) throw new Error(result.refusal.key);
  return result.value;
}

export function resultFor(
  run: RunRecord,
  index: number,
  status: StepResult['status'] = 'succeeded',
): StepResult {
  const step = run.plan.steps[index]!;
  return {
    runId: run.id,
    attempt: run.attempt,
    stepId: step.id,
    index,
    status,
    startedAt: '2026-11-23T02:01:00.000Z',
    endedAt: '2026-11-23T02:01:01.000Z',
    durationMs: 1000,
    exitCode: status === 'succeeded' ? 0 : 1,
    stdout: '',
    stderr: status === 'succeeded' ? '' : 'boom',
    truncated: false,
    errorExcerpt: status === 'succeeded' ? null : 'boom',
  };
}
