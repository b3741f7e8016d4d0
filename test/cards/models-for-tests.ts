import {
  failureCard,
  helpCard,
  historyCard,
  planCard,
  planCardForRun,
  progressCard,
  readinessCard,
  runnersCard,
  statusCard,
  stepResultCard,
  summaryCard,
  packageChangeCard,
  packagesCard,
  versionsCard,
  type CardModels,
  type CardTemplateName,
} from '../../src/cards/index.js';
import type { Translator } from '../../src/i18n/index.js';
import { fleetRow, type FleetRow } from '../../src/fleet/versions.js';
import { APPROVAL, CATALOG, PACKAGE_CHANGE, RUNNERS_WITH_FACTS } from './fleet-fixtures.js';
import type { Plan } from '../../src/procedure/index.js';
import type { RunRecord, StepRecord } from '../../src/store/types.js';
import {
  at,
  awaitingRun,
  baseRun,
  CAROL,
  failedRun,
  nowAt,
  RUNNERS,
  runningRun,
  succeededRun,
} from './fixtures.js';

/** One model per template built from a real plan, the way the bot builds them. */
export function modelsFor(plan: Plan, t: Translator): { [N in CardTemplateName]: CardModels[N] } {
  const failed = failedRun(plan);
  const failedStep = failed.steps[12]!;
  const rejected = baseRun(plan, {
    id: 9,
    status: 'rejected',
    endedAt: at(1),
    decisions: [{ by: CAROL, decision: 'rejected', at: at(1), reason: 'Outside the change window' }],
  });
  return {
    plan: planCardForRun(
      awaitingRun(plan),
      { showApproval: true, refreshUserIds: ['29:bob', '29:carol'] },
      t,
    ),
    progress: progressCard(runningRun(plan), nowAt(19), t, { refreshUserIds: ['29:alice'] }),
    'step-result': stepResultCard(failed, failedStep, t),
    failure: failureCard(failed, failedStep, nowAt(22), t, { refreshUserIds: ['29:alice', '29:bob'] }),
    summary: summaryCard(succeededRun(plan), t),
    help: helpCard(t),
    status: statusCard(
      [runningRun(plan), { ...awaitingRun(plan), id: 13, server: 'backend02' }],
      nowAt(19),
      t,
    ),
    history: historyCard([succeededRun(plan), rejected], t),
    runners: runnersCard(RUNNERS, nowAt(20), t),
    readiness: readinessCard(checkRun(plan, 'running'), t),
    versions: versionsCard(fleetRowsFor(plan), t),
    packages: packagesCard(CATALOG, [PACKAGE_CHANGE], t),
    'packages-change': packageChangeCard(PACKAGE_CHANGE, t, { refreshUserIds: ['29:bob', '29:carol'] }),
  };
}

/** Fleet rows for the versions card: behind with a last run, current, unknown. */
export function fleetRowsFor(plan: Plan): FleetRow[] {
  const runs = [succeededRun(plan)];
  return [
    fleetRow(RUNNERS_WITH_FACTS[0]!, CATALOG, runs[0]!),
    fleetRow(RUNNERS_WITH_FACTS[1]!, CATALOG, null),
    fleetRow(RUNNERS_WITH_FACTS[2]!, CATALOG, null),
  ];
}

/** A readiness check of the plan's prestage steps: running (half done), ready, or not ready. */
export function checkRun(plan: Plan, outcome: 'running' | 'ready' | 'not-ready'): RunRecord {
  const prestage = plan.steps.filter((s) => s.phase === 'prestage');
  const checkPlan = { ...plan, steps: prestage };
  const half = Math.floor(prestage.length / 2);
  const steps: StepRecord[] = prestage.map((s, i) => {
    const done = outcome === 'ready' || i < half;
    const failed = outcome === 'not-ready' && i === half;
    return {
      stepId: s.id,
      index: i,
      attempt: 1,
      status: failed
        ? 'failed'
        : done
          ? 'succeeded'
          : outcome === 'running' && i === half
            ? 'running'
            : 'pending',
      ...(done ? { stdout: `${s.id} ok\nchecked`, startedAt: at(1), endedAt: at(2) } : {}),
      ...(failed ? { errorExcerpt: 'Another management shell is open (PID 4242).', endedAt: at(3) } : {}),
    };
  });
  const status = outcome === 'running' ? 'running' : outcome === 'ready' ? 'succeeded' : 'aborted';
  return baseRun(checkPlan, {
    kind: 'check',
    status,
    approvalsRequired: 0,
    startedAt: at(1),
    endedAt: outcome === 'running' ? null : at(4),
    steps,
  });
}

/** Further variations each template must also render cleanly. */
export function variationsFor(plan: Plan, t: Translator): { [N in CardTemplateName]?: CardModels[N][] } {
  const running = runningRun(plan);
  return {
    plan: [
      planCard(plan, {}, t),
      planCardForRun(baseRun(plan), { showConfirm: true }, t),
      planCardForRun(succeededRun(plan), {}, t),
    ],
    progress: [
      progressCard(baseRun(plan, { status: 'queued' }), nowAt(4), t),
      progressCard(succeededRun(plan), nowAt(30), t),
    ],
    'step-result': [stepResultCard(running, running.steps[0]!, t)],
    failure: [failureCard(failedRun(plan), failedRun(plan).steps[12]!, nowAt(40), t, { showActions: false })],
    summary: [summaryCard(baseRun(plan, { status: 'cancelled', endedAt: at(2) }), t)],
    help: [helpCard(t, 'update'), helpCard(t, 'runners')],
    status: [statusCard([], nowAt(0), t)],
    history: [
      historyCard([], t, { server: 'backend01' }),
      historyCard([succeededRun(plan)], t, {
        server: 'backend01',
        prediction: { samples: 3, medianMs: 540_000, worstMs: 840_000 },
      }),
    ],
    runners: [runnersCard([], nowAt(0), t), runnersCard(RUNNERS_WITH_FACTS, nowAt(0), t)],
    versions: [versionsCard([], t)],
    packages: [packagesCard([], [], t)],
    'packages-change': [
      packageChangeCard({ ...PACKAGE_CHANGE, status: 'applied', decisions: [APPROVAL] }, t),
      packageChangeCard({ ...PACKAGE_CHANGE, status: 'rejected', action: 'remove' }, t),
    ],
    readiness: [readinessCard(checkRun(plan, 'ready'), t), readinessCard(checkRun(plan, 'not-ready'), t)],
  };
}
