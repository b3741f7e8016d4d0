import { resumeIndex } from '../procedure/index.js';
import type { Person, RunRecord, RunStatus } from '../store/types.js';
import { personRef, refuse, sameConversation, type Outcome, type RunContext } from './context.js';
import { mayApprove, mayRequest, samePerson } from './policy.js';
import { blockingRun, refusalReason, versionRecheck, windowRefusal } from './requests.js';

export interface Actor {
  person: Person;
  conversationId: string;
}

/** Finds the run an action names, refusing (and auditing) runs of other conversations and stale states. */
async function load(
  ctx: RunContext,
  runId: unknown,
  actor: Actor,
  action: string,
  allowed: RunStatus[],
): Promise<Outcome<RunRecord>> {
  const id = typeof runId === 'number' && Number.isSafeInteger(runId) ? runId : NaN;
  const run = Number.isNaN(id) ? undefined : await ctx.store.findRun(id);
  if (!run || !sameConversation(run.conversationId, actor.conversationId)) {
    await ctx.audit({
      action: 'refuse',
      actor: personRef(actor.person),
      conversationId: actor.conversationId,
      detail: { why: 'run-not-found', attempted: action, runId: String(runId).slice(0, 40) },
    });
    return refuse('bot.run-not-found', { runId: Number.isNaN(id) ? '?' : id });
  }
  if (!allowed.includes(run.status)) {
    await ctx.audit({
      action: 'refuse',
      actor: personRef(actor.person),
      runId: run.id,
      server: run.server,
      conversationId: actor.conversationId,
      detail: { why: 'stale', attempted: action, status: run.status },
    });
    return refuse('bot.card-stale', { runId: run.id, status: run.status });
  }
  return { ok: true, value: run };
}

async function auditRefusal(
  ctx: RunContext,
  run: RunRecord,
  actor: Actor,
  attempted: string,
  why: string,
): Promise<void> {
  await ctx.audit({
    action: 'refuse',
    actor: personRef(actor.person),
    runId: run.id,
    server: run.server,
    conversationId: actor.conversationId,
    detail: { why, attempted },
  });
}

async function refuseAudited(
  ctx: RunContext,
  run: RunRecord,
  actor: Actor,
  attempted: string,
  why: string,
  key: string,
  params: Record<string, string | number> = {},
) {
  await auditRefusal(ctx, run, actor, attempted, why);
  return refuse(key, params);
}

function isExpired(ctx: RunContext, run: RunRecord): boolean {
  return run.expiresAt !== null && new Date(run.expiresAt) <= ctx.deps.now();
}

/** The click came too late: the run expires now, and the click is audited as refused. */
async function expire(
  ctx: RunContext,
  run: RunRecord,
  actor: Actor,
  attempted: string,
): Promise<Outcome<RunRecord>> {
  await auditRefusal(ctx, run, actor, attempted, 'expired');
  await ctx.auditRun(run, 'expire', { system: true });
  await ctx.setStatus(run, 'expired');
  return refuse('bot.card-stale', { runId: run.id, status: run.status });
}

/** Confirm on the plan card: only the requester; then approval or the queue. */
export async function confirmRun(ctx: RunContext, runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
  const loaded = await load(ctx, runId, actor, 'confirm', ['planned']);
  if (!loaded.ok) return loaded;
  const run = loaded.value;
  if (!samePerson(run.requestedBy, actor.person))
    return refuseAudited(ctx, run, actor, 'confirm', 'not-requester', 'bot.not-own-plan', {
      name: run.requestedBy.name,
    });
  if (isExpired(ctx, run)) return expire(ctx, run, actor, 'confirm');
  // Checked again: another run may have started (or updated the server) since the plan card was shown.
  for (const check of [
    blockingRun(ctx, run.server, run.id),
    windowRefusal(ctx, run.server),
    versionRecheck(ctx, run),
  ]) {
    if (!check.ok) {
      await auditRefusal(ctx, run, actor, 'confirm', refusalReason(check.refusal));
      return check;
    }
  }
  await ctx.auditRun(run, 'confirm', personRef(actor.person));
  if (run.approvalsRequired > 0) {
    const expiresAt = new Date(
      ctx.deps.now().getTime() + ctx.deps.policy.approvalExpiryMinutes * 60_000,
    ).toISOString();
    await ctx.setStatus(run, 'awaiting-approval', { expiresAt });
  } else {
    await ctx.setStatus(run, 'queued', { expiresAt: null });
  }
  return { ok: true, value: run };
}

/** Cancel on the plan card before confirming. */
export async function dismissPlan(
  ctx: RunContext,
  runId: unknown,
  actor: Actor,
): Promise<Outcome<RunRecord>> {
  const loaded = await load(ctx, runId, actor, 'dismiss', ['planned']);
  if (!loaded.ok) return loaded;
  const run = loaded.value;
  if (!samePerson(run.requestedBy, actor.person))
    return refuseAudited(ctx, run, actor, 'dismiss', 'not-requester', 'bot.not-own-plan', {
      name: run.requestedBy.name,
    });
  await ctx.auditRun(run, 'cancel', personRef(actor.person), { before: 'confirm' });
  await ctx.setStatus(run, 'cancelled', { expiresAt: null });
  return { ok: true, value: run };
}

