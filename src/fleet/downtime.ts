import { SERVER_HISTORY_RUNS, type RunSummary } from '../store/server-history.js';
import type { RunRecord } from '../store/types.js';

/** How many of a server's newest finished runs the prediction reads (what the store's index keeps). */
export const PREDICTION_RUNS = SERVER_HISTORY_RUNS;

export interface DowntimePrediction {
  /** Runs with a measured downtime that the prediction rests on. */
  samples: number;
  medianMs: number;
  worstMs: number;
}

/** A run's measured downtime (first Stop-CsWindowsService to every service running), or null. */
export function measuredDowntimeMs(
  run: Pick<RunRecord, 'downtimeStartedAt' | 'downtimeEndedAt'>,
): number | null {
  if (!run.downtimeStartedAt || !run.downtimeEndedAt) return null;
  const ms = Date.parse(run.downtimeEndedAt) - Date.parse(run.downtimeStartedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/**
 * Predicted downtime for a server from its own past runs: median and worst of the measured
 * downtimes among `runs`, newest first (only the first PREDICTION_RUNS are read). Null = no history yet. Runs of other
 * servers and check runs (no downtime) are ignored. Pure.
 */
export function predictDowntime(
  server: string,
  runs: readonly Pick<RunRecord, 'server' | 'kind' | 'downtimeStartedAt' | 'downtimeEndedAt'>[],
): DowntimePrediction | null {
  const measured = runs
    .filter((run) => run.server === server && run.kind !== 'check')
    .slice(0, PREDICTION_RUNS)
    .map(measuredDowntimeMs)
    .filter((ms): ms is number => ms !== null)
    .sort((a, b) => a - b);
  if (measured.length === 0) return null;
  const middle = Math.floor(measured.length / 2);
  const median =
    measured.length % 2 === 1
      ? measured[middle]!
      : Math.round((measured[middle - 1]! + measured[middle]!) / 2);
  return { samples: measured.length, medianMs: median, worstMs: measured[measured.length - 1]! };
}

/**
 * The server's predicted downtime from the store's per-server index of finished runs
 * (Store.recentRuns): no archive read, so it costs the same however long the history grows.
 */
export async function predictedDowntimeFor(
  store: { recentRuns(server: string): RunSummary[] },
  server: string,
): Promise<DowntimePrediction | null> {
  return Promise.resolve(predictDowntime(server, store.recentRuns(server)));
}
