import { randomUUID } from 'node:crypto';
import { predictedDowntimeFor } from '../fleet/downtime.js';
import { updateDecision, type UpdatePackage } from '../procedure/index.js';
import { closest } from '../commands/index.js';
import { ACTIVE_STATUSES, type Person, type RunRecord } from '../store/types.js';
import { personRef, refuse, type Outcome, type Refusal, type RunContext } from './context.js';
import {
  newestComponent,
  planWithFacts,
  type PlannedUpdate,
  type RegisteredRunner,
  type UpdateAsk,
} from './planning.js';
import { mayRequest, nextAllowedTime, poolOf, windowsFor } from './policy.js';

export interface RequestInput {
  request: UpdateAsk;
  requester: Person;
  conversationId: string;
  locale: string;
}

/** The registered runner for a server, with the profile it last reported. */
export function runnerFor(ctx: RunContext, server: string): RegisteredRunner | null {
  const runner = ctx.store.runners().find((r) => r.server === server && r.info !== null);
  return runner ? (runner as RegisteredRunner) : null;
}

/** The plan note that carries this server's predicted downtime (the plan card shows it in the downtime box). */
export const PREDICTED_DOWNTIME_NOTE = 'update.note.predicted-downtime';

/** How long a ready check counts for the plan card of a later update. */
export const CHECK_FRESH_MS = 60 * 60_000;

/** The newest succeeded check of this server and package, if it ended within CHECK_FRESH_MS. */
export async function freshCheck(
  ctx: RunContext,
  server: string,
  pkg: UpdatePackage | null,
): Promise<RunRecord | null> {
  if (!pkg) return null;
  const since = ctx.deps.now().getTime() - CHECK_FRESH_MS;
  const finished = await ctx.store.finishedRuns({ server, limit: 20 });
  const check = finished.find(
    (r) =>
      r.kind === 'check' &&
      r.status === 'succeeded' &&
      r.plan.package?.version === pkg.version &&
      r.plan.package.sha256 === pkg.sha256 &&
      r.endedAt !== null &&
      Date.parse(r.endedAt) >= since,
  );
  return check ?? null;
}

export function unknownServer(ctx: RunContext, server: string) {
  const known = [...new Set(ctx.store.runners().map((r) => r.server))].sort();
  const suggestion = closest(server, known);
  return refuse(suggestion ? 'bot.unknown-server.suggest' : 'bot.unknown-server', {
    server,
    servers: known.join(', ') || '-',
    suggestion: suggestion ?? '',
  });
}

/**
 * Plans an update from what was typed and the server's facts, without creating anything (`plan`,
 * and the first half of `update`). A fresh ready check of the same package is noted on the plan.
 */
export async function previewPlan(
  ctx: RunContext,
  ask: UpdateAsk,
  requester: Person | null = null,
): Promise<Outcome<PlannedUpdate>> {
  const runner = runnerFor(ctx, ask.server);
  if (!runner) return unknownServer(ctx, ask.server);
  const planned = planWithFacts(ctx, runner, ask, requester);
  if (!planned.ok) return planned;
  const { plan } = planned.value;
  const check = await freshCheck(ctx, runner.server, plan.package ?? null);
  if (check?.endedAt) {
    plan.notes = [
      ...(plan.notes ?? []),
      { key: 'update.note.checked-ready', params: { time: check.endedAt, runId: check.id } },
    ];
  }
  // This server's own past downtimes; without any, the card keeps the product's typical figure.
  const predicted = await predictedDowntimeFor(ctx.store, runner.server);
  if (predicted) {
    plan.notes = [
      ...(plan.notes ?? []),
      {
        key: PREDICTED_DOWNTIME_NOTE,
        params: { medianMs: predicted.medianMs, worstMs: predicted.worstMs, runs: predicted.samples },
      },
    ];
  }
  return planned;
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

/**
 * Checked again at Confirm: the server may have been updated (by another run) since the plan was
 * made. Nothing to do or a downgrade by now is refused, so no plan card takes a server down for nothing.
 */
export function versionRecheck(ctx: RunContext, run: RunRecord): Outcome<null> {
  const facts = runnerFor(ctx, run.server)?.facts;
  const pkg = run.plan.package;
  if (!facts || !pkg || run.kind === 'check') return { ok: true, value: null };
  let decision: ReturnType<typeof updateDecision>;
  try {
    decision = updateDecision(
      facts.installedVersion,
      facts.components,
      pkg.version,
      run.plan.request.force === true,
    );
  } catch {
    return { ok: true, value: null };
  }
  const installed = facts.installedVersion ?? '?';
  if (decision === 'nothing-to-do') return refuse('update.nothing-to-do', { server: run.server, installed });
  if (decision === 'downgrade') {
    const newest = newestComponent(facts);
    return refuse('update.downgrade', {
      server: run.server,
      installed: newest?.version ?? installed,
      component: newest?.name ?? '-',
      package: pkg.version,
    });
  }
  return { ok: true, value: null };
}

/** A run for a server whose runner went silent would sit queued: say so instead. */
export function offlineRefusal(ctx: RunContext, server: string): Outcome<null> {
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
  'update.nothing-to-do': 'nothing-to-do',
  'update.downgrade': 'downgrade',
  'update.force-not-allowed': 'force-not-approver',
  'update.edition-mismatch': 'edition-mismatch',
  'update.sql-mismatch': 'sql-mismatch',
  'update.collocated-mismatch': 'collocated-mismatch',
  'update.edition-unknown': 'edition-unknown',
  'update.no-package': 'no-package',
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
  const preview = await previewPlan(ctx, request, requester);
  if (!preview.ok) return refuseRequest(ctx, input, preview);
  for (const check of [
    () => offlineRefusal(ctx, request.server),
    () => blockingRun(ctx, request.server),
    () => windowRefusal(ctx, request.server),
  ]) {
    const outcome = check();
    if (!outcome.ok) return refuseRequest(ctx, input, outcome);
  }

  const { plan, profile, facts, forced } = preview.value;
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
  await ctx.auditRun(run, 'request', personRef(requester), {
    request: plan.request,
    installedVersion: facts?.installedVersion ?? null,
    packageVersion: plan.package?.version ?? null,
    // Re-installing the version the server runs, allowed because the requester is an approver.
    ...(forced ? { force: 'same-version', approver: true } : {}),
  });
  await ctx.store.saveRun(run);
  return { ok: true, value: run };
}
