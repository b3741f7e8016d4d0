import type { Logger } from '../log.js';
import { fail, type DomainError, type PlanStep, type StepId } from '../procedure/index.js';
import type { Heartbeat, HeartbeatAnswer, Job, RunnerInfo, StepResult } from '../protocol/messages.js';
import type { ResultAck } from '../protocol/validate-messages.js';
import { botUnavailable, RunnerApiError } from './client.js';
import type { RunHooks, RunReport } from './executor.js';
import type { FactsSource } from './facts.js';
import { resultKey, type Journal } from './journal.js';
import { notStartedResult } from './results.js';
import { pause, Wakeup } from './wakeup.js';

/** The three calls the agent makes to the bot (BotClient in production). */
export type AgentTransport = {
  pollJob(signal?: AbortSignal): Promise<Job | null>;
  sendResults(results: readonly StepResult[], signal?: AbortSignal): Promise<ResultAck[]>;
  heartbeat(beat: Heartbeat, signal?: AbortSignal): Promise<HeartbeatAnswer>;
};
export type JobExecutor = { run(rawJob: unknown, hooks?: RunHooks): Promise<RunReport> };
export type AgentJournal = Pick<
  Journal,
  'recover' | 'pendingResults' | 'pendingFor' | 'ack' | 'knows' | 'close'
>;

export interface RunnerAgentOptions {
  client: AgentTransport;
  executor: JobExecutor;
  /** Owned by the agent from start() on: stop() closes it. */
  journal: AgentJournal;
  info: RunnerInfo;
  logger: Logger;
  /** Time between heartbeats, busy or idle (default 5 s); a job start and each step start beat at once. */
  heartbeatIntervalMs?: number;
  /**
   * Backoff after a failed poll or delivery: doubles from baseMs up to maxMs (default 1 s to 30 s),
   * and up to unavailableMaxMs (default 4 s) while no bot answers at all (no connection, 502,
   * 503): that is a bot restarting or a standby taking over, and the run's results should reach
   * the new leader within seconds of it serving.
   */
  backoff?: { baseMs: number; maxMs: number; unavailableMaxMs?: number };
  /** How long stop() waits for the running step to end and for results to be delivered (default 5 s). */
  stopGraceMs?: number;
  /**
   * The server facts: read at start, after every job and every factsIntervalMs (default 60 min),
   * always between jobs, never while one runs; sent with the next heartbeat when they changed.
   */
  facts?: FactsSource;
  factsIntervalMs?: number;
  /**
   * Unchanged facts are sent again after this long (default 60 s), so a bot that came back with
   * another store (new, or restored from a backup) learns them soon without asking.
   */
  factsResendMs?: number;
  now?: () => Date;
}

/** The run held and the step running: what each heartbeat tells the bot. */
export interface HeldRun {
  runId: number;
  attempt: number;
  stepId: StepId | null;
}

const MIN_POLL_SPACING_MS = 200;

/**
 * The runner's main loop: transport + executor + journal. Three loops share one state: the job
 * loop (long-poll, run), the heartbeat loop (who we are and what we run; brings cancel requests
 * back) and the delivery loop (sends the journal's outbox in order and forgets a result only once
 * the bot acknowledged it). The executor never waits for the network: while the bot is
 * unreachable it works on, and results wait in the journal until the bot is back.
 */
export class RunnerAgent {
  readonly #o: RunnerAgentOptions;
  readonly #log: Logger;
  readonly #heartbeatMs: number;
  /** Ends the poll (and its backoff) only: a stopping agent takes no job but still delivers. */
  readonly #pollAbort = new AbortController();
  /** Ends the heartbeat and delivery calls once stop() has flushed what it could. */
  readonly #loopsAbort = new AbortController();
  readonly #beatWake = new Wakeup();
  readonly #deliveryWake = new Wakeup();
  /** Woken when a step ends or the outbox empties: what stop() waits for. */
  readonly #settled = new Wakeup();
  #held: HeldRun | null = null;
  #stepRunning = false;
  #cancelRequested = false;
  /** The bot's latest cancel list, so a job for an already-cancelled run stops before its first step. */
  #cancelRuns = new Set<number>();
  #loops: Promise<void>[] = [];
  #startCalled = false;
  #stopping: Promise<void> | null = null;
  /** Facts are read before the next poll: at start, and after a job ran. */
  #factsDue = true;
  #factsReadAt = 0;
  /** The facts (without readAt) the bot last acknowledged in a heartbeat answer, and when. */
  #factsSent: string | null = null;
  #factsSentAt = 0;

