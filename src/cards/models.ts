/**
 * The data each template in cards/ binds to. Every string here is already localized and
 * formatted; templates only place them. `<name>.sample.json` beside each template is an instance.
 */

export type TextColor = 'default' | 'dark' | 'light' | 'accent' | 'good' | 'warning' | 'attention';
export type ContainerStyle = 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';

export interface Fact {
  title: string;
  value: string;
}

export interface TextLine {
  text: string;
}

/** Teams re-fetches the card through `run.refresh` for these users (user-specific views). */
export interface RefreshModel {
  userIds: string[];
}

export interface StatusModel {
  icon: string;
  text: string;
  color: TextColor;
}

export interface ClockModel {
  label: string;
  value: string;
  /** '' when there is nothing to add. */
  note: string;
  color: TextColor;
}

export interface PlanStepModel {
  number: string;
  title: string;
  why: string;
  /** '' for a step that sends nothing to PowerShell. */
  command: string;
  /** The Microsoft command the wrapper runs (PlanStep.underlying), '' when there is none. */
  underlying: string;
  /** The localized label before it ("runs:"). */
  underlyingLabel: string;
  /** '' or "Downtime starts here" / "... ends ...". */
  marker: string;
}

export interface PhaseModel<Step> {
  heading: string;
  style: ContainerStyle;
  steps: Step[];
}

export interface DecisionModel {
  icon: string;
  text: string;
  /** '' when the approver gave none. */
  reason: string;
}

export interface PlanCardModel {
  lang: string;
  /** 0 on a preview (no actions are shown then). */
  runId: number;
  refresh: RefreshModel | null;
  title: string;
  facts: Fact[];
  /** What the plan card must say about this plan (version change, facts used, force, graceful, a fresh check). */
  notes: TextLine[];
  downtime: { heading: string; window: string; typical: string; resiliency: string };
  phases: PhaseModel<PlanStepModel>[];
  state: StatusModel & { note: string };
  decisions: DecisionModel[];
  reason: { show: boolean; label: string; placeholder: string };
  actions: { confirm: boolean; cancel: boolean; approve: boolean; reject: boolean };
  labels: { confirm: string; cancel: string; approve: string; reject: string };
}

/** One pre-check on the readiness card. */
export interface ReadinessItemModel {
  icon: string;
  title: string;
  /** The step's last output line, its error, or "not checked yet". */
  detail: string;
  color: TextColor;
}

export interface ReadinessCardModel {
  lang: string;
  runId: number;
  title: string;
  subtitle: string;
  facts: Fact[];
  items: ReadinessItemModel[];
  /** Checking n of N, ready, or not ready (and why). */
  state: StatusModel & { note: string };
}

export interface ProgressStepModel {
  icon: string;
  number: string;
  title: string;
  /** Duration, or time so far for the running step; '' when not started. */
  detail: string;
}

export interface ProgressCardModel {
  lang: string;
  runId: number;
  refresh: RefreshModel | null;
  title: string;
  subtitle: string;
  status: StatusModel;
  position: string;
  downtime: ClockModel;
  facts: Fact[];
  phases: PhaseModel<ProgressStepModel>[];
}

export interface OutputModel {
  label: string;
  lines: TextLine[];
}

export interface StepResultCardModel {
  lang: string;
  runId: number;
  heading: string;
  status: StatusModel;
  facts: Fact[];
  output: OutputModel;
  errors: OutputModel;
  /** '' unless lines were left out. */
  truncated: string;
}

export interface FailureCardModel {
  lang: string;
  runId: number;
  stepId: string;
  attempt: number;
  refresh: RefreshModel | null;
  title: string;
  heading: string;
  why: string;
  status: StatusModel;
  facts: Fact[];
  error: OutputModel;
  /** '' when the services are not stopped. */
  downtime: string;
  guidance: { text: string; color: TextColor };
  check: { show: boolean; title: string };
  actions: { retry: boolean; abort: boolean };
  labels: { retry: string; abort: string };
}

export interface SummaryCardModel {
  lang: string;
  runId: number;
  title: string;
  status: StatusModel;
  facts: Fact[];
  downtime: ClockModel;
  steps: string;
}

export interface HelpCommandModel {
  name: string;
  usage: string;
  description: string;
  example: string;
  /** '' when the command has no other names or this is the overview. */
  aliases: string;
  args: TextLine[];
}

export interface HelpCardModel {
  lang: string;
  title: string;
  /** '' on a single command's help. */
  intro: string;
  labels: { usage: string; example: string; arguments: string };
  commands: HelpCommandModel[];
  notes: TextLine[];
}

/** One row of the status, history and runners lists. */
export interface ListItemModel {
  heading: string;
  status: StatusModel;
  facts: Fact[];
}

export interface ListCardModel {
  lang: string;
  title: string;
  /** A count line, or the "nothing here" message when items is empty. */
  summary: string;
  items: ListItemModel[];
}

export type StatusCardModel = ListCardModel;
/** `prediction`: predicted downtime for the one server the list is limited to ('' for all servers). */
export type HistoryCardModel = ListCardModel & { prediction: string };
export type RunnersCardModel = ListCardModel;
export type VersionsCardModel = ListCardModel;
/** A catalog entry: `details` (source, hash) are shown in full, apart from the facts. */
export type PackageItemModel = ListItemModel & { details: Fact[] };
export type PackagesCardModel = Omit<ListCardModel, 'items'> & { items: PackageItemModel[] };

/** A proposed package catalog change waiting for (or done with) approvals. */
export interface PackageChangeCardModel {
  lang: string;
  title: string;
  status: StatusModel;
  note: string;
  facts: Fact[];
  /** Source and hash, in full. */
  details: Fact[];
  changeId: number;
  showApproval: boolean;
  labels: { approve: string; reject: string };
  refresh: RefreshModel | null;
}

export interface CardModels {
  plan: PlanCardModel;
  progress: ProgressCardModel;
  'step-result': StepResultCardModel;
  failure: FailureCardModel;
  summary: SummaryCardModel;
  help: HelpCardModel;
  status: StatusCardModel;
  history: HistoryCardModel;
  runners: RunnersCardModel;
  readiness: ReadinessCardModel;
  versions: VersionsCardModel;
  packages: PackagesCardModel;
  'packages-change': PackageChangeCardModel;
}

export type CardTemplateName = keyof CardModels;

export const CARD_TEMPLATE_NAMES: readonly CardTemplateName[] = [
  'plan',
  'progress',
  'step-result',
  'failure',
  'summary',
  'help',
  'status',
  'history',
  'runners',
  'readiness',
  'versions',
  'packages',
  'packages-change',
];
