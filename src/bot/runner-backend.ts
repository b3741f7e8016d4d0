import type { Heartbeat, HeartbeatAnswer, Job, StepResult } from '../protocol/messages.js';
import type { RefusalReason } from '../protocol/signing.js';

/**
 * Everything the runner API (src/bot/runner-api.ts) needs from the rest of the bot. The routes
 * authenticate and validate; the backend decides what a run, a job and a cancel mean.
 * Every argument it receives is already signature-checked and validated.
 */
export interface RunnerBackend {
  /** Secret and server of a registered runner, or null. */
  findRunner(runnerId: string): Promise<RegisteredRunner | null>;

  /**
   * Resolves with the runner's next job, or null when `signal` aborts first.
   *
   * Must be event-driven: resolve as soon as a job becomes available (the route promises pickup
   * within a second of approval), not on a timer. The route aborts `signal` when its long-poll
   * time is up, when the runner disconnects, when a newer poll from the same runner replaces this
   * one, and on shutdown; stop waiting and drop the listener then, so nothing leaks.
   *
   * Delivery is at-least-once: a job resolved here may still be lost on the wire (the connection
   * dies just as it is answered). So keep offering the same job (same runId and attempt) on later
   * polls until the runner reports a result or a heartbeat for it; the runner recognises a job it
   * already holds by (runId, attempt) and does not start it twice.
   */
  waitForJob(runnerId: string, signal: AbortSignal): Promise<Job | null>;

  /**
   * Records one step result; 'duplicate' when (runId, stepId, attempt) was already recorded (and
   * nothing changes); 'forbidden' when the run is not this runner's; 'not-dispatched' when it is
   * this runner's server's run but was never handed out (planned, awaiting approval, rejected,
   * expired): nothing changes.
   */
  acceptResult(
    runnerId: string,
    result: StepResult,
  ): Promise<'accepted' | 'duplicate' | 'forbidden' | 'not-dispatched'>;

  /**
   * Notes that the runner is alive and what it is doing, and answers with pending cancel requests.
   * Refinement of the original contract: 'forbidden' when `beat.runId` names a run that is not this
   * runner's, 'not-dispatched' when it names a run of this server that was never handed out (and
   * then nothing changes). (The route itself already refuses a beat whose runner id or server is not the caller's.)
   */
  heartbeat(runnerId: string, beat: Heartbeat): Promise<HeartbeatAnswer | 'forbidden' | 'not-dispatched'>;
}

export interface RegisteredRunner {
  /** The runner's own HMAC secret. Never logged, never sent anywhere. */
  secret: string;
  /** Host name of the one server this runner may patch and report for. */
  server: string;
}

export type RefusalEventReason =
  RefusalReason | 'not-own-run' | 'not-dispatched' | 'not-own-server' | 'not-own-runner-id';

/** One refused runner request, handed to RunnerApiOptions.onRefusal for the audit log. Never holds secrets. */
export interface RefusalEvent {
  /** The claimed runner id, only when it is well-formed. */
  runnerId: string | null;
  reason: RefusalEventReason;
  path: string;
  /** The run the refused message named, when it named one. */
  runId?: number | undefined;
  /** Socket address of the caller. */
  remote: string | null;
}
