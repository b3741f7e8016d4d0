import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Logger } from '../log.js';
import type { StepId } from '../procedure/index.js';
import type { Job, StepResult } from '../protocol/messages.js';

/** Results are idempotent on the bot side by (runId, stepId, attempt), within one job key. */
export type ResultKey = Pick<StepResult, 'runId' | 'stepId' | 'attempt' | 'key'>;

export function resultKey(key: ResultKey): string {
  return `${key.key === undefined ? '' : `${key.key}#`}${key.runId}/${key.stepId}/${key.attempt}`;
}

/** Which job a run, result or job belongs to: its key and attempt (runId and attempt for keyless jobs from older bots). */
export type RunRef = { runId: number; attempt: number; key?: string | undefined };

export function jobIdentity(ref: RunRef): string {
  return ref.key === undefined ? `${ref.runId}/${ref.attempt}` : `${ref.key}#${ref.runId}/${ref.attempt}`;
}

export type RunEnd = 'succeeded' | 'failed' | 'cancelled' | 'reboot-required' | 'interrupted';

export interface JournalRun {
  /** The job's key (Job.key); absent for jobs from bots older than it. */
  key?: string;
  runId: number;
  attempt: number;
  server: string;
  steps: StepId[];
  startIndex: number;
  startedAt: string;
  /** Index of the next step to start; the executor never goes back. */
  nextIndex: number;
  /** The step that was sent to PowerShell and has no result yet. */
  current: { stepId: StepId; index: number; startedAt: string } | null;
  /** A step result ended the run (failure, cancel, reboot), even if `end` was never written. */
  haltedAs: RunEnd | null;
  end: RunEnd | null;
}

interface JournalData {
  version: 1;
  runs: JournalRun[];
  /** Results not yet acknowledged by the bot, in the order they happened. */
  outbox: StepResult[];
  /** Recently finished and pruned runs (jobIdentity), so a re-delivered job is not re-run. */
  finished: string[];
}

/** How many finished run keys to remember (a bot re-delivering an older job is unlikely). */
const FINISHED_MEMORY = 200;

export class JournalClosedError extends Error {
  constructor() {
    super('the journal is closed');
  }
}

/**
 * The runner's local memory of what it did, so a crash never loses a result and never re-runs a
 * step that may have half-happened. A lowdb JSON file written atomically (temp file + rename);
 * every change goes through one promise chain, because lowdb rewrites the whole file and two
 * overlapping writes would lose one of them. Finished, acknowledged runs are pruned to keep the
 * file (and so every write) small.
 */
