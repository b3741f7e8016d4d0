import { planUpdate, type Plan, type ServerProfile, type UpdateRequest } from '../../src/procedure/index.js';
import type { RunnerStatus } from '../../src/cards/index.js';
import type { Person, RunRecord, StepRecord } from '../../src/store/types.js';

export const SHA256 = '3f'.repeat(32);

export const PROFILE: ServerProfile = {
  server: 'backend01',
  product: 'sfb2019',
  package: {
    source: 'https://updates.contoso.local/cu/SkypeServerUpdateInstaller.exe',
    fileName: 'SkypeServerUpdateInstaller.exe',
    sha256: SHA256,
    version: '7.0.2046.530',
  },
  stagingDir: 'C:\\PatchBot\\staging',
  minFreeGb: 10,
};

export const REQUESTS = {
  standard: { server: 'backend01', edition: 'standard' },
  enterprise: { server: 'backend01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
  'enterprise-collocated': {
    server: 'backend01',
    edition: 'enterprise',
    sqlServerFqdn: 'sql01.contoso.local',
    collocated: true,
  },
} as const satisfies Record<string, UpdateRequest>;

export function mustPlan(request: UpdateRequest = REQUESTS.standard, profile: ServerProfile = PROFILE): Plan {
  const result = planUpdate(request, profile);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

export const ALICE: Person = { id: '29:alice', name: 'Alice Example' };
export const BOB: Person = { id: '29:bob', name: 'Bob Approver' };
export const CAROL: Person = { id: '29:carol', name: 'Carol Approver' };

export const T0 = Date.parse('2025-03-12T09:00:00Z');
export const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
export const nowAt = (minutes: number) => new Date(T0 + minutes * 60_000);

export function baseRun(plan: Plan = mustPlan(), overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 12,
    server: plan.request.server,
    product: plan.product,
    edition: plan.request.edition,
    plan,
    status: 'planned',
    requestedBy: ALICE,
    requestedAt: at(0),
    conversationId: '19:channel@thread.tacv2',
    locale: 'en-US',
    approvalsRequired: 1,
    decisions: [],
    expiresAt: at(60),
    attempt: 1,
    steps: [],
    startedAt: null,
    endedAt: null,
    downtimeStartedAt: null,
    downtimeEndedAt: null,
    cancelRequested: null,
    cardActivityId: null,
    ...overrides,
  };
}

/** Step records for the first `count` plan steps, each one minute long, starting at `startMinute`. */
export function finishedSteps(plan: Plan, count: number, startMinute: number): StepRecord[] {
  return plan.steps.slice(0, count).map((step, i) => ({
    stepId: step.id,
    index: step.index - 1,
    status: 'succeeded',
    attempt: 1,
    startedAt: at(startMinute + i),
    endedAt: at(startMinute + i + 1),
    durationMs: 60_000,
    exitCode: step.id === 'iis.stop' ? 0 : null,
    stdout:
      step.id === 'precheck.version' ? '7.0.2046.385' : step.id === 'postcheck.version' ? '7.0.2046.530' : '',
    stderr: '',
    errorExcerpt: null,
  }));
}

const APPROVED = { by: BOB, decision: 'approved', at: at(3), reason: 'CHG-4711 approved by CAB' } as const;

/** Where the installer is in the plan (the catalog decides; the fixtures follow it). */
export const installIndex = (plan: Plan) => plan.steps.findIndex((s) => s.id === 'update.install');

/** The run halfway through its downtime: every step before the installer done, the installer running. */
export function runningRun(plan: Plan = mustPlan()): RunRecord {
  const i = installIndex(plan);
  // One minute per step, timed so that the services stop at minute 14 and the installer starts at 17.
  const steps = finishedSteps(plan, i, 17 - i);
  const install = plan.steps[i]!;
  steps.push({ stepId: install.id, index: i, status: 'running', attempt: 1, startedAt: at(17) });
  return baseRun(plan, {
    status: 'running',
    decisions: [APPROVED],
    startedAt: at(5),
    downtimeStartedAt: at(14),
    steps,
  });
}

/** The installer (not retry-safe) failed with exit code 1603, services down. */
export function failedRun(plan: Plan = mustPlan()): RunRecord {
  const run = runningRun(plan);
  const i = installIndex(plan);
  const install = run.steps[i]!;
  run.status = 'failed';
  run.steps[i] = {
    ...install,
    status: 'failed',
    endedAt: at(21),
    durationMs: 4 * 60_000 + 12_000,
    exitCode: 1603,
    stdout: 'Extracting files\nInstalling SkypeServerUpdateInstaller\nRollback started',
    stderr:
      'Fatal error during installation.\nMSI (s) (A0:B4) Product: Skype for Business Server - Update failed',
    errorExcerpt: 'Installer exited with 1603: fatal error during installation.',
  };
  return run;
}

export function succeededRun(plan: Plan = mustPlan()): RunRecord {
  return baseRun(plan, {
    status: 'succeeded',
    decisions: [APPROVED],
    startedAt: at(5),
    endedAt: at(25),
    downtimeStartedAt: at(14),
    downtimeEndedAt: at(24),
    steps: finishedSteps(plan, plan.steps.length, 5),
  });
}

export function awaitingRun(plan: Plan = mustPlan()): RunRecord {
  return baseRun(plan, {
    status: 'awaiting-approval',
    approvalsRequired: 2,
    decisions: [{ by: BOB, decision: 'approved', at: at(2) }],
  });
}

export const RUNNERS: RunnerStatus[] = [
  {
    server: 'backend01',
    info: { runnerId: 'r-backend01', version: '0.1.0', profile: PROFILE },
    lastSeenAt: at(19),
    currentRunId: 12,
  },
  {
    server: 'lyncbe01',
    info: {
      runnerId: 'r-lyncbe01',
      version: '0.1.0',
      profile: {
        ...PROFILE,
        server: 'lyncbe01',
        product: 'lync2013',
        package: { ...PROFILE.package, version: '5.0.8308.1182' },
      },
    },
    lastSeenAt: at(2),
  },
  { server: 'newbe01', info: null, lastSeenAt: null },
];
