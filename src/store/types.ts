import type { Edition, Plan, ProductFamily, StepId } from '../procedure/index.js';
import type { StepStatus } from '../protocol/messages.js';

/** A Teams user as the activity names them. */
export interface Person {
  /** Teams user id (29:...). */
  id: string;
  name: string;
  aadObjectId?: string | undefined;
}

export type RunStatus =
  /** plan card shown, not yet confirmed */
  | 'planned'
  /** confirmed, waiting for the configured number of approvals */
  | 'awaiting-approval'
  /** approved (or no approval needed), waiting for the runner to pick it up */
  | 'queued'
  | 'running'
  | 'succeeded'
  /** a step failed; the operator may retry the step or abort */
  | 'failed'
  /** the runner vanished mid-step; nothing is re-run until a human decides */
  | 'interrupted'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'aborted';

export const RUN_STATUSES: readonly RunStatus[] = [
  'planned',
  'awaiting-approval',
  'queued',
  'running',
  'succeeded',
  'failed',
  'interrupted',
  'cancelled',
  'rejected',
  'expired',
  'aborted',
];

export const ACTIVE_STATUSES: readonly RunStatus[] = [
  'awaiting-approval',
  'queued',
  'running',
  'failed',
  'interrupted',
];
export const FINAL_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'cancelled',
  'rejected',
  'expired',
  'aborted',
];

export interface Decision {
  by: Person;
  decision: 'approved' | 'rejected';
  at: string;
  reason?: string | undefined;
}

export type StepState = StepStatus | 'pending' | 'running';

export interface StepRecord {
  stepId: StepId;
  index: number;
  status: StepState;
  attempt: number;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  durationMs?: number | undefined;
  exitCode?: number | null | undefined;
  /** Capped output (full text stays on the runner). */
  stdout?: string | undefined;
  stderr?: string | undefined;
  errorExcerpt?: string | null | undefined;
  /** The installer succeeded but asks for a restart before the run may go on. */
  rebootRequired?: boolean | undefined;
  /**
   * Why the bot failed this step itself, or what the runner's refusal means, as an i18n key and
   * its parameters: shown on the cards in the reader's language, above any runner output.
   */
  notice?: StepNotice | undefined;
}

export interface StepNotice {
  key: 'run.not-picked-up' | 'run.declined';
  params: Record<string, string | number>;
}

export interface RunRecord {
  id: number;
  server: string;
  product: ProductFamily;
  edition: Edition;
  plan: Plan;
  /** 'update' (absent on older runs) or 'check': the readiness check, prestage steps only, zero downtime. */
  kind?: 'update' | 'check' | undefined;
  status: RunStatus;
  requestedBy: Person;
  requestedAt: string;
  /** Conversation the run was requested in; every message about it goes there. */
  conversationId: string;
  /** Locale for messages many people read (requester's, or the conversation's setting). */
  locale: string;
  approvalsRequired: number;
  decisions: Decision[];
  /** When a pending approval stops being valid. */
  expiresAt: string | null;
  /** Bumped on each retry; step results carry it. */
  attempt: number;
  /**
   * Random, made with the run: with `attempt` the job's identity on the runner (Job.key). Run
   * numbers repeat in a fresh or restored store; this does not. Absent from older runs (jobKeyOf).
   */
  jobKey?: string | undefined;
  /** When the run last became queued (approved, or retried): a runner must pick it up within the heartbeat timeout. */
  queuedAt?: string | null | undefined;
  steps: StepRecord[];
  startedAt: string | null;
  endedAt: string | null;
  downtimeStartedAt: string | null;
  downtimeEndedAt: string | null;
  cancelRequested: { by: Person; at: string } | null;
  /** Activity id of the card that shows this run (plan card, then progress). */
  cardActivityId: string | null;
  /** Downtime warnings already posted (minutes: 20, 30). */
  downtimeWarnings?: number[] | undefined;
}