export class Journal {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly db: Low<JournalData>,
    readonly file: string,
    private readonly logger: Logger,
    private readonly rememberFinished: number,
  ) {}

  /** Opens (or creates) the journal. A corrupt file is an error and is never overwritten. */
  static async open(
    file: string,
    logger: Logger,
    options: { rememberFinished?: number } = {},
  ): Promise<Journal> {
    await mkdir(dirname(file), { recursive: true });
    const db = new Low<JournalData>(new JSONFile<JournalData>(file), emptyJournal());
    try {
      await db.read();
    } catch (error) {
      throw new Error(
        `The runner journal ${file} is not valid JSON (${(error as Error).message}). It was left as it is; ` +
          'move it aside to start with an empty journal, after checking which run it recorded.',
      );
    }
    const data: unknown = db.data;
    if (!isJournalData(data)) {
      throw new Error(
        `The runner journal ${file} does not look like a journal (version 1); it was left as it is.`,
      );
    }
    return new Journal(db, file, logger, options.rememberFinished ?? FINISHED_MEMORY);
  }

  /** The run that started and has not finished, if any. */
  activeRun(): JournalRun | null {
    return this.db.data.runs.find((r) => r.end === null) ?? null;
  }

  /**
   * True when this job (key and attempt) was already started here (running, finished or pruned).
   * A run of another store with the same number has another key, so it is a new job.
   */
  knows(job: RunRef): boolean;
  /** The keyless form (runId, attempt), as jobs from bots older than Job.key name themselves. */
  knows(runId: number, attempt: number): boolean;
  knows(job: RunRef | number, attempt?: number): boolean {
    const identity = jobIdentity(typeof job === 'number' ? { runId: job, attempt: attempt ?? 0 } : job);
    return (
      this.db.data.runs.some((r) => jobIdentity(r) === identity) || this.db.data.finished.includes(identity)
    );
  }

  /** Results of this job still waiting for the bot's acknowledgement. */
  pendingFor(job: RunRef): StepResult[] {
    const identity = jobIdentity(job);
    return this.db.data.outbox.filter((r) => jobIdentity(r) === identity).map((r) => ({ ...r }));
  }

  pendingResults(): StepResult[] {
    return this.db.data.outbox.map((r) => ({ ...r }));
  }

  beginRun(job: Job, startedAt: string): Promise<void> {
    return this.change((data) => {
      data.runs.push({
        ...(job.key === undefined ? {} : { key: job.key }),
        runId: job.runId,
        attempt: job.attempt,
        server: job.server,
        steps: [...job.steps],
        startIndex: job.startIndex,
        startedAt,
        nextIndex: job.startIndex,
        current: null,
        haltedAs: null,
        end: null,
      });
    });
  }

  /** Written (and flushed) before the command goes to PowerShell: the write-ahead record. */
  stepStarted(run: RunRef, step: { stepId: StepId; index: number; startedAt: string }): Promise<void> {
    return this.change((data) => startStep(data, run, step));
  }

  /** `haltsAs`: how the run ends because of this result, or null when the run goes on. */
  stepFinished(result: StepResult, haltsAs: RunEnd | null): Promise<void> {
    return this.change((data) => recordResult(data, result, haltsAs));
  }

  /**
   * stepFinished + stepStarted of the next step in one write (one write per step in the downtime
   * window). A crash before it reports the ended step interrupted, after it the next one, both
   * "may have partly happened"; "finished, next never started" is never on disk in between.
   */
  stepFinishedAndStarted(
    result: StepResult,
    next: { stepId: StepId; index: number; startedAt: string },
  ): Promise<void> {
    return this.change((data) => {
      recordResult(data, result, null);
      startStep(data, result, next);
    });
  }

  finishRun(run: RunRef, end: RunEnd): Promise<void> {
    return this.change((data) => {
      findRun(data, run).end = end;
      prune(data, this.rememberFinished);
    });
  }

  /** The bot has stored this result: forget it, and the run once nothing of it is left to send. */
  ack(key: ResultKey): Promise<boolean> {
    let found = false;
    return this.change((data) => {
      const before = data.outbox.length;
      data.outbox = data.outbox.filter((r) => resultKey(r) !== resultKey(key));
      found = data.outbox.length !== before;
      prune(data, this.rememberFinished);
    }).then(() => found);
  }

  /**
   * After a crash: a run that never finished is ended here. The step that was running is reported
   * `interrupted` (it may have half-happened, so it is never re-run without a human). If the crash
   * fell between two steps, the next step is reported `interrupted` too, saying it never started.
   * Returns the new results (they are also in the outbox). Safe to call on a clean journal.
   */
  recover(now: Date = new Date()): Promise<StepResult[]> {
    const created: StepResult[] = [];
    return this.change((data) => {
      for (const run of data.runs.filter((r) => r.end === null)) {
        const result = interruptedResult(run, now);
        if (result) {
          data.outbox.push(result);
          created.push(result);
        }
        run.current = null;
        // Without a new result the run had already ended by its last step; only `end` was lost.
        run.end = result ? 'interrupted' : (run.haltedAs ?? 'succeeded');
      }
      prune(data, this.rememberFinished);
    }).then(() => {
      if (created.length > 0)
        this.logger.warn({ results: created.map(resultKey) }, 'recovered interrupted steps');
      return created;
    });
  }

  /** Waits for queued writes, then refuses any more (a crashed runner writes nothing either). */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail.catch(() => undefined);
  }

  private change(mutate: (data: JournalData) => void): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    const next = this.tail.then(async () => {
      if (this.closed) throw new JournalClosedError();
      mutate(this.db.data);
      await this.db.write();
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function interruptedResult(run: JournalRun, now: Date): StepResult | null {
  const endedAt = now.toISOString();
  if (run.current) {
    const started = Date.parse(run.current.startedAt);
    return {
      ...(run.key === undefined ? {} : { key: run.key }),
      runId: run.runId,
      attempt: run.attempt,
      stepId: run.current.stepId,
      index: run.current.index,
      status: 'interrupted',
      startedAt: run.current.startedAt,
      endedAt,
      durationMs: Number.isFinite(started) ? Math.max(0, now.getTime() - started) : 0,
      exitCode: null,
      stdout: '',
      stderr: '',
      truncated: false,
      errorExcerpt:
        'The runner stopped while this step was running, so it may have partly happened. ' +
        'Check the server before retrying this step.',
    };
  }
  const next = run.steps[run.nextIndex];
  if (run.haltedAs !== null || next === undefined) return null;
  return {
    ...(run.key === undefined ? {} : { key: run.key }),
    runId: run.runId,
    attempt: run.attempt,
    stepId: next,
    index: run.nextIndex,
    status: 'interrupted',
    startedAt: endedAt,
    endedAt,
    durationMs: 0,
    exitCode: null,
    stdout: '',
    stderr: '',
    truncated: false,
    errorExcerpt: 'The runner stopped between steps; this step never started.',
  };
}

function startStep(
  data: JournalData,
  run: RunRef,
  step: { stepId: StepId; index: number; startedAt: string },
): void {
  const entry = findRun(data, run);
  entry.current = { ...step };
  entry.nextIndex = step.index + 1;
}

function recordResult(data: JournalData, result: StepResult, haltsAs: RunEnd | null): void {
  const entry = findRun(data, result);
  entry.current = null;
  entry.nextIndex = Math.max(entry.nextIndex, result.index + 1);
  entry.haltedAs = entry.haltedAs ?? haltsAs;
  data.outbox = data.outbox.filter((r) => resultKey(r) !== resultKey(result));
  data.outbox.push(result);
}

function findRun(data: JournalData, ref: RunRef): JournalRun {
  const identity = jobIdentity(ref);
  const run = data.runs.find((r) => jobIdentity(r) === identity);
  if (!run) throw new Error(`the journal has no run ${ref.runId} attempt ${ref.attempt}`);
  return run;
}

function prune(data: JournalData, remember: number): void {
  const keep: JournalRun[] = [];
  for (const run of data.runs) {
    const unsent = data.outbox.some((r) => jobIdentity(r) === jobIdentity(run));
    if (run.end !== null && !unsent) data.finished.push(jobIdentity(run));
    else keep.push(run);
  }
  data.runs = keep;
  if (data.finished.length > remember) data.finished = data.finished.slice(-remember);
}

function emptyJournal(): JournalData {
  return { version: 1, runs: [], outbox: [], finished: [] };
}

function isJournalData(value: unknown): value is JournalData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<JournalData>;
  return v.version === 1 && Array.isArray(v.runs) && Array.isArray(v.outbox) && Array.isArray(v.finished);
}
