import type { RegisteredRunner, RunnerBackend } from '../../src/bot/runner-backend.js';
import type { Heartbeat, HeartbeatAnswer, Job, StepResult } from '../../src/protocol/messages.js';
import { resultKey } from '../../src/protocol/validate-messages.js';

/**
 * In-memory RunnerBackend for transport tests only. Jobs wait in a per-runner queue; a waiting
 * poll is woken the moment a job is offered (no timers), as the real backend must do.
 */
export class FakeBackend implements RunnerBackend {
  readonly runners = new Map<string, RegisteredRunner>();
  /** runId -> owning runner id. */
  readonly runOwners = new Map<number, string>();
  readonly recorded = new Map<string, StepResult>();
  readonly beats: Array<{ runnerId: string; beat: Heartbeat }> = [];
  readonly cancels = new Map<string, number[]>();
  readonly #queues = new Map<string, Job[]>();
  readonly #waiters = new Map<string, (job: Job) => void>();

  register(runnerId: string, secret: string, server: string): this {
    this.runners.set(runnerId, { secret, server });
    return this;
  }

  offerJob(runnerId: string, job: Job): void {
    this.runOwners.set(job.runId, runnerId);
    const waiter = this.#waiters.get(runnerId);
    if (waiter) {
      this.#waiters.delete(runnerId);
      waiter(job);
    } else {
      this.#queues.set(runnerId, [...(this.#queues.get(runnerId) ?? []), job]);
    }
  }

  get waitingRunners(): number {
    return this.#waiters.size;
  }

  async findRunner(runnerId: string): Promise<RegisteredRunner | null> {
    return this.runners.get(runnerId) ?? null;
  }

  waitForJob(runnerId: string, signal: AbortSignal): Promise<Job | null> {
    const queued = this.#queues.get(runnerId)?.shift();
    if (queued) return Promise.resolve(queued);
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const onAbort = () => {
        if (this.#waiters.get(runnerId) === deliver) this.#waiters.delete(runnerId);
        resolve(null);
      };
      const deliver = (job: Job) => {
        signal.removeEventListener('abort', onAbort);
        resolve(job);
      };
      this.#waiters.set(runnerId, deliver);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async acceptResult(runnerId: string, result: StepResult): Promise<'accepted' | 'duplicate' | 'forbidden'> {
    if (this.runOwners.get(result.runId) !== runnerId) return 'forbidden';
    const key = resultKey(result);
    if (this.recorded.has(key)) return 'duplicate';
    this.recorded.set(key, result);
    return 'accepted';
  }

  async heartbeat(runnerId: string, beat: Heartbeat): Promise<HeartbeatAnswer | 'forbidden'> {
    if (beat.runId !== null && this.runOwners.get(beat.runId) !== runnerId) return 'forbidden';
    this.beats.push({ runnerId, beat });
    return { cancel: this.cancels.get(runnerId) ?? [] };
  }
}
