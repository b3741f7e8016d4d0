import { stepTitle, type Translator } from '../i18n/index.js';
import type { RunRecord } from '../store/types.js';
import {
  downtimeClock,
  groupByPhase,
  refreshModel,
  runStatusModel,
  stepStateModel,
  type CardOptions,
} from './common.js';
import type { Fact, ProgressCardModel } from './models.js';
import {
  approvedFact,
  elapsedFact,
  positionText,
  requestedFact,
  runSubtitle,
  stepDuration,
  stepViews,
} from './run-parts.js';

export interface ProgressCardOptions extends CardOptions {
  refreshUserIds?: readonly string[];
}

/** The card updated in place while a run executes: step n of N, every step's state, elapsed time and the downtime clock. */
export function progressCard(
  run: RunRecord,
  now: Date,
  t: Translator,
  options: ProgressCardOptions = {},
): ProgressCardModel {
  const facts: Fact[] = [];
  if (run.startedAt) {
    facts.push({ title: t.t('card.fact.started'), value: t.formatDateTime(run.startedAt, options.timeZone) });
  }
  const elapsed = elapsedFact(run, now, t);
  if (elapsed) facts.push(elapsed);
  facts.push(requestedFact(run, t, options), approvedFact(run, t));
  return {
    lang: t.locale,
    runId: run.id,
    refresh: refreshModel(options.refreshUserIds),
    title: t.t('card.run.title', { runId: run.id, server: run.server }),
    subtitle: runSubtitle(run, t),
    status: runStatusModel(t, run.status),
    position: positionText(run, t),
    downtime: downtimeClock(run, now, t),
    facts,
    phases: groupByPhase(
      stepViews(run),
      (v) => v.plan.phase,
      (v) => ({
        icon: stepStateModel(t, v.state).icon,
        number: String(v.plan.index),
        title: stepTitle(t, v.plan.id, run.product),
        detail: stepDuration(v.record, now, t),
      }),
      t,
    ),
  };
}