/** Approve or reject: approvers only, never the requester, once per person. */
export async function decideRun(
  ctx: RunContext,
  runId: unknown,
  actor: Actor,
  decision: 'approved' | 'rejected',
  reason?: string,
): Promise<Outcome<RunRecord>> {
  const attempted = decision === 'approved' ? 'approve' : 'reject';
  const loaded = await load(ctx, runId, actor, attempted, ['awaiting-approval']);
  if (!loaded.ok) return loaded;
  const run = loaded.value;
  if (samePerson(run.requestedBy, actor.person))
    return refuseAudited(ctx, run, actor, attempted, 'self-approval', 'bot.self-approval');
  if (!mayApprove(ctx.deps.policy, actor.person))
    return refuseAudited(ctx, run, actor, attempted, 'not-approver', 'bot.not-allowed.approve');
  if (isExpired(ctx, run)) return expire(ctx, run, actor, attempted);
  if (run.decisions.some((d) => samePerson(d.by, actor.person))) {
    return refuseAudited(ctx, run, actor, attempted, 'already-decided', 'bot.already-decided', {
      runId: run.id,
    });
  }
  const entry = {
    by: personRef(actor.person),
    decision,
    at: ctx.nowIso(),
    reason: reason?.slice(0, 500) || undefined,
  };
  run.decisions.push(entry);
  await ctx.auditRun(
    run,
    attempted,
    personRef(actor.person),
    entry.reason ? { reason: entry.reason } : undefined,
  );
  if (decision === 'rejected') {
    await ctx.setStatus(run, 'rejected', { expiresAt: null });
  } else if (run.decisions.filter((d) => d.decision === 'approved').length >= run.approvalsRequired) {
    await ctx.setStatus(run, 'queued', { expiresAt: null });
  } else {
    await ctx.commit(run, { kind: 'decision', decision: entry });
  }
  return { ok: true, value: run };
}

/** `cancel #n`: immediate before the runner has it, otherwise between steps. */
export async function cancelRun(ctx: RunContext, runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
  const loaded = await load(ctx, runId, actor, 'cancel', [
    'planned',
    'awaiting-approval',
    'queued',
    'running',
  ]);
  if (!loaded.ok) return loaded;
  const run = loaded.value;
  if (!mayRequest(ctx.deps.policy, actor.person))
    return refuseAudited(ctx, run, actor, 'cancel', 'not-requester', 'bot.not-allowed.request');
  await ctx.auditRun(run, 'cancel', personRef(actor.person), { status: run.status });
  if (run.status === 'running') {
    run.cancelRequested = { by: personRef(actor.person), at: ctx.nowIso() };
    await ctx.commit(run, { kind: 'cancel-requested' });
  } else {
    await ctx.setStatus(run, 'cancelled', { expiresAt: null });
  }
  return { ok: true, value: run };
}

/** Retry step on a failed or interrupted run; unsafe steps need the "I have checked the server" box. */
export async function retryRun(
  ctx: RunContext,
  runId: unknown,
  actor: Actor,
  checked: boolean,
): Promise<Outcome<RunRecord>> {
  const loaded = await load(ctx, runId, actor, 'retry', ['failed', 'interrupted']);
  if (!loaded.ok) return loaded;
  const run = loaded.value;
  if (!mayRequest(ctx.deps.policy, actor.person))
    return refuseAudited(ctx, run, actor, 'retry', 'not-requester', 'bot.not-allowed.request');
  // An installer that asked for a restart succeeded; the run resumes after the restart from where
  // the Cs services are stopped again (docs/steps.md, resumeIndex). Otherwise: the first open step.
  const rebootIndex = run.steps.findIndex((s) => s.rebootRequired === true);
  const failedIndex = rebootIndex >= 0 ? rebootIndex : run.steps.findIndex((s) => s.status !== 'succeeded');
  const failed = run.plan.steps[failedIndex];
  const from = failedIndex < 0 ? -1 : resumeIndex(run.plan, failedIndex, rebootIndex >= 0);
  const step = run.plan.steps[from];
  if (!failed || !step) return refuse('bot.card-stale', { runId: run.id, status: run.status });
  // A step that may have partly run (not retry-safe, or cut off) is looked at first, whether it is
  // the resume point or a later step that runs again from it (database.update resumes earlier).
  const failedUnsafe = run.steps[failedIndex]?.status !== 'succeeded' && !failed.retrySafe;
  const needsCheck = !step.retrySafe || failedUnsafe || run.status === 'interrupted';
  const checkStep = step.retrySafe && failedUnsafe ? failed : step;
  if (needsCheck && !checked)
    return refuseAudited(ctx, run, actor, 'retry', 'needs-check', 'bot.retry.needs-check', {
      step: checkStep.id,
      product: run.product,
    });
  run.attempt += 1;
  for (const s of run.steps) s.rebootRequired = undefined;
  for (const s of run.steps.slice(from))
    Object.assign(s, { status: 'pending', attempt: run.attempt, errorExcerpt: null });
  await ctx.auditRun(run, 'retry', personRef(actor.person), {
    step: failed.id,
    resumeAt: step.id,
    attempt: run.attempt,
    checked,
  });
  const queued = ctx.changeStatus(run, 'queued', { endedAt: null, cancelRequested: null });
  // Say so when Retry does not simply run the failed step again (resumeIndex moved the point).
  await ctx.commit(
    run,
    from === failedIndex ? queued : [queued, { kind: 'resume', failedAt: failedIndex, resumeAt: from }],
  );
  return { ok: true, value: run };
}

/** Abort a failed or interrupted run: nothing more runs; the server is left as it is. */
export async function abortRun(ctx: RunContext, runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
  const loaded = await load(ctx, runId, actor, 'abort', ['failed', 'interrupted']);
  if (!loaded.ok) return loaded;
  const run = loaded.value;
  if (!mayRequest(ctx.deps.policy, actor.person))
    return refuseAudited(ctx, run, actor, 'abort', 'not-requester', 'bot.not-allowed.request');
  await ctx.auditRun(run, 'abort', personRef(actor.person));
  await ctx.setStatus(run, 'aborted');
  return { ok: true, value: run };
}
