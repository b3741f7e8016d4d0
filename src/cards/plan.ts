import type { Plan, PlanStep } from '../procedure/index.js';

/** Same key as src/runs (PREDICTED_DOWNTIME_NOTE); the card does not import the run layer. */
const PREDICTED_DOWNTIME_NOTE = 'update.note.predicted-downtime';
import { editionName, productName, stepTitle, stepWhy, variantName, type Translator } from '../i18n/index.js';
import type { Decision, Person, RunRecord, RunStatus } from '../store/types.js';
import {
  decisionModels,
  groupByPhase,
  personName,
  refreshModel,
  runStatusModel,
  type CardOptions,
} from './common.js';
import type { Fact, PlanCardModel, PlanStepModel, TextLine } from './models.js';

/** What the plan card shows around the plan itself. Everything is optional; a bare call is a preview. */
export interface PlanCardView extends CardOptions {
  /** The run's number; leave out for a `plan` preview, which never has actions. */
  runId?: number | null;
  status?: RunStatus;
  requestedBy?: Person | null;
  decisions?: readonly Decision[];
  approvalsRequired?: number;
  /** Confirm / Cancel (for the requester while the run is `planned`). */
  showConfirm?: boolean;
  /** Approve / Reject and the reason box (for approvers while approval is pending). */
  showApproval?: boolean;
  /** Users Teams should fetch a user-specific view for (through `run.refresh`). */
  refreshUserIds?: readonly string[];
  expiresAt?: string | null;
}

/** The plan card: server, product, every step with its command grouped by phase, the downtime window and state. */
export function planCard(plan: Plan, view: PlanCardView, t: Translator): PlanCardModel {
  const runId = view.runId ?? null;
  const server = plan.request.server;
  const decisions = view.decisions ?? [];
  const showConfirm = runId !== null && view.showConfirm === true;
  const showApproval = runId !== null && view.showApproval === true;
  return {
    lang: t.locale,
    runId: runId ?? 0,
    refresh: runId === null ? null : refreshModel(view.refreshUserIds),
    title: runId === null ? t.t('card.plan.title', { server }) : t.t('card.run.title', { runId, server }),
    facts: planFacts(plan, view, t),
    notes: planNotes(plan, view, t),
    downtime: downtimeNote(plan, t),
    phases: planPhases(plan, t),
    state: planState(view, decisions, t),
    decisions: decisionModels(decisions, t, view),
    reason: {
      show: showApproval,
      label: t.t('card.reason.label'),
      placeholder: t.t('card.reason.placeholder'),
    },
    actions: { confirm: showConfirm, cancel: showConfirm, approve: showApproval, reject: showApproval },
    labels: {
      confirm: t.t('card.action.confirm'),
      cancel: t.t('card.action.cancel'),
      approve: t.t('card.action.approve'),
      reject: t.t('card.action.reject'),
    },
  };
}

/** The plan card for a stored run; `view` decides which actions this audience sees. */
export function planCardForRun(
  run: RunRecord,
  view: Pick<PlanCardView, 'showConfirm' | 'showApproval' | 'refreshUserIds' | 'timeZone'>,
  t: Translator,
): PlanCardModel {
  return planCard(
    run.plan,
    {
      ...view,
      runId: run.id,
      status: run.status,
      requestedBy: run.requestedBy,
      decisions: run.decisions,
      approvalsRequired: run.approvalsRequired,
      expiresAt: run.expiresAt,
    },
    t,
  );
}

function planFacts(plan: Plan, view: PlanCardView, t: Translator): Fact[] {
  const facts: Fact[] = [
    { title: t.t('card.fact.server'), value: plan.request.server },
    { title: t.t('card.fact.product'), value: productName(t, plan.product) },
    { title: t.t('card.fact.edition'), value: editionName(t, plan.request.edition) },
    { title: t.t('card.fact.databases'), value: variantName(t, plan.variant) },
  ];
  if (plan.request.sqlServerFqdn)
    facts.push({ title: t.t('card.fact.sql'), value: plan.request.sqlServerFqdn });
  if (plan.package) facts.push({ title: t.t('card.fact.package'), value: plan.package.version });
  facts.push({ title: t.t('card.fact.steps'), value: String(plan.steps.length) });
  if (view.requestedBy)
    facts.push({ title: t.t('card.fact.requested-by'), value: personName(view.requestedBy) });
  return facts;
}

