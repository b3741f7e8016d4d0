import type { Logger } from '../log.js';
import { fail, type DomainError, type Plan, type PlanStep, type ServerProfile } from '../procedure/index.js';
import type { Job, StepResult } from '../protocol/messages.js';
import { checkJob } from './job-check.js';
import { type Journal, type RunEnd } from './journal.js';
import type { OutputLog } from './output.js';
import { DowntimeClock } from './progress.js';
import { buildResult, judge, notStartedResult } from './results.js';
import { Sessions, type Execution } from './sessions.js';
import type { ShellSpec } from './shell.js';

export interface ExecutorOptions {
  profile: ServerProfile;
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

/** What the transport plugs in. Hooks may be async; a hook that throws is logged, never fatal. */
export interface RunHooks {
  onStepStarted?(step: PlanStep, progress: RunProgress): void | Promise<void>;
  onStepResult?(result: StepResult, progress: RunProgress): void | Promise<void>;
  /** Asked before every step; true stops the run there. */
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
    const checked = checkJob(rawJob, this.options.profile);
    if (!checked.ok) return this.refuse(checked.error);
    const { job, plan } = checked.value;
    const { journal } = this.options;
    if (this.busy || journal.activeRun()) {
      return this.refuse(
        fail('runner-busy', 'This runner is already running a job (or must recover first).').error,
      );
    }
    if (journal.knows(job.runId, job.attempt)) {
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
    const results: StepResult[] = [];
    const report = (outcome: RunOutcome, error: DomainError | null = null): RunReport => ({
      outcome,
      error,
      plan,
      results,
      downtimeMs: clock.downtimeMs(now()),
    });

    try {
      await journal.beginRun(job, now().toISOString());
    } catch (error) {
      return this.journalFailed(log, error, report);
    }
    log.info({ server: job.server, startIndex: job.startIndex }, 'run started');
    let end: RunEnd = 'succeeded';
    try {
      for (const step of plan.steps.slice(job.startIndex)) {
        if (await this.cancelled(hooks, log)) {
          const reason = clock.isOpen()
            ? 'Cancelled before this step started. Downtime is still running: the Cs services this run stopped are not started again.'
            : 'Cancelled before this step started.';
          const result = notStartedResult(job, step, now(), 'cancelled', reason);
          await journal.stepFinished(result, 'cancelled');
          results.push(result);
          await this.callHook(log, () => hooks.onStepResult?.(result, clock.progress(step, now())));
          end = 'cancelled';
          break;
        }
        const startedAt = now();
        clock.stepStarted(step, startedAt);
        await journal.stepStarted(job, {
          stepId: step.id,
          index: step.index - 1,
          startedAt: startedAt.toISOString(),
        });
        await this.callHook(log, () => hooks.onStepStarted?.(step, clock.progress(step, startedAt)));

        const execution = await this.execute(sessions, plan, step);
        const endedAt = now();
        const verdict = judge(step, execution);
        const result = buildResult({
          run: job,
          step,
          startedAt,
          endedAt,
          verdict,
          stdout: execution.stdout,
          stderr: execution.stderr,
          fullOutputIn: this.options.outputLog.fileFor(job.runId),
        });
        await this.options.outputLog.append(job, step, {
          ...result,
          stdout: execution.stdout,
          stderr: execution.stderr,
        });
        const halt: RunEnd | null =
          result.status !== 'succeeded' ? 'failed' : result.rebootRequired ? 'reboot-required' : null;
        clock.stepEnded(step, result.status, endedAt);
        await journal.stepFinished(result, halt);
        results.push(result);
        log.info({ stepId: step.id, status: result.status, ms: result.durationMs }, 'step finished');
        await this.callHook(log, () => hooks.onStepResult?.(result, clock.progress(step, endedAt)));
        if (halt) {
          end = halt;
          break;
        }
      }
    } catch (error) {
      await sessions.close();
      return this.journalFailed(log, error, report);
    }
    await sessions.close();
    try {
      await journal.finishRun(job, end);
    } catch (error) {
      return this.journalFailed(log, error, report);
    }
    log.info({ outcome: end }, 'run ended');
    return report(end);
  }

  private async execute(sessions: Sessions, plan: Plan, step: PlanStep): Promise<Execution> {
    try {
      if (step.session === 'close-session') {
        await sessions.close();
        return { kind: 'answered', ok: true, exit: null, stdout: '', stderr: '' };
      }
      return await sessions.execute(step.command, {
        fresh: step.session === 'new-session',
        replay: sessionReplay(plan, step),
        timeoutMs: this.options.stepTimeoutMs?.(step) ?? step.timeoutMs,
      });
    } catch (error) {
      // Not expected (Sessions reports failures as values), but a bug must not pass as success.
      this.options.logger.error({ err: error, stepId: step.id }, 'step execution threw');
      const reason = `The runner failed while running this step: ${(error as Error).message}`;
      return { kind: 'session-failed', stdout: '', stderr: '', reason };
    }
  }

  private async cancelled(hooks: RunHooks, log: Logger): Promise<boolean> {
    try {
      return (await hooks.isCancelled?.()) === true;
    } catch (error) {
      log.warn({ err: error }, 'cancel check failed; carrying on');
      return false;
    }
  }

  private async callHook(log: Logger, call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      // The result is safe in the journal's outbox; the transport resends it later.
      log.warn({ err: error }, 'run hook failed');
    }
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

/**
 * When a session has to start at a step that normally runs in a session opened earlier (a retry
 * from the middle of a phase), the new process first needs the phase's Import-Module.
 */
export function sessionReplay(plan: Plan, step: PlanStep): string[] {
  if (step.session !== 'run') return [];
  for (let i = step.index - 2; i >= 0; i--) {
    const earlier = plan.steps[i];
    if (!earlier || earlier.session === 'close-session') return [];
    if (earlier.id === 'shell.open' || earlier.id === 'shell.reopen') return [earlier.command];
    if (earlier.session === 'new-session') return [];
  }
  return [];
}
