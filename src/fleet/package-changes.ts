import type { PackageCommand } from '../commands/index.js';
import { personRef, refuse, sameConversation, type Outcome } from '../runs/context.js';
import { mayApprove, samePerson, type Policy } from '../runs/policy.js';
import { packageKey, type PackageChange } from '../store/package-catalog.js';
import type { AuditEvent, Store } from '../store/store.js';
import type { Person } from '../store/types.js';

export interface PackageChangeDeps {
  store: Store;
  policy: Pick<Policy, 'approvers' | 'approvalsRequired' | 'approvalExpiryMinutes'>;
  now: () => Date;
}

export interface PackageActor {
  person: Person;
  conversationId: string;
}

const MAX_REASON = 500;

/**
 * `package add` / `package remove`, under the rules runs follow (src/runs/policy.ts and
 * actions.ts): only approvers change the catalog; where the policy asks for approvals the change
 * waits, on disk, for that many other approvers on its card (never the proposer, once each,
 * within the approval expiry); a rejection ends it. Every step is audited with who did it.
 * Changes run one at a time, so two clicks arriving together cannot both count.
 */
export class PackageChanges {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PackageChangeDeps) {}

  propose(
    command: PackageCommand,
    actor: PackageActor & { locale: string },
  ): Promise<Outcome<PackageChange>> {
    return this.exclusive(() => this.doPropose(command, actor));
  }

  decide(
    id: unknown,
    actor: PackageActor,
    decision: 'approved' | 'rejected',
    reason?: string,
  ): Promise<Outcome<PackageChange>> {
    return this.exclusive(() => this.doDecide(id, actor, decision, reason));
  }

  /** Remembers the message showing a change, so decisions can update it in place. */
  attachCard(id: number, activityId: string): Promise<void> {
    return this.exclusive(async () => {
      const change = this.deps.store.getPackageChange(id);
      if (change && change.cardActivityId === null)
        await this.deps.store.savePackageChange({ ...change, cardActivityId: activityId });
    });
  }

  /** A change as it is now, for a card refresh; only in the conversation it was proposed in. */
  current(id: unknown, actor: PackageActor): Outcome<PackageChange> {
    const change = typeof id === 'number' ? this.deps.store.getPackageChange(id) : undefined;
    return change && sameConversation(change.conversationId, actor.conversationId)
      ? { ok: true, value: change }
      : refuse('package.change-not-found', { id: String(id).slice(0, 12) });
  }

  /** Undecided changes past their expiry become expired (the sweep calls this). */
  expireOld(): Promise<PackageChange[]> {
    return this.exclusive(async () => {
      const now = this.deps.now();
      const expired: PackageChange[] = [];
      for (const change of this.deps.store.pendingPackageChanges()) {
        if (new Date(change.expiresAt) > now) continue;
        expired.push(await this.finish(change, 'expired', { system: true }));
      }
      return expired;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async audit(event: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.deps.store.appendAudit({ at: this.deps.now().toISOString(), ...event });
  }

  private async refuseAudited(
    actor: PackageActor,
    attempted: string,
    why: string,
    key: string,
    params: Record<string, string | number>,
  ): Promise<{ ok: false; refusal: { key: string; params: Record<string, string | number> } }> {
    await this.audit({
      action: 'refuse',
      actor: personRef(actor.person),
      conversationId: actor.conversationId,
      detail: { why, attempted, ...params },
    });
    return refuse(key, params);
  }

  private async doPropose(
    command: PackageCommand,
    actor: PackageActor & { locale: string },
  ): Promise<Outcome<PackageChange>> {
    const { store, policy, now } = this.deps;
    const product = command.action === 'add' ? command.entry.product : command.product;
    const version = command.action === 'add' ? command.entry.version : command.version;
    const params = { product, version };
    const attempted = `package-${command.action}`;
    if (!mayApprove(policy as Policy, actor.person))
      return this.refuseAudited(actor, attempted, 'not-approver', 'package.not-allowed', params);
    const key = packageKey(product, version);
    const existing = store.packages().find((p) => packageKey(p.product, p.version) === key);
    if (command.action === 'add' && existing)
      return this.refuseAudited(actor, attempted, 'exists', 'package.exists', params);
    if (command.action === 'remove' && !existing)
      return this.refuseAudited(actor, attempted, 'not-found', 'package.not-found', params);
    const pending = store.pendingPackageChanges().find((c) => packageKey(c.product, c.version) === key);
    if (pending)
      return this.refuseAudited(actor, attempted, 'pending', 'package.pending', {
        ...params,
        id: pending.id,
      });
    const entry =
      command.action === 'add'
        ? {
            source: command.entry.source,
            fileName: command.entry.fileName,
            sha256: command.entry.sha256,
            version,
          }
        : { source: existing!.source, fileName: existing!.fileName, sha256: existing!.sha256, version };
    const approvalsRequired = Math.max(0, policy.approvalsRequired);
    const change = await store.savePackageChange({
      id: 0,
      action: command.action,
      product,
      version,
      entry,
      proposedBy: personRef(actor.person),
      proposedAt: now().toISOString(),
      conversationId: actor.conversationId,
      locale: actor.locale,
      approvalsRequired,
      decisions: [],
      expiresAt: new Date(now().getTime() + policy.approvalExpiryMinutes * 60_000).toISOString(),
      status: approvalsRequired > 0 ? 'awaiting-approval' : 'applied',
      cardActivityId: null,
    });
    await this.audit({
      action: approvalsRequired > 0 ? 'package-propose' : attempted,
      actor: personRef(actor.person),
      conversationId: actor.conversationId,
      detail: { change: change.id, action: command.action, product, ...entry, approvalsRequired },
    });
    return { ok: true, value: change };
  }

  private async doDecide(
    id: unknown,
    actor: PackageActor,
    decision: 'approved' | 'rejected',
    reason?: string,
  ): Promise<Outcome<PackageChange>> {
    const attempted = decision === 'approved' ? 'package-approve' : 'package-reject';
    const change =
      typeof id === 'number' && Number.isSafeInteger(id) ? this.deps.store.getPackageChange(id) : undefined;
    // Decided changes leave the file, so a replayed click on an old card finds nothing here.
    if (!change || !sameConversation(change.conversationId, actor.conversationId))
      return this.refuseAudited(actor, attempted, 'change-not-found', 'package.change-not-found', {
        id: String(id).slice(0, 12),
      });
    const params = { id: change.id, product: change.product, version: change.version };
    if (samePerson(change.proposedBy, actor.person))
      return this.refuseAudited(actor, attempted, 'self-approval', 'package.self-approval', params);
    if (!mayApprove(this.deps.policy as Policy, actor.person))
      return this.refuseAudited(actor, attempted, 'not-approver', 'package.not-allowed', params);
    if (new Date(change.expiresAt) <= this.deps.now()) {
      await this.finish(change, 'expired', { system: true });
      return this.refuseAudited(actor, attempted, 'expired', 'package.expired', params);
    }
    if (change.decisions.some((d) => samePerson(d.by, actor.person)))
      return this.refuseAudited(actor, attempted, 'already-decided', 'package.already-decided', params);
    const entry = {
      by: personRef(actor.person),
      decision,
      at: this.deps.now().toISOString(),
      reason: reason?.slice(0, MAX_REASON) || undefined,
    };
    change.decisions.push(entry);
    await this.audit({
      action: attempted,
      actor: personRef(actor.person),
      conversationId: actor.conversationId,
      detail: { change: change.id, product: change.product, version: change.version, reason: entry.reason },
    });
    const approvals = change.decisions.filter((d) => d.decision === 'approved').length;
    if (decision === 'rejected') return { ok: true, value: await this.finish(change, 'rejected', null) };
    if (approvals >= change.approvalsRequired)
      return { ok: true, value: await this.finish(change, 'applied', null) };
    return { ok: true, value: await this.deps.store.savePackageChange(change) };
  }

  /** Ends a change; 'applied' changes the catalog in the same write, and is audited as the change itself. */
  private async finish(
    change: PackageChange,
    status: 'applied' | 'rejected' | 'expired',
    actor: AuditEvent['actor'] | null,
  ): Promise<PackageChange> {
    const saved = await this.deps.store.savePackageChange({ ...change, status });
    await this.audit({
      action:
        status === 'applied'
          ? `package-${change.action}`
          : `package-${status === 'expired' ? 'expire' : 'rejected'}`,
      actor: actor ?? { system: true },
      conversationId: change.conversationId,
      detail: {
        change: change.id,
        product: change.product,
        version: change.version,
        proposedBy: change.proposedBy,
        approvedBy: change.decisions.filter((d) => d.decision === 'approved').map((d) => d.by),
        ...change.entry,
      },
    });
    return saved;
  }
}
