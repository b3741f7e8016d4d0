import type { Logger } from '../log.js';
import type { AuditEvent, OutboxDraft, Store } from '../store/store.js';
import {
  FINAL_STATUSES,
  type Decision,
  type Person,
  type RunRecord,
  type RunStatus,
  type StepRecord,
} from '../store/types.js';
import { AuditedResults } from './audited-results.js';
import type { MaintenanceWindow, Policy } from './policy.js';

/** What changed about a run; the presenter turns each change into card updates and replies. */
export type RunChange =
  | { kind: 'created' }
  | { kind: 'status'; from: RunStatus }
  | { kind: 'decision'; decision: Decision }
  | { kind: 'step'; step: StepRecord }
  | { kind: 'cancel-requested' }
  | { kind: 'downtime-warning'; minutes: number }
  /**
   * Retry picks the run up at `resumeAt` (plan index, 0-based), not at the step that failed
   * (`failedAt`): resumeIndex moved it (docs/steps.md, "Resume after a failure or a restart").
   */
  | { kind: 'resume'; failedAt: number; resumeAt: number };

export interface RunObserver {
  /** Called once the change is on disk, for each change of a commit. */
  runChanged(run: RunRecord, change: RunChange): Promise<void>;
  /**
   * The messages that tell the run's conversation about `changes`. They are saved in the same
   * write as the run, so a crash never keeps a change without its messages or the other way round.
   */
  messagesFor?(run: RunRecord, changes: readonly RunChange[]): OutboxDraft[];
}

/** A refusal the edge shows the user: an i18n key and its parameters. */
export interface Refusal {
  key: string;
  params: Record<string, string | number>;
  /** For maintenance-window refusals: the windows, so the edge can name them in the reader's language. */
  windows?: MaintenanceWindow[] | undefined;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export const refuse = (
  key: string,
  params: Record<string, string | number> = {},
): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: { key, params },
});

export interface RunDeps {
  store: Store;
  policy: Policy;
  now: () => Date;
  observer: RunObserver;
  logger: Logger;
  /** Runner silent for this long while running a step = interrupted. */
  heartbeatTimeoutMs: number;
}

/** Everything every run operation needs: save, audit, tell the observer. */
export class RunContext {
  private queue: Promise<unknown> = Promise.resolve();
  readonly auditedResults: AuditedResults;

  constructor(readonly deps: RunDeps) {
    this.auditedResults = new AuditedResults(deps.store);
  }

  /**
   * Runs state transitions one at a time. Checks such as "one run per server" or "not yet
   * confirmed" span awaits (disk writes), so two clicks arriving together must not interleave.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get store(): Store {
    return this.deps.store;
  }

  nowIso(): string {
    return this.deps.now().toISOString();
  }

  async audit(event: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.deps.store.appendAudit({ at: this.nowIso(), ...event });
  }

  /** An audit event about one run, in the run's conversation. */
  auditRun(
    run: RunRecord,
    action: string,
    actor: AuditEvent['actor'],
    detail?: Record<string, unknown>,
  ): Promise<void> {
    return this.audit({
      action,
      actor,
      runId: run.id,
      server: run.server,
      conversationId: run.conversationId,
      detail,
    });
  }

  /** Saves the run with the messages about `change` (one change or several) in one write. */
  async commit(run: RunRecord, change: RunChange | readonly RunChange[]): Promise<void> {
    const changes: readonly RunChange[] = 'kind' in change ? [change] : change;
    const { observer, logger } = this.deps;
    let messages: OutboxDraft[] = [];
    try {
      messages = observer.messagesFor?.(run, changes) ?? [];
    } catch (error) {
      // A card that cannot be rendered must not keep the run from moving on.
      logger.error({ err: error, runId: run.id }, 'rendering the messages about a run change failed');
    }
    await this.deps.store.saveRun(run, messages);
    for (const each of changes) {
      try {
        await observer.runChanged(run, each);
      } catch (error) {
        // The run is saved; a presenter failure must not undo it. The outbox retries delivery.
        logger.error({ err: error, runId: run.id, change: each.kind }, 'presenting a run change failed');
      }
    }
  }

  async setStatus(run: RunRecord, status: RunStatus, extra: Partial<RunRecord> = {}): Promise<void> {
    await this.commit(run, this.changeStatus(run, status, extra));
  }

  /** Changes the status in memory and returns the change, for a commit together with others. */
  changeStatus(run: RunRecord, status: RunStatus, extra: Partial<RunRecord> = {}): RunChange {
    const from = run.status;
    Object.assign(run, extra, { status });
    if (status === 'queued' && from !== 'queued') run.queuedAt = this.nowIso();
    if (FINAL_STATUSES.includes(status) && !run.endedAt) {
      run.endedAt = this.nowIso();
    }
    return { kind: 'status', from };
  }
}

/** Channel threads are `<channel>;messageid=<id>`; a card in a thread belongs to its channel. */
export function sameConversation(a: string, b: string): boolean {
  const base = (id: string) => id.split(';messageid=')[0];
  return a === b || base(a) === base(b);
}

export function personRef(person: Person): Person {
  return { id: person.id, name: person.name, aadObjectId: person.aadObjectId };
}

/** The run's job key (Job.key); runs from before the field get one made of their number and request time. */
export function jobKeyOf(run: Pick<RunRecord, 'id' | 'requestedAt' | 'jobKey'>): string {
  return run.jobKey ?? `legacy-${run.id}-${Date.parse(run.requestedAt) || 0}`;
}
