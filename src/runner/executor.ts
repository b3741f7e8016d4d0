import type { Logger } from '../log.js';
import { fail, type DomainError, type Plan, type PlanStep, type ServerFacts } from '../procedure/index.js';
import type { Job, ReportedProfile, StepResult } from '../protocol/messages.js';
import { checkJob } from './job-check.js';
import type { PackagePolicy } from './package-policy.js';
import { type Journal, type RunEnd } from './journal.js';
import type { OutputLog } from './output.js';
import { DowntimeClock } from './progress.js';
import { Sessions } from './sessions.js';
import type { ShellSpec } from './shell.js';
import { StepLoop } from './step-loop.js';

export interface ExecutorOptions {
  /** The runner's profile; its package, when present, is the local override. */
  profile: ReportedProfile;
  /** Allowed package sources (PATCHBOT_PACKAGE_SOURCES); none = only the local override. */
  packagePolicy?: PackagePolicy;
  /** The server facts last read (null until then): an update job is declined on a server without Cs services. */
  facts?: () => ServerFacts | null;
  shell: ShellSpec;
  /** Path of PatchBot.psm1 as the shell sees it. */
  modulePath: string;
  journal: Journal;
  outputLog: OutputLog;
  logger: Logger;
  /** Time limit per step; the plan's own limit unless the lab or a test shortens it. */
  stepTimeoutMs?: (step: PlanStep) => number;
  /** Time limit for starting a PowerShell process and running the session set-up. */
  sessionStartTimeoutMs?: number;
  now?: () => Date;
}

export interface RunProgress {
  /** 1-based position of the step in the plan. */
  stepNumber: number;
  totalSteps: number;
  runElapsedMs: number;
  /** Time since the Cs services were stopped (null before that); frozen once they run again. */
  downtimeMs: number | null;
  downtimeOpen: boolean;
}

/**
 * What the transport plugs in. A hook that throws is logged, never fatal. The step hooks may be
 * async, but nothing waits for them: they are called in order while the next step already runs
 * (a result is safe in the journal's outbox before its hook is called).
 */
export interface RunHooks {
  onStepStarted?(step: PlanStep, progress: RunProgress): void | Promise<void>;
  onStepResult?(result: StepResult, progress: RunProgress): void | Promise<void>;
  /**
   * Asked before every step; true stops the run there. Answer with a plain boolean when the answer
   * is known at once; a promise (a check that may wait) costs an extra journal write per step.
   */
  isCancelled?(): boolean | Promise<boolean>;
}

export type RunOutcome = RunEnd | 'rejected' | 'journal-unavailable';

export interface RunReport {
  outcome: RunOutcome;
  /** Set when the job was refused (allow-list, busy, already run) or the journal failed. */
  error: DomainError | null;
  plan: Plan | null;
  results: StepResult[];
  downtimeMs: number | null;
}

/**
 * Runs a job's steps through PowerShell, one at a time, halting on the first step that does not
 * succeed. Knows nothing about HTTP: the transport passes hooks and reads the journal's outbox.
 */
export class Executor {
  private busy = false;

  constructor(private readonly options: ExecutorOptions) {}

  async run(rawJob: unknown, hooks: RunHooks = {}): Promise<RunReport> {
    const checked = checkJob(rawJob, this.options.profile, this.options.packagePolicy);
    if (!checked.ok) return this.refuse(checked.error);
    const { job, plan } = checked.value;
    if ((job.kind ?? 'update') === 'update' && this.options.facts?.()?.csServiceCount === 0) {
      return this.refuse(
        fail(
          'no-cs-services',
          'This machine runs no Lync/Skype for Business services, so it cannot run the update procedure. ' +
            'Install the runner on a Front End Server of the pool (Enterprise) or on the Standard Edition server.',
        ).error,
      );
    }
    const { journal } = this.options;
    if (this.busy || journal.activeRun()) {
      return this.refuse(
        fail('runner-busy', 'This runner is already running a job (or must recover first).').error,
      );
    }
    if (journal.knows(job)) {
      return this.refuse(
        fail(
          'job-already-run',
          `Run ${job.runId} attempt ${job.attempt} was already started here; retry with a new attempt.`,
        ).error,
      );
    }
    this.busy = true;
    try {
      return await this.runChecked(job, plan, hooks);
    } finally {
      this.busy = false;
    }
  }

  private async runChecked(job: Job, plan: Plan, hooks: RunHooks): Promise<RunReport> {
    const { journal, logger } = this.options;
    const now = this.options.now ?? (() => new Date());
    const log = logger.child({ runId: job.runId, attempt: job.attempt });
    const clock = new DowntimeClock(plan, job.startIndex, now());
    const sessions = new Sessions({
      shell: this.options.shell,
      modulePath: this.options.modulePath,
      startTimeoutMs: this.options.sessionStartTimeoutMs ?? 120_000,
      logger: log,
    });
    const loop = new StepLoop({
      job,
      plan,
      hooks,
      journal,
      outputLog: this.options.outputLog,
      sessions,
      clock,
      log,
      now,
      stepTimeoutMs: this.options.stepTimeoutMs,
    });
    const report = (outcome: RunOutcome, error: DomainError | null = null): RunReport => ({
      outcome,
      error,
      plan,
      results: loop.results,
      downtimeMs: clock.downtimeMs(now()),
    });

    try {
      await journal.beginRun(job, now().toISOString());
    } catch (error) {
      return this.journalFailed(log, error, report);
    }
    log.info({ server: job.server, startIndex: job.startIndex }, 'run started');
    let end: RunEnd;
    try {
      end = await loop.run();
    } catch (error) {
      await sessions.runEnded();
      return this.journalFailed(log, error, report);
    }
    // Also ends the spare PowerShell process, if a failed, cancelled or timed-out step left one.
    await sessions.runEnded();
    try {
      await journal.finishRun(job, end);
    } catch (error) {
      return this.journalFailed(log, error, report);
    }
    log.info({ outcome: end }, 'run ended');
    return report(end);
  }

  private refuse(error: DomainError): RunReport {
    this.options.logger.warn({ code: error.code }, `job refused: ${error.message}`);
    return { outcome: 'rejected', error, plan: null, results: [], downtimeMs: null };
  }

  private journalFailed(
    log: Logger,
    error: unknown,
    report: (o: RunOutcome, e: DomainError) => RunReport,
  ): RunReport {
    log.error({ err: error }, 'journal write failed; stopping the run');
    return report(
      'journal-unavailable',
      fail(
        'journal-unavailable',
        `The runner could not record progress (${(error as Error).message}); the run stopped.`,
      ).error,
    );
  }
}

export { sessionReplay } from './session-plan.js';
