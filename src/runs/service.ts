import type { Plan, ServerProfile, UpdateRequest } from '../procedure/index.js';
import type { RunRecord } from '../store/types.js';
import { abortRun, cancelRun, confirmRun, decideRun, dismissPlan, retryRun, type Actor } from './actions.js';
import { RunContext, type Outcome, type RunChange, type RunDeps, type RunObserver } from './context.js';
import { Dispatcher } from './dispatch.js';
import { previewPlan, requestUpdate, type RequestInput } from './requests.js';
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

  preview(request: UpdateRequest): Outcome<{ plan: Plan; profile: ServerProfile }> {
    return previewPlan(this.ctx, request);
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
export type { Outcome, Refusal, RunChange, RunObserver } from './context.js';
