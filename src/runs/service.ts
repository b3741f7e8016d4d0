import type { Edition } from '../procedure/index.js';
import type { Person, RunRecord } from '../store/types.js';
import { abortRun, cancelRun, confirmRun, decideRun, dismissPlan, retryRun, type Actor } from './actions.js';
import { RunContext, type Outcome, type RunChange, type RunDeps, type RunObserver } from './context.js';
import { Dispatcher } from './dispatch.js';
import { requestCheck, startCheck, type CheckInput } from './checks.js';
import { reportedEdition, type PlannedUpdate, type UpdateAsk } from './planning.js';
import { previewPlan, requestUpdate, runnerFor, type RequestInput } from './requests.js';
import { sweep } from './results.js';

/**
 * The one entry point the Teams edge and the runner API use for runs. It owns no Teams or HTTP
 * types: it takes people, ids and requests, and answers with runs or refusals.
 */
export class RunService {
  readonly ctx: RunContext;
  readonly dispatcher: Dispatcher;
  private readonly startedAt: Date;

  constructor(deps: RunDeps) {
    const presenter = deps.observer;
    // Queue wake-ups go first, so a runner picks a job up before any message is posted.
    const observer: RunObserver = {
      runChanged: async (run: RunRecord, change: RunChange) => {
        if (run.status === 'queued') this.dispatcher.wake(run.server);
        await presenter.runChanged(run, change);
      },
      ...(presenter.messagesFor
        ? {
            messagesFor: (run: RunRecord, changes: readonly RunChange[]) =>
              presenter.messagesFor!(run, changes),
          }
        : {}),
    };
    this.ctx = new RunContext({ ...deps, observer });
    this.dispatcher = new Dispatcher(this.ctx);
    this.startedAt = deps.now();
  }

  /** `plan`: the plan the same `update` would show; `requester` decides whether `force` is allowed. */
  preview(request: UpdateAsk, requester: Person | null = null): Promise<Outcome<PlannedUpdate>> {
    return previewPlan(this.ctx, request, requester);
  }

  /** What a server reported about itself that a command may leave out (null: no runner). */
  reported(server: string): { edition: Edition | null; sqlServerFqdn: string | null } | null {
    const runner = runnerFor(this.ctx, server);
    if (!runner) return null;
    return { edition: reportedEdition(runner), sqlServerFqdn: runner.facts?.sqlServerFqdn ?? null };
  }

  /** `check <server>`: a readiness check run, queued at once (nothing stops, nothing to confirm). */
  check(input: CheckInput): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => requestCheck(this.ctx, input));
  }

  /** Queues a check once its card is in the chat (see requestCheck). */
  startCheck(runId: number): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => startCheck(this.ctx, runId));
  }

  request(input: RequestInput): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => requestUpdate(this.ctx, input));
  }

  /** Remembers the message that shows the run, so later updates replace it in place. */
  attachCard(run: RunRecord, activityId: string): Promise<void> {
    return this.ctx.exclusive(async () => {
      const current = this.ctx.store.getRun(run.id) ?? run;
      current.cardActivityId = activityId;
      run.cardActivityId = activityId;
      await this.ctx.store.saveRun(current);
    });
  }

  confirm(runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => confirmRun(this.ctx, runId, actor));
  }

  dismiss(runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => dismissPlan(this.ctx, runId, actor));
  }

  approve(runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => decideRun(this.ctx, runId, actor, 'approved'));
  }

  reject(runId: unknown, actor: Actor, reason?: string): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => decideRun(this.ctx, runId, actor, 'rejected', reason));
  }

  cancel(runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => cancelRun(this.ctx, runId, actor));
  }

  retry(runId: unknown, actor: Actor, checked: boolean): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => retryRun(this.ctx, runId, actor, checked));
  }

  abort(runId: unknown, actor: Actor): Promise<Outcome<RunRecord>> {
    return this.ctx.exclusive(() => abortRun(this.ctx, runId, actor));
  }

  sweep(): Promise<void> {
    return this.ctx.exclusive(() => sweep(this.ctx, this.startedAt));
  }
}

export type { Actor } from './actions.js';
export type { UpdateAsk } from './planning.js';
export type { CheckInput } from './checks.js';
export type { Outcome, Refusal, RunChange, RunObserver } from './context.js';
