import { productName, type Translator } from '../i18n/index.js';
import type { RunnerInfo } from '../protocol/messages.js';
import type { RunRecord } from '../store/types.js';
import { downtimeSummary, runStatusModel, spanMs, timeOf, type CardOptions } from './common.js';
import type { Fact, HistoryCardModel, ListItemModel, RunnersCardModel, StatusCardModel } from './models.js';
import { approvedFact, positionText, requestedFact } from './run-parts.js';
import { factsLines, predictionText } from './fleet.js';
import type { DowntimePrediction } from '../fleet/downtime.js';
import type { ServerFacts } from '../procedure/index.js';

const byIdDescending = (a: RunRecord, b: RunRecord) => b.id - a.id;

function runHeading(run: RunRecord): string {
  return `#${run.id} · ${run.server}`;
}

/** Active runs (the caller picks which; typically ACTIVE_STATUSES), newest first. */
export function statusCard(
  runs: readonly RunRecord[],
  now: Date,
  t: Translator,
  options: CardOptions = {},
): StatusCardModel {
  const items = [...runs].sort(byIdDescending).map((run): ListItemModel => {
    const facts: Fact[] = [{ title: t.t('card.fact.step'), value: positionText(run, t) }];
    const elapsed = spanMs(run.startedAt, run.endedAt, now);
    if (elapsed !== null) facts.push({ title: t.t('card.fact.elapsed'), value: t.formatDuration(elapsed) });
    if (run.downtimeStartedAt)
      facts.push({ title: t.t('card.fact.downtime'), value: downtimeSummary(run, now, t) });
    facts.push(requestedFact(run, t, options));
    return { heading: runHeading(run), status: runStatusModel(t, run.status), facts };
  });
  return {
    lang: t.locale,
    title: t.t('card.status.title'),
    summary: items.length > 0 ? t.plural('card.status.count', items.length) : t.t('status.none'),
    items,
  };
}

export interface HistoryCardOptions extends CardOptions {
  /** Set when the list is limited to one server; it goes into the title. */
  server?: string | null;
  /** That server's predicted downtime from its own past runs (predictDowntime); null = no history yet. */
  prediction?: DowntimePrediction | null;
}

/** Finished runs, newest first: outcome, when, downtime, requester, approvers. */
export function historyCard(
  runs: readonly RunRecord[],
  t: Translator,
  options: HistoryCardOptions = {},
): HistoryCardModel {
  const items = [...runs].sort(byIdDescending).map((run): ListItemModel => {
    const end = new Date(run.endedAt ?? run.requestedAt);
    const facts: Fact[] = [
      {
        title: t.t('card.fact.finished'),
        value: t.formatDateTime(run.endedAt ?? run.requestedAt, options.timeZone),
      },
      { title: t.t('card.fact.downtime'), value: downtimeSummary(run, end, t) },
      requestedFact(run, t, options),
      approvedFact(run, t),
    ];
    return { heading: runHeading(run), status: runStatusModel(t, run.status), facts };
  });
  return {
    lang: t.locale,
    title: options.server
      ? t.t('card.history.title.server', { server: options.server })
      : t.t('card.history.title'),
    summary: items.length > 0 ? t.plural('card.history.count', items.length) : t.t('history.none'),
    prediction: options.server
      ? t.t('fleet.prediction.line', { prediction: predictionText(t, options.prediction ?? null) })
      : '',
    items,
  };
}

/** What the bot knows about one registered runner (the store's runner record fits as is). */
export interface RunnerStatus {
  server: string;
  /** What the runner last reported; null if it registered but never reported. */
  info: RunnerInfo | null;
  /** Time of the last heartbeat; null if it has never sent one. */
  lastSeenAt: string | null;
  /** What the runner last read on its server (absent until it reports facts). */
  facts?: ServerFacts | null | undefined;
  /** The run it is executing, if known. */
  currentRunId?: number | null;
}

export interface RunnersCardOptions extends CardOptions {
  /** A runner silent for longer than this counts as offline. Default 90 seconds. */
  offlineAfterMs?: number;
}

/** Registered runners by server name: product, versions, last heartbeat, online or offline. */
export function runnersCard(
  runners: readonly RunnerStatus[],
  now: Date,
  t: Translator,
  options: RunnersCardOptions = {},
): RunnersCardModel {
  const offlineAfter = options.offlineAfterMs ?? 90_000;
  const items = [...runners]
    .sort((a, b) => a.server.localeCompare(b.server))
    .map((runner): ListItemModel => {
      const seen = timeOf(runner.lastSeenAt);
      const online = seen !== null && now.getTime() - seen <= offlineAfter;
      const unknown = t.t('card.runners.unknown');
      const product = runner.info?.profile.product ?? runner.facts?.product;
      return {
        heading: runner.server,
        status: online
          ? { icon: '🟢', text: t.t('runner.online'), color: 'good' }
          : { icon: '🔴', text: t.t('runner.offline'), color: 'attention' },
        facts: [
          {
            title: t.t('card.fact.product'),
            value: product ? productName(t, product) : unknown,
          },
          ...factsLines(t, runner.facts, options),
          ...(runner.info?.profile.package
            ? [{ title: t.t('fleet.fact.override'), value: runner.info.profile.package.version }]
            : []),
          { title: t.t('card.fact.runner-version'), value: runner.info?.version ?? unknown },
          {
            title: t.t('card.fact.last-contact'),
            value: runner.lastSeenAt
              ? t.formatDateTime(runner.lastSeenAt, options.timeZone)
              : t.t('card.runners.never'),
          },
          {
            title: t.t('card.fact.current-run'),
            value: runner.currentRunId ? `#${runner.currentRunId}` : t.t('card.runners.idle'),
          },
        ],
      };
    });
  return {
    lang: t.locale,
    title: t.t('card.runners.title'),
    summary: items.length > 0 ? t.plural('card.runners.count', items.length) : t.t('runners.none'),
    items,
  };
}
