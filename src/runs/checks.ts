import { randomUUID } from 'node:crypto';
import { planUpdate } from '../procedure/index.js';
import type { Person, RunRecord } from '../store/types.js';
import { personRef, refuse, type Outcome, type Refusal, type RunContext } from './context.js';
import { packageFor, reportedEdition, resolveRequest } from './planning.js';
import { mayRequest } from './policy.js';
import { blockingRun, offlineRefusal, refusalReason, runnerFor, unknownServer } from './requests.js';

export interface CheckInput {
  server: string;
  requester: Person;
  conversationId: string;
  locale: string;
}

async function refuseCheck(
  ctx: RunContext,
  input: CheckInput,
  refused: { ok: false; refusal: Refusal },
): Promise<{ ok: false; refusal: Refusal }> {
  await ctx.audit({
    action: 'refuse',
    actor: personRef(input.requester),
    server: input.server,
    conversationId: input.conversationId,
    detail: { why: refusalReason(refused.refusal), attempted: 'check', key: refused.refusal.key },
  });
  return refused;
}

/**
 * `check <server>`: records a check run of the steps before downtime (prestage), for the
 * server's reported edition. It needs the requester permission and a free server (one run per
 * server), but no confirmation or approval: nothing is stopped. The run stays 'planned' until
 * startCheck, so the readiness card is in the chat before the first result can update it.
 */
export async function requestCheck(ctx: RunContext, input: CheckInput): Promise<Outcome<RunRecord>> {
  if (!mayRequest(ctx.deps.policy, input.requester))
    return refuseCheck(ctx, input, refuse('bot.not-allowed.request'));
  const runner = runnerFor(ctx, input.server);
  if (!runner) return refuseCheck(ctx, input, unknownServer(ctx, input.server));
  const pkg = packageFor(ctx, runner);
  if (!pkg)
    return refuseCheck(
      ctx,
      input,
      refuse('update.no-package', { server: runner.server, product: runner.info.profile.product }),
    );
  for (const check of [() => offlineRefusal(ctx, runner.server), () => blockingRun(ctx, runner.server)]) {
    const outcome = check();
    if (!outcome.ok) return refuseCheck(ctx, input, outcome);
  }
  // The edition as reported; a server that reported none is checked as Standard Edition
  // (the Enterprise-only SQL checks are then left out, and the card lists what ran).
  const resolved = resolveRequest(
    { server: runner.server, edition: reportedEdition(runner) ?? 'standard' },
    runner,
  );
  if (!resolved.ok) return refuseCheck(ctx, input, resolved);
  const planned = planUpdate(resolved.value, { ...runner.info.profile, package: pkg });
  if (!planned.ok)
    return refuseCheck(ctx, input, refuse(`error.${planned.error.code}`, planned.error.params));
  const plan = planned.value;
  // Only what runs before downtime: the job cannot name a step that stops anything.
  plan.steps = plan.steps.filter((s) => s.phase === 'prestage');
  const now = ctx.nowIso();
  const run: RunRecord = {
    id: await ctx.store.nextRunId(),
    kind: 'check',
    server: runner.server,
    product: runner.info.profile.product,
    edition: plan.request.edition,
    plan,
    status: 'planned',
    requestedBy: personRef(input.requester),
    requestedAt: now,
    conversationId: input.conversationId,
    locale: input.locale,
    approvalsRequired: 0,
    decisions: [],
    // A check that never started (the bot stopped in between) expires like an unconfirmed plan.
    expiresAt: new Date(
      ctx.deps.now().getTime() + ctx.deps.policy.approvalExpiryMinutes * 60_000,
    ).toISOString(),
    attempt: 1,
    jobKey: randomUUID(),
    steps: plan.steps.map((s) => ({ stepId: s.id, index: s.index - 1, status: 'pending', attempt: 1 })),
    startedAt: null,
    endedAt: null,
    downtimeStartedAt: null,
    downtimeEndedAt: null,
    cancelRequested: null,
    cardActivityId: null,
  };
  await ctx.auditRun(run, 'check', personRef(input.requester), {
    package: pkg.version,
    steps: plan.steps.length,
  });
  await ctx.store.saveRun(run);
  return { ok: true, value: run };
}

/** Queues a check recorded by requestCheck (once its card is shown); only its requester's turn does this. */
export async function startCheck(ctx: RunContext, runId: number): Promise<Outcome<RunRecord>> {
  const run = ctx.store.getRun(runId);
  if (!run || run.kind !== 'check' || run.status !== 'planned') return refuse('bot.run-not-found', { runId });
  const blocked = blockingRun(ctx, run.server, run.id);
  if (!blocked.ok) {
    await ctx.setStatus(run, 'cancelled');
    return blocked;
  }
  await ctx.setStatus(run, 'queued', { expiresAt: null });
  return { ok: true, value: run };
}
