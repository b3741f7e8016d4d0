import type { Views } from '../dialogs/views.js';
import type { Translator } from '../i18n/index.js';
import type { Person, RunRecord } from '../store/types.js';
import { failureCard } from './failure.js';
import { helpCard } from './help.js';
import { packageChangeCard, packagesCard, versionsCard } from './fleet.js';
import { historyCard, runnersCard, statusCard } from './lists.js';
import { planCard, planCardForRun } from './plan.js';
import { progressCard } from './progress.js';
import { readinessCard } from './readiness.js';
import { renderCard } from './render.js';
import { stepResultCard } from './step-result.js';
import { summaryCard } from './summary.js';

export interface ViewOptions {
  now?: () => Date;
  /**
   * Teams user ids (or AAD object ids) of the approvers, from the policy. When given (and not
   * '*'), the shared card leaves Approve / Reject out and Teams fetches a user-specific view with
   * them for these users only (refresh.userIds). Without it everyone sees the buttons and the
   * handlers refuse whoever may not approve.
   */
  approverIds?: readonly string[];
  /** A runner silent this long counts as offline on the runners card. */
  runnerOfflineAfterMs?: number;
  /** IANA zone for times on cards; UTC by default. */
  timeZone?: string;
}

function samePerson(a: Person, b: Person): boolean {
  return a.id === b.id || (!!a.aadObjectId && a.aadObjectId === b.aadObjectId);
}

/** The Views the dialogs and the presenter use, over the templates in cards/. */
export function createViews(options: ViewOptions = {}): Views {
  const now = options.now ?? (() => new Date());
  const timeZone = options.timeZone;
  const approvers = (options.approverIds ?? []).filter((id) => id !== '*');
  const isApprover = (p: Person) =>
    approvers.includes(p.id) || (!!p.aadObjectId && approvers.includes(p.aadObjectId));
  const approverUserIds = approvers.filter((id) => id.startsWith('29:'));

  function runCard(run: RunRecord, t: Translator, viewer?: Person) {
    // A readiness check (`check <server>`) has one card from start to end, with no actions.
    if (run.kind === 'check') return renderCard('readiness', readinessCard(run, t, { timeZone }));
    if (run.status === 'planned') {
      const showConfirm = !viewer || samePerson(viewer, run.requestedBy);
      return renderCard('plan', planCardForRun(run, { showConfirm, timeZone }, t));
    }
    if (run.status === 'awaiting-approval') {
      const targeted = approverUserIds.length > 0;
      const showApproval = viewer
        ? !samePerson(viewer, run.requestedBy) && (!targeted || isApprover(viewer))
        : !targeted;
      const refreshUserIds = targeted ? approverUserIds : undefined;
      return renderCard('plan', planCardForRun(run, { showApproval, refreshUserIds, timeZone }, t));
    }
    if (run.startedAt === null && run.status !== 'queued') {
      return renderCard('plan', planCardForRun(run, { timeZone }, t));
    }
    return renderCard('progress', progressCard(run, now(), t, { timeZone }));
  }

  return {
    preview: (plan, t) => renderCard('plan', planCard(plan, { timeZone }, t)),
    runCard,
    stepReply: (run, step, t) => renderCard('step-result', stepResultCard(run, step, t)),
    failure: (run, step, t) => renderCard('failure', failureCard(run, step, now(), t, { timeZone })),
    summary: (run, t) => renderCard('summary', summaryCard(run, t, { timeZone })),
    help: (t, topic) => renderCard('help', helpCard(t, topic)),
    status: (runs, t) => renderCard('status', statusCard(runs, now(), t, { timeZone })),
    history: (runs, t, server, prediction) =>
      renderCard('history', historyCard(runs, t, { timeZone, server, prediction })),
    versions: (rows, t) => renderCard('versions', versionsCard(rows, t, { timeZone })),
    packages: (packages, pending, t) =>
      renderCard('packages', packagesCard(packages, pending, t, { timeZone })),
    packageChange: (change, t, viewer) => {
      // Same rule as run approvals: the proposer never sees the buttons; with approvers named
      // by Teams id, only they get a view with them (refresh.userIds).
      const targeted = approverUserIds.length > 0;
      const showApproval = viewer
        ? !samePerson(viewer, change.proposedBy) && (!targeted || isApprover(viewer))
        : !targeted;
      return renderCard(
        'packages-change',
        packageChangeCard(change, t, {
          timeZone,
          showApproval,
          refreshUserIds: targeted ? approverUserIds : undefined,
        }),
      );
    },
    runners: (runners, t) =>
      renderCard(
        'runners',
        runnersCard(runners, now(), t, { timeZone, offlineAfterMs: options.runnerOfflineAfterMs }),
      ),
  };
}
