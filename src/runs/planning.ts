import {
  compareVersions,
  planUpdate,
  updateDecision,
  type Edition,
  type Plan,
  type PlanNote,
  type ServerFacts,
  type ServerProfile,
  type UpdatePackage,
  type UpdateRequest,
} from '../procedure/index.js';
import { packageToPlan } from '../fleet/package-for.js';
import type { RunnerRecord } from '../store/store.js';
import type { Person } from '../store/types.js';
import { refuse, type Outcome, type RunContext } from './context.js';
import { mayApprove } from './policy.js';

/** What the admin typed: the edition may be left out when the server reported it. */
export type UpdateAsk = Omit<UpdateRequest, 'edition' | 'poolFqdn' | 'mirrored'> & {
  edition: Edition | null;
};

export interface PlannedUpdate {
  plan: Plan;
  profile: ServerProfile;
  /** What the runner last reported, or null when it has reported nothing yet. */
  facts: ServerFacts | null;
  /** Same version re-installed with `force` by an approver. */
  forced: boolean;
}

export type RegisteredRunner = RunnerRecord & { info: NonNullable<RunnerRecord['info']> };

/** The package to plan with: the runner's local override, else the newest catalog entry for the product. */
export function packageFor(ctx: RunContext, runner: RegisteredRunner): UpdatePackage | null {
  return packageToPlan(runner, ctx.store.packages())?.package ?? null;
}

/** The edition the server reported (facts first, then the runner's profile), or null. */
export function reportedEdition(runner: RegisteredRunner): Edition | null {
  return runner.facts?.edition ?? runner.info.profile.edition ?? null;
}

const sameHost = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The request with what the admin left out taken from the server's facts; a typed edition, SQL
 * Server or collocated flag that contradicts them is refused with both values.
 */
export function resolveRequest(ask: UpdateAsk, runner: RegisteredRunner): Outcome<UpdateRequest> {
  const facts = runner.facts ?? null;
  const server = runner.server;
  const reported = reportedEdition(runner);
  if (ask.edition && reported && ask.edition !== reported) {
    return refuse('update.edition-mismatch', { server, typed: ask.edition, reported });
  }
  const edition = ask.edition ?? reported;
  if (!edition) return refuse('update.edition-unknown', { server });
  const request: UpdateRequest = {
    server: ask.server,
    edition,
    sqlServerFqdn: ask.sqlServerFqdn,
    collocated: ask.collocated,
    graceful: ask.graceful,
    force: ask.force,
  };
  if (edition !== 'enterprise' || !facts) return { ok: true, value: request };
  const typedSql = ask.sqlServerFqdn || null;
  if (typedSql && facts.sqlServerFqdn && !sameHost(typedSql, facts.sqlServerFqdn)) {
    return refuse('update.sql-mismatch', { server, typed: typedSql, reported: facts.sqlServerFqdn });
  }
  if (ask.collocated && facts.collocatedStores === false) {
    return refuse('update.collocated-mismatch', { server });
  }
  request.sqlServerFqdn = typedSql ?? facts.sqlServerFqdn ?? undefined;
  request.collocated = ask.collocated === true || facts.collocatedStores === true;
  if (facts.poolFqdn) request.poolFqdn = facts.poolFqdn;
  if (facts.mirrored !== null) request.mirrored = facts.mirrored;
  return { ok: true, value: request };
}

/** The newest component, for the downgrade message. */
export function newestComponent(facts: ServerFacts): { name: string; version: string } | null {
  let newest: { name: string; version: string } | null = null;
  for (const c of facts.components) {
    if (!newest || safeCompare(c.version, newest.version) > 0) newest = c;
  }
  return newest;
}

function safeCompare(a: string, b: string): number {
  try {
    return compareVersions(a, b);
  } catch {
    return 0;
  }
}

/**
 * Plans an update from what was typed, the server's facts and the package: refuses nothing to
 * do, a downgrade, and `force` from anyone but an approver. `requester` null = a preview.
 */
export function planWithFacts(
  ctx: RunContext,
  runner: RegisteredRunner,
  ask: UpdateAsk,
  requester: Person | null,
): Outcome<PlannedUpdate> {
  const server = runner.server;
  const profile = runner.info.profile;
  const pkg = packageFor(ctx, runner);
  if (!pkg) return refuse('update.no-package', { server, product: profile.product });
  const resolved = resolveRequest(ask, runner);
  if (!resolved.ok) return resolved;
  const facts = runner.facts ?? null;
  const force = ask.force === true;
  let decision: ReturnType<typeof updateDecision> = 'update';
  try {
    decision = facts
      ? updateDecision(facts.installedVersion, facts.components, pkg.version, force)
      : 'update';
  } catch {
    // A version the runner reported that is not a dotted number: compare nothing, the runner's own
    // version-gap check still runs before any downtime.
    decision = 'update';
  }
  const installed = facts?.installedVersion ?? '?';
  if (decision === 'downgrade') {
    const newest = facts ? newestComponent(facts) : null;
    return refuse('update.downgrade', {
      server,
      installed: newest?.version ?? installed,
      component: newest?.name ?? '-',
      package: pkg.version,
    });
  }
  if (decision === 'nothing-to-do') return refuse('update.nothing-to-do', { server, installed });
  if (decision === 'same-version-forced' && requester && !mayApprove(ctx.deps.policy, requester)) {
    return refuse('update.force-not-allowed', { server, installed });
  }
  // force only means something for the same version; on a real update it changes nothing.
  const request: UpdateRequest = { ...resolved.value, force: decision === 'same-version-forced' };
  const planned = planUpdate(request, { ...profile, package: pkg });
  if (!planned.ok) return refuse(`error.${planned.error.code}`, planned.error.params);
  const plan = planned.value;
  plan.notes = [...versionNotes(server, facts, pkg, ask), ...(plan.notes ?? [])];
  return {
    ok: true,
    value: { plan, profile: { ...profile, package: pkg }, facts, forced: decision === 'same-version-forced' },
  };
}

function versionNotes(
  server: string,
  facts: ServerFacts | null,
  pkg: UpdatePackage,
  ask: UpdateAsk,
): PlanNote[] {
  const notes: PlanNote[] = [];
  if (facts?.installedVersion) {
    notes.push({
      key: 'update.note.version-change',
      params: { installed: facts.installedVersion, package: pkg.version },
    });
  } else {
    notes.push({ key: 'update.note.version-unknown', params: { server, package: pkg.version } });
  }
  if (facts && (!ask.edition || (facts.edition === 'enterprise' && !ask.sqlServerFqdn))) {
    notes.push({ key: 'update.note.from-facts', params: { server, time: facts.readAt } });
  }
  return notes;
}
