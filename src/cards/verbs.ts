/**
 * Action.Execute verbs: the one list shared by the JSON templates in cards/ and the invoke
 * handlers (one handler per verb). A test checks every template uses only these.
 */
export const VERBS = {
  planConfirm: 'plan.confirm',
  planCancel: 'plan.cancel',
  runApprove: 'run.approve',
  runReject: 'run.reject',
  runRetry: 'run.retry',
  runAbort: 'run.abort',
  runRefresh: 'run.refresh',
  /** Package catalog changes (`package add/remove`); their data carries changeId, not runId. */
  packageApprove: 'package.approve',
  packageReject: 'package.reject',
  packageRefresh: 'package.refresh',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];

export const ALL_VERBS: readonly Verb[] = Object.values(VERBS);

export function isVerb(value: unknown): value is Verb {
  return typeof value === 'string' && (ALL_VERBS as readonly string[]).includes(value);
}

/** Ids of the inputs whose values Teams merges into the action's data. */
export const INPUT_IDS = {
  /** Input.Text on the plan card: the approver's optional reason. */
  reason: 'reason',
  /** Input.Toggle on the failure card: "true" once the operator has looked at the server. */
  serverChecked: 'checked',
} as const;

/** What every action's data carries; run.retry adds the step and attempt it was shown for. */
export interface ActionData {
  runId: number;
  stepId?: string;
  attempt?: number;
  reason?: string;
  checked?: 'true' | 'false';
}
