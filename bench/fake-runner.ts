import { silentLogger } from '../src/log.js';
import type { Job, StepResult } from '../src/protocol/messages.js';
import { BotClient } from '../src/runner/client.js';
import type { SeededRunner } from './seed-store.js';

/**
 * A lightweight stand-in for a runner agent: the real signed transport (BotClient), no PowerShell.
 * Benchmarks script it: poll for a job, heartbeat, report results when told to.
 */
export class FakeRunner {
  readonly client: BotClient;
  readonly runnerId: string;
  private readonly stopPolling = new AbortController();
  private polling: Promise<void> | undefined;
  private offered: (job: Job) => void = () => undefined;
  private readonly received = new Promise<Job>((resolve) => (this.offered = resolve));

  constructor(
    botUrl: string,
    private readonly runner: SeededRunner,
    options: { pollWaitMs?: number } = {},
  ) {
    this.runnerId = runner.record.id;
    this.client = new BotClient({
      baseUrl: botUrl,
      runnerId: runner.record.id,
      secret: runner.record.secret,
      logger: silentLogger(),
      pollWaitMs: options.pollWaitMs ?? 25_000,
      retry: { maxAttempts: 3, baseDelayMs: 200 },
    });
  }

  get server(): string {
    return this.runner.record.server;
  }

  heartbeat(runId: number | null = null, stepId: Job['steps'][number] | null = null) {
    return this.client.heartbeat(
      { info: { runnerId: this.runnerId, version: 'bench', profile: this.runner.profile }, runId, stepId },
      this.stopPolling.signal,
    );
  }

  /**
   * Long-polls as an idle agent does, until a job arrives; then stops polling, as a busy agent
   * does (its job loop is running the job). `job` resolves with it.
   */
  startPolling(): void {
    if (this.polling) return;
    this.polling = (async () => {
      while (!this.stopPolling.signal.aborted) {
        try {
          const job = await this.client.pollJob(this.stopPolling.signal);
          if (job) return this.offered(job);
        } catch {
          if (!this.stopPolling.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
  }

  /** The job this runner was offered; rejects after `timeoutMs`. */
  job(timeoutMs: number): Promise<Job> {
    this.startPolling();
    return new Promise<Job>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.runnerId}: no job within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void this.received.then((job) => {
        clearTimeout(timer);
        resolve(job);
      });
    });
  }

  sendResult(job: Job, index: number, marker: string): Promise<unknown> {
    return this.client.sendResults([stepResult(job, index, marker)], this.stopPolling.signal);
  }

  stop(): void {
    this.stopPolling.abort();
  }
}

/** A succeeded step whose output carries `marker`, so the step reply can be recognised in Teams. */
export function stepResult(job: Job, index: number, marker: string): StepResult {
  const stepId = job.steps[index];
  if (stepId === undefined) throw new Error(`job ${job.runId} has no step ${index}`);
  const endedAt = new Date();
  return {
    runId: job.runId,
    attempt: job.attempt,
    stepId,
    index,
    status: 'succeeded',
    startedAt: new Date(endedAt.getTime() - 1000).toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: 1000,
    exitCode: 0,
    stdout: marker,
    stderr: '',
    truncated: false,
    errorExcerpt: null,
  };
}
