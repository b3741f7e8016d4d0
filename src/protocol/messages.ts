import type { ServerFacts, ServerProfile, StepId, UpdatePackage, UpdateRequest } from '../procedure/index.js';

/**
 * The bot <-> runner contract. Runners connect out to the bot: they long-poll for a job, report
 * each step result, and heartbeat. A job names steps by id only; the runner rebuilds every
 * PowerShell command from its own catalog (src/procedure) and its own server profile.
 */

export const STEP_STATUSES = [
  'succeeded',
  'failed',
  'timed-out',
  'cancelled',
  'interrupted',
  'skipped',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface Job {
  /**
   * What makes this job unique beyond (runId, attempt): a random id the bot gives each run. Run
   * numbers start again in a fresh store and repeat after a restore from backup, so a runner
   * that kept its journal would otherwise take a new run for one it already ran. With `attempt`
   * it is the job's identity on the runner. Absent only from bots older than this field.
   */
  key?: string;
  runId: number;
  /** Bumped each time the operator retries; results are keyed by (runId, stepId, attempt). */
  attempt: number;
  server: string;
  request: UpdateRequest;
  /** The full step sequence the bot planned; the runner re-plans and refuses on any difference. */
  steps: StepId[];
  /** First step to execute (0 for a fresh run; on retry, resumeIndex() of the failed step). */
  startIndex: number;
  /**
   * 'update' (default when absent): the whole plan. 'check': the readiness check (`check <server>`),
   * only the steps before downtime; the runner refuses a check job whose steps reach downtime.
   */
  kind?: 'update' | 'check';
  /**
   * The package from the bot's catalog. The runner accepts it only from a source prefix in its own
   * config, and, when it has a local override package, only if it is that one. Absent from bots
   * older than the catalog (and from runs they stored): the runner then plans with its local
   * override package, and declines the job ('package-missing') when it has none.
   */
  package?: UpdatePackage;
}

export interface StepResult {
  /** The job's key (Job.key), so a result is never taken for another run with the same number. */
  key?: string;
  runId: number;
  attempt: number;
  stepId: StepId;
  /** 0-based position in the plan. */
  index: number;
  status: StepStatus;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** $LASTEXITCODE after the command, when a native program ran. */
  exitCode: number | null;
  /** Output capped for transport; the full text stays in the runner's local log. */
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Short, single-paragraph reason for a step that did not succeed. */
  errorExcerpt: string | null;
  /** The installer asked for a restart. */
  rebootRequired?: boolean;
  /**
   * Set when the runner declined the job and ran nothing (a DomainError code such as
   * 'plan-mismatch' or 'job-already-run'); the step is reported failed with the runner's reason.
   */
  declined?: string;
}

/**
 * The profile a runner reports. `package` is present only when the runner has a local override
 * (PATCHBOT_PACKAGE_* in runner.env): the bot then plans with that package, since the runner
 * declines any other ('package-not-local-override'). Without it the bot plans with its own
 * catalog and the runner checks the job's package against its allowed sources. Runners older than
 * the catalog always send a package; they run only that one, so the bot treats it as an override.
 */
export type ReportedProfile = Omit<ServerProfile, 'package'> & { package?: UpdatePackage };

/** What a runner tells the bot about itself on every heartbeat. */
export interface RunnerInfo {
  runnerId: string;
  version: string;
  profile: ReportedProfile;
}

export interface Heartbeat {
  info: RunnerInfo;
  /**
   * Sent when they changed since the last heartbeat the bot answered (and on the first one), and
   * again every minute unchanged, so a bot back with a new or restored store learns them soon.
   */
  facts?: ServerFacts;
  /** The run the runner is executing, if any. */
  runId: number | null;
  stepId: StepId | null;
}

export interface HeartbeatAnswer {
  /** Runs the operator asked to cancel; the runner stops before its next step. */
  cancel: number[];
}

/** Size caps on what crosses the wire and what the bot stores per step. */
export const OUTPUT_CAP_CHARS = 4000;
export const EXCERPT_CAP_CHARS = 400;