  constructor(options: RunnerAgentOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'agent', runnerId: options.info.runnerId });
    this.#heartbeatMs = options.heartbeatIntervalMs ?? 5000;
  }

  get currentRun(): Readonly<HeldRun> | null {
    return this.#held ? { ...this.#held } : null;
  }

  /**
   * Recovers from the journal (a step that was running when the runner died becomes an
   * 'interrupted' result and is never re-run), then starts the loops. Rejects when the journal
   * cannot be written: a runner that cannot record progress must not take jobs.
   */
  async start(): Promise<void> {
    if (this.#startCalled) throw new Error('the agent was already started');
    this.#startCalled = true;
    const recovered = await this.#o.journal.recover(this.#now());
    const unsent = this.#o.journal.pendingResults().length;
    this.#log.info({ recovered: recovered.length, unsent }, 'runner agent started');
    this.#loops = [this.#jobLoop(), this.#heartbeatLoop(), this.#deliveryLoop()];
  }

  /**
   * Takes no new job and starts no new step, ends the poll, waits up to stopGraceMs for the
   * running step to end and for the results to reach the bot, then closes the journal. A step
   * still running then is not killed (that could leave the server half-patched): it ends on its
   * own, its result is not recorded, and the next start reports it interrupted.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#pollAbort.abort();
    if (this.#loops.length > 0) {
      const deadline = Date.now() + (this.#o.stopGraceMs ?? 5000);
      const unsettled = () => this.#stepRunning || this.#o.journal.pendingResults().length > 0;
      this.#deliveryWake.wake();
      while (unsettled() && Date.now() < deadline) await this.#settled.wait(deadline - Date.now());
      const unsent = this.#o.journal.pendingResults().length;
      if (unsettled())
        this.#log.warn({ unsent, stepRunning: this.#stepRunning }, 'stopping before all is settled');
    }
    this.#loopsAbort.abort();
    for (const wakeup of [this.#beatWake, this.#deliveryWake, this.#settled]) wakeup.close();
    // The job loop may sit in a long step: it ends by itself at the executor's next journal write.
    await Promise.allSettled(this.#loops.slice(1));
    await this.#o.journal.close();
    this.#log.info('runner agent stopped');
  }

  async #jobLoop(): Promise<void> {
    const signal = this.#pollAbort.signal;
    let failures = 0;
    let repeatedOffers = 0;
    while (!signal.aborted) {
      await this.#readFactsIfDue();
      if (signal.aborted) break;
      const askedAt = Date.now();
      let job: Job | null;
      try {
        job = await this.#o.client.pollJob(signal);
        failures = 0;
      } catch (error) {
        const retryInMs = this.#backoff(++failures, error);
        this.#callFailed('poll', error, failures, retryInMs);
        await pause(retryInMs, signal);
        continue;
      }
      if (!job) {
        // A proxy that answers "no job" at once must not turn this into a busy loop.
        if (Date.now() - askedAt < MIN_POLL_SPACING_MS) await pause(MIN_POLL_SPACING_MS, signal);
        continue;
      }
      if (signal.aborted) break;
      const ran = await this.#runOffered(job);
      repeatedOffers = ran ? 0 : repeatedOffers + 1;
      // The bot offers a job until it hears of it: give the heartbeat and the results time to land.
      if (!ran) await pause(this.#backoff(repeatedOffers), signal);
    }
  }

  /** False when the job was not run: already started here, or refused. */
  async #runOffered(job: Job): Promise<boolean> {
    const log = this.#log.child({ runId: job.runId, attempt: job.attempt });
    if (this.#o.journal.knows(job)) {
      if (this.#o.journal.pendingFor(job).length > 0) {
        // Offered again because its results are still on their way: they say it is under way.
        log.info('job offered again; it was already started here, so it is not run again');
        this.#beatWake.wake();
        this.#deliveryWake.wake();
        return false;
      }
      // It ran here and the bot acknowledged every result, yet the bot offers it as new: the
      // bot's store is behind (restored from an older backup). Never run twice, never in silence.
      log.warn('job offered again although it already ran here; declined and reported');
      const known = fail(
        'job-already-run',
        `Run ${job.runId} attempt ${job.attempt} already ran on this server and the bot acknowledged its ` +
          "results, so it is not run again (was the bot's store restored from an older backup?). " +
          'Check the server, then retry (a new attempt) or abort.',
      );
      await this.#reportRefusal(job, known.error);
      return false;
    }
    this.#held = { runId: job.runId, attempt: job.attempt, stepId: null };
    this.#cancelRequested = this.#cancelRuns.has(job.runId);
    this.#beatWake.wake();
    let report: RunReport | null = null;
    // Whatever the outcome, the server may have changed: read the facts again before the next poll.
    this.#factsDue = true;
    try {
      report = await this.#o.executor.run(job, {
        onStepStarted: (step) => {
          if (this.#held) this.#held.stepId = step.id;
          this.#stepRunning = true;
          this.#beatWake.wake();
        },
        onStepResult: () => {
          this.#stepRunning = false;
          this.#settled.wake();
          this.#deliveryWake.wake();
        },
        isCancelled: () => this.#cancelBeforeNextStep(),
      });
    } catch (error) {
      log.error({ err: error }, 'the executor failed');
    } finally {
      this.#held = null;
      this.#stepRunning = false;
      this.#cancelRequested = false;
      this.#beatWake.wake();
      this.#deliveryWake.wake();
    }
    log.info({ outcome: report?.outcome ?? 'error', downtimeMs: report?.downtimeMs }, 'job ended');
    const openRunLeft =
      !report || report.outcome === 'journal-unavailable' || report.error?.code === 'runner-busy';
    if (openRunLeft && !this.#pollAbort.signal.aborted) {
      // A run may still be open in the journal: close it as interrupted before taking another job.
      await this.#recoverUntilWritable();
    }
    if (report?.outcome !== 'rejected' || !report.error) return true;
    await this.#reportRefusal(job, report.error);
    return false;
  }

  /**
   * Asked before every step: a plain answer, so the executor records the step that ended and the
   * start of the next in one journal write. While stop() runs, the executor waits here until the
   * journal is closed; its write-ahead record of the next step then fails, so that step never starts.
   */
  #cancelBeforeNextStep(): boolean | Promise<boolean> {
    if (this.#stopping) return this.#stopping.then(() => this.#cancelRequested);
    return this.#cancelRequested;
  }

  async #recoverUntilWritable(): Promise<void> {
    for (let failures = 1; !this.#pollAbort.signal.aborted; failures++) {
      try {
        await this.#o.journal.recover(this.#now());
        this.#deliveryWake.wake();
        return;
      } catch (error) {
        this.#log.error({ err: error }, 'the journal cannot be written; no job is taken until it can');
        await pause(this.#backoff(failures), this.#pollAbort.signal);
      }
    }
  }

  /**
   * A job this runner will never run (a step off its allow-list, a plan that differs from its own)
   * is reported as a failed first step, so the operator sees why rather than a run queued forever.
   */
  async #reportRefusal(job: Job, error: DomainError): Promise<void> {
    const stepId = job.steps[job.startIndex];
    if (error.code === 'runner-busy' || stepId === undefined) return;
    const reason = `The runner refused this job (${error.code}): ${error.message}`;
    // notStartedResult reads only the step's id and 1-based index.
    const step = { id: stepId, index: job.startIndex + 1 } as PlanStep;
    // Not journaled: the job never started. If this is lost, the bot offers the job again.
    await this.#o.client
      .sendResults(
        [{ ...notStartedResult(job, step, this.#now(), 'failed', reason), declined: error.code }],
        this.#loopsAbort.signal,
      )
      .catch((sendError: unknown) => this.#callFailed('refusal report', sendError, 1));
  }

  async #readFactsIfDue(): Promise<void> {
    const source = this.#o.facts;
    if (!source) return;
    const interval = this.#o.factsIntervalMs ?? 60 * 60_000;
    if (!this.#factsDue && Date.now() - this.#factsReadAt < interval) return;
    this.#factsDue = false;
    this.#factsReadAt = Date.now();
    // read() logs its own failures and never throws; the previous facts then stay.
    if (await source.read()) this.#beatWake.wake();
  }

  async #heartbeatLoop(): Promise<void> {
    let failures = 0;
    while (!this.#loopsAbort.signal.aborted) {
      const held = this.#held;
      const facts = this.#o.facts?.latest ?? null;
      const factsKey = facts ? JSON.stringify({ ...facts, readAt: null }) : null;
      const resendDue = Date.now() - this.#factsSentAt >= (this.#o.factsResendMs ?? 60_000);
      const beat: Heartbeat = {
        info: this.#o.info,
        ...(facts && (factsKey !== this.#factsSent || resendDue) ? { facts } : {}),
        runId: held?.runId ?? null,
        stepId: held?.stepId ?? null,
      };
      try {
        this.#noteCancels(await this.#o.client.heartbeat(beat, this.#loopsAbort.signal));
        if (beat.facts) {
          this.#factsSent = factsKey;
          this.#factsSentAt = Date.now();
        }
        if (failures > 0) {
          this.#log.info('the bot answers again');
          this.#deliveryWake.wake();
        }
        failures = 0;
      } catch (error) {
        this.#callFailed('heartbeat', error, ++failures);
        // The bot may come back with another store (restored, or new): tell it the facts again.
        this.#factsSent = null;
      }
      await this.#beatWake.wait(this.#heartbeatMs);
    }
  }

  #noteCancels(answer: HeartbeatAnswer): void {
    this.#cancelRuns = new Set(answer.cancel);
    const held = this.#held;
    if (held && this.#cancelRuns.has(held.runId) && !this.#cancelRequested) {
      this.#cancelRequested = true;
      this.#log.warn({ runId: held.runId }, 'cancel requested; the run stops before its next step');
    }
  }

  async #deliveryLoop(): Promise<void> {
    let failures = 0;
    while (!this.#loopsAbort.signal.aborted) {
      const pending = this.#o.journal.pendingResults();
      if (pending.length === 0) {
        this.#settled.wake();
        await this.#deliveryWake.wait(this.#heartbeatMs);
        continue;
      }
      const outcome = await this.#deliver(pending);
      if (outcome.delivered) {
        failures = 0;
        continue;
      }
      const retryInMs = this.#backoff(++failures, outcome.failure);
      if (outcome.failure !== undefined) this.#callFailed('results', outcome.failure, failures, retryInMs);
      await this.#deliveryWake.wait(retryInMs);
    }
  }

  /**
   * Sends the outbox in order and forgets what the bot acknowledged; not delivered: retry later
   * (`failure` is the failed call, for the backoff and the log; absent when the journal failed).
   */
  async #deliver(pending: StepResult[]): Promise<{ delivered: boolean; failure?: unknown }> {
    let acks: ResultAck[];
    let failure: unknown = null;
    try {
      acks = await this.#o.client.sendResults(pending, this.#loopsAbort.signal);
    } catch (error) {
      failure = error;
      acks = error instanceof RunnerApiError ? error.acks : [];
    }
    // 403: the bot says the run is not this runner's (removed, or the runner re-registered).
    // Resending can never succeed and would hold back every later result, so that one is dropped.
    const acked = new Set(acks.map(resultKey));
    const refused =
      failure instanceof RunnerApiError && failure.kind === 'forbidden'
        ? pending.find((r) => !acked.has(resultKey(r)))
        : undefined;
    try {
      for (const ack of acks) await this.#o.journal.ack(ack);
      if (refused) {
        const fields = { result: resultKey(refused), code: (failure as RunnerApiError).code };
        this.#log.error(
          fields,
          "the bot refused a result as not this runner's; dropped (full output kept locally)",
        );
        await this.#o.journal.ack(refused);
      }
    } catch (error) {
      if (!this.#loopsAbort.signal.aborted)
        this.#log.error({ err: error }, 'could not record acks in the journal');
      return { delivered: false };
    }
    return failure === null || refused !== undefined ? { delivered: true } : { delivered: false, failure };
  }

  #callFailed(call: string, error: unknown, failures: number, retryInMs?: number): void {
    const kind = error instanceof RunnerApiError ? error.kind : 'error';
    if (kind === 'aborted') return;
    const fields = {
      call,
      kind,
      failures,
      reason: error instanceof Error ? error.message : String(error),
      ...(retryInMs === undefined ? {} : { retryInMs }),
    };
    if (kind !== 'unavailable')
      this.#log.error(fields, 'the bot refused a call; check the runner id, secret and clock');
    else if (failures === 1) this.#log.warn(fields, 'the bot is unreachable; working on, results are kept');
    else this.#log.debug(fields, 'the bot is still unreachable');
  }

  /**
   * Doubles per failure up to the cap (a lower one when `cause` says no bot answered); half of it
   * random, so a fleet of runners does not retry in step.
   */
  #backoff(failures: number, cause?: unknown): number {
    const { baseMs, maxMs, unavailableMaxMs = 4_000 } = this.#o.backoff ?? { baseMs: 1000, maxMs: 30_000 };
    const noBot =
      cause instanceof RunnerApiError && cause.kind === 'unavailable' && botUnavailable(cause.status);
    const cap = noBot ? Math.min(maxMs, unavailableMaxMs) : maxMs;
    const ceiling = Math.min(cap, baseMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }
}
