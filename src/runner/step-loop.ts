import type { Logger } from '../log.js';
import type { Plan, PlanStep } from '../procedure/index.js';
import type { Job, StepResult } from '../protocol/messages.js';
import type { RunHooks, RunProgress } from './executor.js';
import type { Journal, RunEnd } from './journal.js';
import type { OutputLog } from './output.js';
import type { DowntimeClock } from './progress.js';
import { buildResult, judge, notStartedResult } from './results.js';
import { newProcessAhead, sessionReplay } from './session-plan.js';
import type { Execution, Sessions } from './sessions.js';

export interface StepLoopParts {
  job: Job;
  plan: Plan;
  hooks: RunHooks;
  journal: Journal;
  outputLog: OutputLog;
  sessions: Sessions;
  clock: DowntimeClock;
  log: Logger;
  now: () => Date;
  stepTimeoutMs?: (step: PlanStep) => number;
}

/** A step that ended and whose result is not in the journal yet. */
interface Ended {
  step: PlanStep;
  result: StepResult;
  progress: RunProgress;
}

/**
 * One run's steps, one at a time, halting on the first that does not succeed.
 *
 * Between two steps (inside the downtime window too) the runner does one thing before the next
 * command goes to PowerShell: one journal write holding the finished step's result and the
 * write-ahead record of the next step. Everything else, the full output log and the hooks (the
 * agent's heartbeat and the delivery of results to the bot), happens while the next step runs,
 * in order. Only when the cancel check cannot answer at once (the agent while it stops) is the
 * result written and reported first, so nothing is lost while the check waits.
 */
export class StepLoop {
  readonly results: StepResult[] = [];
  private ended: Ended | null = null;
  /** Hooks, in event order; each batch starts when the one before it has finished. */
  private notices: Promise<unknown> = Promise.resolve();
  private outputWrites: Promise<unknown> = Promise.resolve();

  constructor(private readonly p: StepLoopParts) {}

  /** Runs the steps; a journal write that fails ends it by throwing. */
  async run(): Promise<RunEnd> {
    try {
      return await this.steps();
    } finally {
      await Promise.all([this.notices, this.outputWrites]);
    }
  }

  private async steps(): Promise<RunEnd> {
    const { job, plan, journal, clock, log, now } = this.p;
    for (const step of plan.steps.slice(job.startIndex)) {
      if (await this.cancelled()) {
        const reason = clock.isOpen()
          ? 'Cancelled before this step started. Downtime is still running: the Cs services this run stopped are not started again.'
          : 'Cancelled before this step started.';
        await this.recordEnded();
        const at = now();
        const result = notStartedResult(job, step, at, 'cancelled', reason);
        await journal.stepFinished(result, 'cancelled');
        this.results.push(result);
        this.notify(() => this.p.hooks.onStepResult?.(result, clock.progress(step, at)));
        return 'cancelled';
      }
      const startedAt = now();
      clock.stepStarted(step, startedAt);
      const next = { stepId: step.id, index: step.index - 1, startedAt: startedAt.toISOString() };
      const before = this.ended;
      this.ended = null;
      if (before) {
        await journal.stepFinishedAndStarted(before.result, next);
        this.results.push(before.result);
      } else {
        await journal.stepStarted(job, next);
      }
      const running = this.execute(step);
      const progress = clock.progress(step, startedAt);
      // Both hooks in one go: the agent must never see "no step running" between these two.
      this.notify(
        () => before && this.p.hooks.onStepResult?.(before.result, before.progress),
        () => this.p.hooks.onStepStarted?.(step, progress),
      );

      const execution = await running;
      const endedAt = now();
      const result = buildResult({
        run: job,
        step,
        startedAt,
        endedAt,
        verdict: judge(step, execution),
        stdout: execution.stdout,
        stderr: execution.stderr,
        fullOutputIn: this.p.outputLog.fileFor(job.runId),
      });
      this.keepOutput(step, result, execution);
      clock.stepEnded(step, result.status, endedAt);
      log.info({ stepId: step.id, status: result.status, ms: result.durationMs }, 'step finished');
      this.ended = { step, result, progress: clock.progress(step, endedAt) };
      const halt: RunEnd | null =
        result.status !== 'succeeded' ? 'failed' : result.rebootRequired ? 'reboot-required' : null;
      if (halt) {
        await this.recordEnded(halt);
        return halt;
      }
    }
    await this.recordEnded();
    return 'succeeded';
  }

  /**
   * Asked before every step. A plain boolean is the answer at once; a promise means the hook may
   * wait (the agent does while it stops, until the journal is closed), so the step that just ended
   * is recorded and reported first: its result must not hang on that wait.
   */
  private async cancelled(): Promise<boolean> {
    const warn = (error: unknown) => {
      this.p.log.warn({ err: error }, 'cancel check failed; carrying on');
      return false;
    };
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.p.hooks.isCancelled?.() ?? false;
    } catch (error) {
      return warn(error);
    }
    if (!isThenable(answer)) return answer === true;
    const settled = Promise.resolve(answer).then((value) => value === true, warn);
    await this.recordEnded();
    return settled;
  }

  /** Writes the result of the step that just ended, if not written yet, and reports it. */
  private async recordEnded(halt: RunEnd | null = null): Promise<void> {
    const ended = this.ended;
    if (!ended) return;
    this.ended = null;
    await this.p.journal.stepFinished(ended.result, halt);
    this.results.push(ended.result);
    this.notify(() => this.p.hooks.onStepResult?.(ended.result, ended.progress));
  }

  private async execute(step: PlanStep): Promise<Execution> {
    const { sessions, plan } = this.p;
    try {
      if (step.session === 'close-session') {
        // Done once the process is told to exit: the next command waits until it is gone.
        sessions.close();
        return { kind: 'answered', ok: true, exit: null, stdout: '', stderr: '' };
      }
      return await sessions.execute(step.command, {
        fresh: step.session === 'new-session',
        replay: sessionReplay(plan, step),
        timeoutMs: this.p.stepTimeoutMs?.(step) ?? step.timeoutMs,
        prestart: newProcessAhead(plan, step),
      });
    } catch (error) {
      // Not expected (Sessions reports failures as values), but a bug must not pass as success.
      this.p.log.error({ err: error, stepId: step.id }, 'step execution threw');
      const reason = `The runner failed while running this step: ${(error as Error).message}`;
      return { kind: 'session-failed', stdout: '', stderr: '', reason };
    }
  }

  /** The full output goes to the local log file while the next step already runs. */
  private keepOutput(step: PlanStep, result: StepResult, execution: Execution): void {
    const entry = { ...result, stdout: execution.stdout, stderr: execution.stderr };
    this.outputWrites = this.outputWrites.then(() => this.p.outputLog.append(this.p.job, step, entry));
  }

  /** Calls hooks after the ones before them, each started at once; one that throws is logged. */
  private notify(...calls: (() => unknown)[]): void {
    const batch = () =>
      Promise.all(
        calls.map(async (call) => {
          try {
            await call();
          } catch (error) {
            // The result is safe in the journal's outbox; the transport resends it later.
            this.p.log.warn({ err: error }, 'run hook failed');
          }
        }),
      );
    this.notices = this.notices.then(batch);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
