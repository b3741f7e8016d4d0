import { validateReportedProfile, type UpdateRequest } from '../procedure/index.js';
import type { RegisteredRunner, RunnerBackend } from '../bot/runner-backend.js';
import type { Heartbeat, HeartbeatAnswer, Job, StepResult } from '../protocol/messages.js';
import type { RunRecord, RunStatus } from '../store/types.js';
import { jobKeyOf, type RunContext } from './context.js';
import { applyResult } from './results.js';

/** A run in one of these was never handed to a runner: no runner message may touch it. */
const NEVER_HANDED_OUT: readonly RunStatus[] = ['planned', 'awaiting-approval', 'rejected', 'expired'];
/** The statuses in which a runner is working on a run (or may come back to it), so its heartbeats count. */
const HELD_BY_RUNNER: readonly RunStatus[] = ['queued', 'running', 'interrupted'];

export type ResultOutcome = 'accepted' | 'duplicate' | 'forbidden' | 'not-dispatched';

/**
 * The bot's side of the runner protocol. A queued run is offered to its server's runner on every
 * poll until the runner shows (by a heartbeat or a result) that it holds the job; waiting polls
 * are woken the moment a run is queued, so pickup needs no timer.
 */
export class Dispatcher implements RunnerBackend {
  private readonly waiters = new Map<string, () => void>();

  constructor(private readonly ctx: RunContext) {}

  /** Call when a run of `server` became queued. */
  wake(server: string): void {
    this.waiters.get(server)?.();
  }

  async findRunner(runnerId: string): Promise<RegisteredRunner | null> {
    const runner = this.ctx.store.getRunner(runnerId);
    return runner ? { secret: runner.secret, server: runner.server } : null;
  }

