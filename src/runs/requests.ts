import { randomUUID } from 'node:crypto';
import { planUpdate, type Plan, type ServerProfile, type UpdateRequest } from '../procedure/index.js';
import { closest } from '../commands/index.js';
import type { RunnerRecord } from '../store/store.js';
import { ACTIVE_STATUSES, type Person, type RunRecord } from '../store/types.js';
import { personRef, refuse, type Outcome, type Refusal, type RunContext } from './context.js';
import { mayRequest, nextAllowedTime, poolOf, windowsFor } from './policy.js';

export interface RequestInput {
  request: UpdateRequest;
  requester: Person;
  conversationId: string;
  locale: string;
}

/** The registered runner for a server, with the profile it last reported. */
export function runnerFor(
  ctx: RunContext,
  server: string,
): (RunnerRecord & { info: NonNullable<RunnerRecord['info']> }) | null {
  const runner = ctx.store.runners().find((r) => r.server === server && r.info !== null);
  return runner ? (runner as RunnerRecord & { info: NonNullable<RunnerRecord['info']> }) : null;
}

function unknownServer(ctx: RunContext, server: string) {
  const known = [...new Set(ctx.store.runners().map((r) => r.server))].sort();
  const suggestion = closest(server, known);
  return refuse(suggestion ? 'bot.unknown-server.suggest' : 'bot.unknown-server', {
    server,
    servers: known.join(', ') || '-',
    suggestion: suggestion ?? '',
  });
}

/** Plans an update for preview (`plan`) without creating anything. */
export function previewPlan(
  ctx: RunContext,
  request: UpdateRequest,
): Outcome<{ plan: Plan; profile: ServerProfile }> {
  const runner = runnerFor(ctx, request.server);
  if (!runner) return unknownServer(ctx, request.server);
  const planned = planUpdate(request, runner.info.profile);
  if (!planned.ok) return refuse(`error.${planned.error.code}`, planned.error.params);
  return { ok: true, value: { plan: planned.value, profile: runner.info.profile } };
}

/** A run that blocks another on the same server (or pool), if any. */
export function blockingRun(ctx: RunContext, server: string, exceptRunId?: number): Outcome<null> {
  const live = ctx.store.liveRuns().filter((r) => r.id !== exceptRunId && ACTIVE_STATUSES.includes(r.status));
  const same = live.find((r) => r.server === server);
  if (same) return refuse('bot.run-exists', { server, runId: same.id, status: same.status });
  const pool = poolOf(ctx.deps.policy, server);
  if (pool) {
    const busy = live.filter((r) => pool.servers.includes(r.server));
    if (busy.length >= pool.maxConcurrentRuns) {
      return refuse('bot.pool-busy', {
        pool: pool.name,
        limit: pool.maxConcurrentRuns,
        runs: busy.map((r) => `#${r.id}`).join(', '),
      });
    }
  }
  return { ok: true, value: null };
}

/** A run for a server whose runner went silent would sit queued: say so instead. */
function offlineRefusal(ctx: RunContext, server: string): Outcome<null> {
  const runner = runnerFor(ctx, server);
  const lastSeen = runner?.lastSeenAt ? Date.parse(runner.lastSeenAt) : 0;
  if (ctx.deps.now().getTime() - lastSeen <= ctx.deps.heartbeatTimeoutMs) return { ok: true, value: null };
  return refuse('bot.runner-offline', { server, lastSeen: runner?.lastSeenAt ?? '-' });
}

export function windowRefusal(ctx: RunContext, server: string): Outcome<null> {
  const next = nextAllowedTime(ctx.deps.policy, server, ctx.deps.now());
  if (!next) return { ok: true, value: null };
  const windows = windowsFor(ctx.deps.policy, server);
  return {
    ok: false,
    refusal: { key: 'bot.maintenance-window', params: { server, next: next.toISOString() }, windows },
  };
}

/** The audit log's name for why a request or a confirmation was refused, by the refusal's message key. */
const REFUSAL_REASONS: Readonly<Record<string, string>> = {
  'bot.not-allowed.request': 'not-requester',
  'bot.unknown-server': 'unknown-server',
  'bot.unknown-server.suggest': 'unknown-server',
  'bot.runner-offline': 'runner-offline',
  'bot.run-exists': 'run-exists',
  'bot.pool-busy': 'pool-busy',
  'bot.maintenance-window': 'maintenance-window',
};

export function refusalReason(refusal: Refusal): string {
  return REFUSAL_REASONS[refusal.key] ?? 'invalid-request';
}

/** Every refused `update` is audited: who asked for which server, and why not. */
async function refuseRequest(
  ctx: RunContext,
  input: RequestInput,
  refused: { ok: false; refusal: Refusal },
): Promise<{ ok: false; refusal: Refusal }> {
  await ctx.audit({
    action: 'refuse',
    actor: personRef(input.requester),
    server: input.request.server,
    conversationId: input.conversationId,
    detail: { why: refusalReason(refused.refusal), attempted: 'request', key: refused.refusal.key },
  });
  return refused;
}

/** `update`: checks rights, server, plan, one-run-per-server and the window, then records a planned run. */
export async function requestUpdate(ctx: RunContext, input: RequestInput): Promise<Outcome<RunRecord>> {
  const { requester, request } = input;
  if (!mayRequest(ctx.deps.policy, requester))
    return refuseRequest(ctx, input, refuse('bot.not-allowed.request'));
  const preview = previewPlan(ctx, request);
  if (!preview.ok) return refuseRequest(ctx, input, preview);
  for (const check of [
    () => offlineRefusal(ctx, request.server),
    () => blockingRun(ctx, request.server),
    () => windowRefusal(ctx, request.server),
  ]) {
    const outcome = check();
    if (!outcome.ok) return refuseRequest(ctx, input, outcome);
  }

  const { plan, profile } = preview.value;
  const now = ctx.nowIso();
  const run: RunRecord = {
    id: await ctx.store.nextRunId(),
    server: plan.request.server,
    product: profile.product,
    edition: plan.request.edition,
    plan,
    status: 'planned',
    requestedBy: personRef(requester),
    requestedAt: now,
    conversationId: input.conversationId,
    locale: input.locale,
    approvalsRequired: ctx.deps.policy.approvalsRequired,
    decisions: [],
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
  await ctx.auditRun(run, 'request', personRef(requester), { request: plan.request });
  await ctx.store.saveRun(run);
  return { ok: true, value: run };
}
