import type { StepResult } from '../protocol/messages.js';
import { FINAL_STATUSES, type RunRecord, type RunStatus, type StepRecord } from '../store/types.js';
import type { RunnerRecord } from '../store/store.js';
import { AuditedResults } from './audited-results.js';
import type { RunChange, RunContext } from './context.js';

const DOWNTIME_WARNINGS_MIN = [20, 30];

/** The run's status once `result` is in. */
function statusAfter(run: RunRecord, result: StepResult): RunStatus {
  const last = result.index === run.steps.length - 1;
  switch (result.status) {
    case 'succeeded':
    case 'skipped':
      // After an installer that asks for a restart the runner stops; a human restarts the server
      // and retries from the next step.
      if (result.rebootRequired && !last) return 'failed';
      return last ? 'succeeded' : 'running';
    case 'failed':
    case 'timed-out':
      return 'failed';
    case 'interrupted':
      return 'interrupted';
    case 'cancelled':
      return 'cancelled';
  }
}

/**
 * A readiness check that found a problem has done its job: it ends (aborted, with the failed
 * step on its card) instead of waiting for Retry / Abort and holding the server.
 */
function forRun(run: RunRecord, status: RunStatus): RunStatus {
  return run.kind === 'check' && (status === 'failed' || status === 'interrupted') ? 'aborted' : status;
}

/** Records one step result from the runner and moves the run on. Idempotent per (run, step, attempt). */
export async function applyResult(
  ctx: RunContext,
  run: RunRecord,
  result: StepResult,
  runnerId: string,
): Promise<'accepted' | 'duplicate' | 'forbidden'> {
  const step = run.steps[result.index];
  if (!step || step.stepId !== result.stepId) return 'forbidden';
  const settled = !['pending', 'running'].includes(step.status);
  if (result.attempt !== run.attempt || (settled && step.attempt === result.attempt)) return 'duplicate';
  if (
    !['queued', 'running', 'interrupted'].includes(run.status) &&
    !(run.status === 'cancelled' && result.status === 'cancelled')
  ) {
    return 'duplicate';
  }

  Object.assign(step, {
    status: result.status,
    attempt: result.attempt,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    durationMs: result.durationMs,
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    errorExcerpt: result.errorExcerpt,
    notice: result.declined
      ? { key: 'run.declined', params: { server: run.server, code: result.declined } }
      : undefined,
  } satisfies Partial<StepRecord>);
  if (run.startedAt === null) run.startedAt = result.startedAt;
  if (result.stepId === run.plan.downtimeStartsAt) run.downtimeStartedAt ??= result.startedAt;
  if (result.stepId === run.plan.downtimeEndsAfter && result.status === 'succeeded')
    run.downtimeEndedAt = result.endedAt;

  // Audited before the save: a crash in between leaves a result the runner sends again, which
  // the audit then recognises (a crash after the save could lose the audit instead).
  const audited = AuditedResults.key(run.id, result.stepId, result.attempt);
  if (!(await ctx.auditedResults.has(audited))) {
    await ctx.auditRun(
      run,
      'step-result',
      { runnerId },
      { step: result.stepId, status: result.status, attempt: result.attempt, exitCode: result.exitCode },
    );
    await ctx.auditedResults.add(audited);
  }

  // The result and where it takes the run are saved in one write with their messages: saved
  // apart, a crash between them would leave a run whose last result is in but which never ends.
  const changes: RunChange[] = [{ kind: 'step', step }];
  const next = forRun(run, statusAfter(run, result));
  if (next === 'failed' && result.rebootRequired && ['succeeded', 'skipped'].includes(result.status))
    step.rebootRequired = true;
  // A result for a step before the one cut off (delivered late, e.g. by a restarted runner)
  // fills in that step; the run stays interrupted for a human to decide.
  const cutOffLater =
    run.status === 'interrupted' && run.steps.some((s) => s.status === 'interrupted' && s.index > step.index);
  if (next !== run.status && !cutOffLater) changes.push(ctx.changeStatus(run, next));
  await ctx.commit(run, changes);
  if (FINAL_STATUSES.includes(run.status)) await ctx.auditedResults.forgetRun(run.id);
  return 'accepted';
}