  async waitForJob(runnerId: string, signal: AbortSignal): Promise<Job | null> {
    const runner = this.ctx.store.getRunner(runnerId);
    if (!runner) return null;
    for (;;) {
      // A runner removed while its poll waited (register-runner --remove) gets no job.
      if (!this.ctx.store.getRunner(runnerId)) return null;
      const job = this.jobFor(runner.server);
      if (job || signal.aborted) return job;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          if (this.waiters.get(runner.server) === done) this.waiters.delete(runner.server);
          resolve();
        };
        this.waiters.get(runner.server)?.();
        this.waiters.set(runner.server, done);
        signal.addEventListener('abort', done);
      });
    }
  }

  private jobFor(server: string): Job | null {
    const run = this.ctx.store.liveRuns().find((r) => r.server === server && r.status === 'queued');
    if (!run) return null;
    const startIndex = Math.max(
      0,
      run.steps.findIndex((s) => s.status !== 'succeeded'),
    );
    return {
      key: jobKeyOf(run),
      runId: run.id,
      attempt: run.attempt,
      server: run.server,
      request: jobRequest(run),
      // A check run's plan holds only the steps before downtime, so its job names only those.
      steps: run.plan.steps.map((s) => s.id),
      startIndex,
      kind: run.kind ?? 'update',
      // Plans stored before the package catalog have none: the runner then uses its local override.
      ...(run.plan.package ? { package: run.plan.package } : {}),
    };
  }

  acceptResult(runnerId: string, result: StepResult): Promise<ResultOutcome> {
    return this.ctx.exclusive(() => this.recordResult(runnerId, result));
  }

  heartbeat(runnerId: string, beat: Heartbeat): Promise<HeartbeatAnswer | 'forbidden' | 'not-dispatched'> {
    return this.ctx.exclusive(() => this.recordHeartbeat(runnerId, beat));
  }

  private async recordResult(runnerId: string, result: StepResult): Promise<ResultOutcome> {
    const run = this.ownRun(runnerId, result.runId);
    // A result keyed for another run with the same number (a runner's journal from before this
    // store was created or restored) is not this run's.
    const otherRun = (r: RunRecord) => result.key !== undefined && result.key !== jobKeyOf(r);
    if (run)
      return NEVER_HANDED_OUT.includes(run.status) || otherRun(run)
        ? 'not-dispatched'
        : applyResult(this.ctx, run, result, runnerId);
    // A late result for a run that has since finished is acknowledged so the runner can drop it.
    const runner = this.ctx.store.getRunner(runnerId);
    const finished = await this.ctx.store.findRun(result.runId);
    if (!runner || !finished || finished.server !== runner.server) return 'forbidden';
    return NEVER_HANDED_OUT.includes(finished.status) || otherRun(finished) ? 'not-dispatched' : 'duplicate';
  }

  private async recordHeartbeat(
    runnerId: string,
    beat: Heartbeat,
  ): Promise<HeartbeatAnswer | 'forbidden' | 'not-dispatched'> {
    const runner = this.ctx.store.getRunner(runnerId);
    if (!runner) return 'forbidden';
    const profile = validateReportedProfile(beat.info.profile);
    if (!profile.ok || profile.value.server !== runner.server) return 'forbidden';
    let run: RunRecord | undefined;
    if (beat.runId !== null) {
      run = this.ownRun(runnerId, beat.runId);
      const finished = run ? undefined : await this.ctx.store.findRun(beat.runId);
      if (!run && finished?.server !== runner.server) return 'forbidden';
      // A beat naming a run the bot never handed out changes nothing at all, not even last-seen.
      if (NEVER_HANDED_OUT.includes((run ?? finished)!.status)) return 'not-dispatched';
    }
    const wasOffline =
      runner.lastSeenAt === null ||
      Date.parse(runner.lastSeenAt) < this.ctx.deps.now().getTime() - this.ctx.deps.heartbeatTimeoutMs;
    await this.ctx.store.noteRunnerSeen(runnerId, {
      lastSeenAt: this.ctx.nowIso(),
      info: { ...beat.info, profile: profile.value },
      // Only a beat that carries facts replaces them; the runner sends them when they changed.
      ...(beat.facts ? { facts: beat.facts } : {}),
    });
    if (wasOffline)
      await this.ctx.audit({
        action: 'runner-connect',
        actor: { runnerId },
        server: runner.server,
        detail: { version: beat.info.version },
      });
    if (run) await this.noteProgress(run, beat);
    const cancel = this.ctx.store
      .liveRuns()
      .filter(
        (r) =>
          r.server === runner.server &&
          r.cancelRequested !== null &&
          ['queued', 'running'].includes(r.status),
      )
      .map((r) => r.id);
    return { cancel };
  }

  /**
   * A heartbeat naming a run the runner holds proves it is working on it; one naming the downtime
   * step starts the clock. A run it does not hold (failed, waiting for a human; finished) stays as it is.
   */
  private async noteProgress(run: RunRecord, beat: Heartbeat): Promise<void> {
    if (!HELD_BY_RUNNER.includes(run.status)) return;
    let changed = false;
    if (run.status === 'queued' || run.status === 'interrupted') {
      await this.ctx.setStatus(run, 'running', { startedAt: run.startedAt ?? this.ctx.nowIso() });
    }
    if (beat.stepId !== null) {
      const step = run.steps.find((s) => s.stepId === beat.stepId);
      if (step && step.status === 'pending') {
        Object.assign(step, { status: 'running', startedAt: this.ctx.nowIso() });
        changed = true;
      }
      if (beat.stepId === run.plan.downtimeStartsAt && run.downtimeStartedAt === null) {
        run.downtimeStartedAt = this.ctx.nowIso();
        changed = true;
      }
      if (changed && step) await this.ctx.commit(run, { kind: 'step', step });
    }
  }

  private ownRun(runnerId: string, runId: number): RunRecord | undefined {
    const runner = this.ctx.store.getRunner(runnerId);
    const run = this.ctx.store.getRun(runId);
    return runner && run && run.server === runner.server ? run : undefined;
  }
}

/**
 * The request as the plan resolved it, in the shape a job carries: JSON has no undefined, and a
 * runner older than an option refuses a field it does not know, so an option that is off is left out.
 */
function jobRequest(run: RunRecord): UpdateRequest {
  const r = run.plan.request;
  return {
    server: r.server,
    edition: r.edition,
    ...(r.sqlServerFqdn ? { sqlServerFqdn: r.sqlServerFqdn } : {}),
    collocated: r.collocated,
    ...(r.graceful ? { graceful: true } : {}),
    ...(r.force ? { force: true } : {}),
    ...(r.poolFqdn ? { poolFqdn: r.poolFqdn } : {}),
    ...(r.mirrored ? { mirrored: true } : {}),
  };
}
