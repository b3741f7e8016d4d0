import { SERVER_HISTORY_RUNS, type RunSummary } from '../server-history.js';
import type { RunRecord } from '../types.js';

/** The newest first, by end time (the request time when a run has none), then by id. */
const newestFirst = (a: RunSummary, b: RunSummary) =>
  (b.endedAt ?? b.requestedAt).localeCompare(a.endedAt ?? a.requestedAt) || b.id - a.id;

function summaryOf(run: RunRecord): RunSummary {
  const { id, server, status, kind, requestedAt, endedAt, downtimeStartedAt, downtimeEndedAt } = run;
  return { id, server, status, kind, requestedAt, endedAt, downtimeStartedAt, downtimeEndedAt };
}

/**
 * Each server's newest finished update runs (check runs and runs without an end left out, at
 * most SERVER_HISTORY_RUNS), the same rules as the file store's server-history.json. Loaded
 * from archived_runs at start (load.ts) and kept up to date as runs are archived, so recentRuns
 * stays a memory read however long the history grows.
 */
export class RecentRuns {
  private readonly servers = new Map<string, RunSummary[]>();

  recent(server: string): RunSummary[] {
    return (this.servers.get(server) ?? []).map((run) => ({ ...run }));
  }

  /** Adds archived runs; a run seen again replaces its older summary. */
  record(runs: Iterable<RunRecord>): void {
    for (const run of runs) {
      if (run.kind === 'check' || run.endedAt === null) continue;
      const kept = (this.servers.get(run.server) ?? []).filter((r) => r.id !== run.id);
      this.servers.set(run.server, [...kept, summaryOf(run)].sort(newestFirst).slice(0, SERVER_HISTORY_RUNS));
    }
  }
}
