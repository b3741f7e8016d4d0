import type { CommandName } from '../commands/index.js';
import type { DowntimePrediction } from '../fleet/downtime.js';
import type { FleetRow } from '../fleet/versions.js';
import type { CatalogPackage, PackageChange } from '../store/package-catalog.js';
import type { Translator } from '../i18n/index.js';
import type { Plan } from '../procedure/index.js';
import type { RunnerRecord } from '../store/store.js';
import type { Person, RunRecord, StepRecord } from '../store/types.js';
import type { CardAttachment } from './turn.js';

/** The cards dialogs and the presenter show; implemented over the templates in cards/. */
export interface Views {
  /** `plan`: the plan with no actions. */
  preview(plan: Plan, t: Translator): CardAttachment;
  /**
   * The one card that shows a run in the conversation, for its current state: the plan with
   * Confirm / Cancel, waiting for approval (Approve / Reject for approvers when `viewer` is one),
   * progress, or the final state.
   */
  runCard(run: RunRecord, t: Translator, viewer?: Person): CardAttachment;
  stepReply(run: RunRecord, step: StepRecord, t: Translator): CardAttachment;
  failure(run: RunRecord, step: StepRecord, t: Translator): CardAttachment;
  summary(run: RunRecord, t: Translator): CardAttachment;
  help(t: Translator, topic: CommandName | null): CardAttachment;
  status(runs: RunRecord[], t: Translator): CardAttachment;
  /**
   * Finished runs; `server` when the list is limited to one server (it goes into the title, with
   * that server's predicted downtime).
   */
  history(
    runs: RunRecord[],
    t: Translator,
    server?: string | null,
    prediction?: DowntimePrediction | null,
  ): CardAttachment;
  /** `versions`: the fleet, one row per server. */
  versions(rows: FleetRow[], t: Translator): CardAttachment;
  /** `packages`: the catalog and the changes waiting for approval. */
  packages(packages: CatalogPackage[], pending: PackageChange[], t: Translator): CardAttachment;
  /** A proposed catalog change; Approve / Reject for approvers other than the proposer. */
  packageChange(change: PackageChange, t: Translator, viewer?: Person): CardAttachment;
  /** Registered runners, each with the run it is executing (if any). */
  runners(runners: (RunnerRecord & { currentRunId?: number | null })[], t: Translator): CardAttachment;
}
