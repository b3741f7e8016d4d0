import type { Plan, StepId } from './types.js';

/**
 * Where Retry picks a run up after the step at `failedIndex` (0-based) failed or the server was
 * restarted (docs/steps.md, "Resume after a failure or a restart"). The point is not always the
 * failed step: a restart starts the Cs services again (and W3SVC with Windows), so every downtime
 * step between the first stop and the database update is resumed from where the services are
 * stopped again before anything else runs.
 */
export function resumeIndex(
  plan: Pick<Plan, 'steps'>,
  failedIndex: number,
  rebootRequested: boolean,
): number {
  const ids = plan.steps.map((s) => s.id);
  const at = (id: StepId) => ids.indexOf(id);
  const failed = ids[failedIndex];
  if (failed === undefined) return failedIndex;
  const stop = at('services.stop');
  const install = at('update.install');
  const reopen = at('shell.reopen');
  const database = at('database.update');
  // A plan without these steps (none in the catalog today) resumes at the failed step.
  if ([stop, install, reopen, database].some((i) => i < 0)) return failedIndex;
  if (failedIndex < stop || failedIndex > database) return failedIndex;
  if (failedIndex < install) return stop;
  if (failedIndex === install) return rebootRequested ? reopen : install;
  return reopen;
}
