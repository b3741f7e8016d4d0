import type { StepResult } from '../protocol/messages.js';
import type { RunRecord, StepRecord } from '../store/types.js';
import type { RunContext } from './context.js';

const DOWNTIME_WARNINGS_MIN = [20, 30];

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
  } satisfies Partial<StepRecord>);
  if (run.startedAt === null) run.startedAt = result.startedAt;
  if (result.stepId === run.plan.downtimeStartsAt) run.downtimeStartedAt ??= result.startedAt;
  if (result.stepId === run.plan.downtimeEndsAfter && result.status === 'succeeded')
    run.downtimeEndedAt = result.endedAt;

  await ctx.audit({
    action: 'step-result',
    actor: { runnerId },
    runId: run.id,
    server: run.server,
    conversationId: run.conversationId,
    detail: {
      step: result.stepId,
      status: result.status,
      attempt: result.attempt,
      exitCode: result.exitCode,
    },
  });
  if (run.status === 'queued' || run.status === 'interrupted') await ctx.setStatus(run, 'running');
  await ctx.commit(run, { kind: 'step', step });

  const last = result.index === run.steps.length - 1;
  switch (result.status) {
    case 'succeeded':
    case 'skipped':
      if (result.rebootRequired && !last) {
        // The runner stops here; a human restarts the server and retries from the next step.
        step.rebootRequired = true;
        await ctx.setStatus(run, 'failed');
      } else if (last) {
        await ctx.setStatus(run, 'succeeded');
      }
      break;
    case 'failed':
    case 'timed-out':
      await ctx.setStatus(run, 'failed');
      break;
    case 'interrupted':
      await ctx.setStatus(run, 'interrupted');
      break;
    case 'cancelled':
      if (run.status !== 'cancelled') await ctx.setStatus(run, 'cancelled');
      break;
  }
  return 'accepted';
}

/**
 * Periodic housekeeping: expire undecided runs, mark runs interrupted whose runner went silent,
 * and warn about downtime at 20 and 30 minutes. `startedAt` is when this bot process started:
 * a runner cannot have been heard while the bot was down, so silence counts from then.
 */
export async function sweep(ctx: RunContext, startedAt: Date): Promise<void> {
  const now = ctx.deps.now();
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
      const runner = ctx.store.runners().find((r) => r.server === run.server);
      const heard = Math.max(runner?.lastSeenAt ? Date.parse(runner.lastSeenAt) : 0, startedAt.getTime());
      if (now.getTime() - heard > ctx.deps.heartbeatTimeoutMs) {
        const current = run.steps.find((s) => s.status === 'running');
        if (current) current.status = 'interrupted';
        await ctx.auditRun(run, 'interrupted', { system: true }, { step: current?.stepId ?? null });
        await ctx.setStatus(run, 'interrupted');
        continue;
      }
    }
    await warnAboutDowntime(ctx, run, now);
  }
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