/**
 * Periodic housekeeping: expire undecided runs, mark runs interrupted whose runner went silent,
 * and warn about downtime at 20 and 30 minutes. `startedAt` is when this bot process started:
 * a runner cannot have been heard while the bot was down, so silence counts from then.
 */
export async function sweep(ctx: RunContext, startedAt: Date): Promise<void> {
  const now = ctx.deps.now();
  const runnerOf = new Map<string, RunnerRecord>();
  for (const runner of ctx.store.runners())
    if (!runnerOf.has(runner.server)) runnerOf.set(runner.server, runner);
  for (const run of ctx.store.liveRuns()) {
    if (
      ['planned', 'awaiting-approval'].includes(run.status) &&
      run.expiresAt &&
      new Date(run.expiresAt) <= now
    ) {
      await ctx.auditRun(run, 'expire', { system: true });
      await ctx.setStatus(run, 'expired');
      continue;
    }
    if (run.status === 'running') {
      const runner = runnerOf.get(run.server);
      const heard = Math.max(runner?.lastSeenAt ? Date.parse(runner.lastSeenAt) : 0, startedAt.getTime());
      if (now.getTime() - heard > ctx.deps.heartbeatTimeoutMs) {
        // The step the runner was on; if no heartbeat named it yet, the next one it would have
        // run. Either way the failure card (Retry / Abort) needs a step to show.
        // The runner moves on before an earlier step's result has reached the bot (its outbox
        // delivers in the background), so the step it was on is the last one marked running.
        const current =
          run.steps.filter((s) => s.status === 'running').at(-1) ??
          run.steps.find((s) => s.status === 'pending');
        if (current) current.status = 'interrupted';
        await ctx.auditRun(run, 'interrupted', { system: true }, { step: current?.stepId ?? null });
        await ctx.setStatus(run, forRun(run, 'interrupted'));
        continue;
      }
    }
    if (run.status === 'queued') {
      const since = Math.max(Date.parse(run.queuedAt ?? '') || 0, startedAt.getTime());
      if (now.getTime() - since > ctx.deps.heartbeatTimeoutMs) {
        await failNotPickedUp(ctx, run, runnerOf.get(run.server));
        continue;
      }
    }
    await warnAboutDowntime(ctx, run, now);
  }
}

/**
 * A queued run no runner took within the heartbeat timeout (runner stopped, unreachable, or
 * declining without a word): it fails where everyone sees it, with Retry / Abort, instead of
 * waiting in silence. The step it would have started with carries the reason.
 */
async function failNotPickedUp(ctx: RunContext, run: RunRecord, runner: RunnerRecord | undefined) {
  const step = run.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
  const lastSeen = runner?.lastSeenAt ?? null;
  await ctx.auditRun(run, 'not-picked-up', { system: true }, { runnerId: runner?.id ?? null, lastSeen });
  const changes: RunChange[] = [];
  if (step) {
    Object.assign(step, {
      status: 'failed',
      attempt: run.attempt,
      startedAt: undefined,
      endedAt: ctx.nowIso(),
      errorExcerpt: null,
      notice: {
        key: 'run.not-picked-up',
        params: { server: run.server, timeoutMs: ctx.deps.heartbeatTimeoutMs, lastSeen: lastSeen ?? '' },
      },
    } satisfies Partial<StepRecord>);
    changes.push({ kind: 'step', step });
  }
  changes.push(ctx.changeStatus(run, forRun(run, 'failed')));
  await ctx.commit(run, changes);
}

async function warnAboutDowntime(ctx: RunContext, run: RunRecord, now: Date): Promise<void> {
  if (
    !run.downtimeStartedAt ||
    run.downtimeEndedAt ||
    !['running', 'failed', 'interrupted'].includes(run.status)
  )
    return;
  const minutes = (now.getTime() - Date.parse(run.downtimeStartedAt)) / 60_000;
  const due = DOWNTIME_WARNINGS_MIN.filter((m) => minutes >= m && !(run.downtimeWarnings ?? []).includes(m));
  if (due.length === 0) return;
  run.downtimeWarnings = [...(run.downtimeWarnings ?? []), ...due];
  await ctx.commit(run, { kind: 'downtime-warning', minutes: Math.max(...due) });
}