/** Notes are i18n keys with parameters; a parameter that is a time is shown as a local date. */
function planNotes(plan: Plan, view: PlanCardView, t: Translator): TextLine[] {
  return (plan.notes ?? [])
    .filter((note) => note.key !== PREDICTED_DOWNTIME_NOTE)
    .map((note) => {
      const params: Record<string, string | number> = { ...note.params };
      for (const [key, value] of Object.entries(params)) {
        if (typeof value === 'string' && ISO_TIME.test(value))
          params[key] = t.formatDateTime(value, view.timeZone);
      }
      return { text: t.t(note.key, params) };
    });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function stepIndex(plan: Plan, id: PlanStep['id']): number {
  return plan.steps.find((s) => s.id === id)?.index ?? 0;
}

function downtimeNote(plan: Plan, t: Translator): PlanCardModel['downtime'] {
  return {
    heading: t.t('card.downtime.heading'),
    window: t.t('card.downtime.window', {
      first: stepIndex(plan, plan.downtimeStartsAt),
      last: stepIndex(plan, plan.downtimeEndsAfter),
    }),
    typical: typicalLine(plan, t),
    resiliency: t.t('card.downtime.resiliency'),
  };
}

/** This server's own median and worst downtime when it has history, else the product's typical figure. */
function typicalLine(plan: Plan, t: Translator): string {
  const predicted = plan.notes?.find((n) => n.key === PREDICTED_DOWNTIME_NOTE)?.params;
  const median = Number(predicted?.medianMs);
  const worst = Number(predicted?.worstMs);
  if (!predicted || !Number.isFinite(median) || !Number.isFinite(worst))
    return t.t('card.downtime.typical', { minutes: plan.typicalDowntimeMinutes });
  return t.plural('update.downtime.predicted', Number(predicted.runs) || 1, {
    median: t.formatDuration(median),
    worst: t.formatDuration(worst),
  });
}

function planPhases(plan: Plan, t: Translator): PlanCardModel['phases'] {
  const toStep = (step: PlanStep): PlanStepModel => ({
    number: String(step.index),
    title: stepTitle(t, step.id, plan.product),
    why: stepWhy(t, step.id, plan.product),
    command: step.command,
    underlying: step.underlying ?? '',
    underlyingLabel: step.underlying ? t.t('card.plan.runs') : '',
    marker:
      step.id === plan.downtimeStartsAt
        ? t.t('card.downtime.starts')
        : step.id === plan.downtimeEndsAfter
          ? t.t('card.downtime.ends')
          : '',
  });
  return groupByPhase(plan.steps, (s) => s.phase, toStep, t);
}

function planState(
  view: PlanCardView,
  decisions: readonly Decision[],
  t: Translator,
): PlanCardModel['state'] {
  if (view.runId === undefined || view.runId === null) {
    return { icon: '👁️', text: t.t('card.plan.preview'), color: 'accent', note: needsApproval(view, t) };
  }
  const status = view.status ?? 'planned';
  if (status === 'awaiting-approval') {
    const approvals = decisions.filter((d) => d.decision === 'approved').length;
    const text = t.t('card.plan.awaiting', { count: approvals, required: view.approvalsRequired ?? 0 });
    const note = view.expiresAt
      ? t.t('card.plan.expires', { time: t.formatDateTime(view.expiresAt, view.timeZone) })
      : '';
    return { ...runStatusModel(t, status), text, note };
  }
  return { ...runStatusModel(t, status), note: status === 'planned' ? needsApproval(view, t) : '' };
}

function needsApproval(view: PlanCardView, t: Translator): string {
  const required = view.approvalsRequired ?? 0;
  return required > 0 ? t.plural('card.plan.needs-approval', required) : '';
}
