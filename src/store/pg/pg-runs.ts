import type { RunSummary } from '../server-history.js';
import { FINAL_STATUSES, type RunRecord } from '../types.js';
import { RecentRuns } from './recent-runs.js';

export const isFinal = (run: RunRecord): boolean => FINAL_STATUSES.includes(run.status);

/** Reads a query's rows (PgWriter.read). */
type Read = <R extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/**
 * The store's runs: the live ones in memory, as the objects callers change in place, with a copy
 * of each as last saved; the finished ones in archived_runs, read through its indexes; and each
 * server's recent update runs (RecentRuns) kept in step as runs are archived.
 */
export class PgRuns {
  private readonly live = new Map<number, RunRecord>();
  /** What each live run was when last saved: a failed save puts the caller's object back to it. */
  private readonly saved = new Map<number, RunRecord>();
  private readonly recent = new RecentRuns();

  constructor(private readonly read: Read) {}

  load(runs: readonly RunRecord[], recent: readonly RunRecord[]): void {
    for (const run of runs) {
      this.live.set(run.id, run);
      this.saved.set(run.id, structuredClone(run));
    }
    this.recent.record(recent);
  }

  get(id: number): RunRecord | undefined {
    return this.live.get(id);
  }

  /** Sorted by id, as the file store lists them. */
  liveRuns(): RunRecord[] {
    return [...this.live.values()].filter((run) => !isFinal(run)).sort((a, b) => a.id - b.id);
  }

  /** Runs loaded in a final state (left among the live ones by an import): to be archived. */
  lingering(): RunRecord[] {
    return [...this.live.values()].filter(isFinal);
  }

  /** The conversations live runs other than `except` message. */
  conversationsInUse(except: number | null): Set<string> {
    const used = new Set<string>();
    for (const run of this.live.values())
      if (run.id !== except && !isFinal(run)) used.add(run.conversationId);
    return used;
  }

  /** After `run` was saved as `saved` (its copy at the time): a final run has left the live ones. */
  committed(run: RunRecord, saved: RunRecord): void {
    if (isFinal(saved)) {
      this.live.delete(run.id);
      this.saved.delete(run.id);
      this.recent.record([saved]);
    } else {
      this.live.set(run.id, run);
      this.saved.set(run.id, saved);
    }
  }

  /** Puts the run object the store held back to its last saved contents (a new run stays unknown). */
  restore(previous: RunRecord | undefined): void {
    const saved = previous && this.saved.get(previous.id);
    if (!previous || !saved) return;
    for (const field of Object.keys(previous)) delete (previous as unknown as Record<string, unknown>)[field];
    Object.assign(previous, structuredClone(saved));
    this.live.set(previous.id, previous);
  }

  recentRuns(server: string): RunSummary[] {
    return this.recent.recent(server);
  }

  /** Newest first by end time (a run without one last), then by id. */
  async finished(filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]> {
    if (filter.limit <= 0) return [];
    const byServer = filter.server !== undefined;
    const rows = await this.read<{ record: RunRecord }>(
      `SELECT record FROM archived_runs ${byServer ? 'WHERE server = $2' : ''}
       ORDER BY ended_at DESC NULLS LAST, id DESC LIMIT $1`,
      byServer ? [filter.limit, filter.server] : [filter.limit],
    );
    return rows.map((row) => row.record);
  }

  async find(id: number): Promise<RunRecord | undefined> {
    const live = this.get(id);
    if (live) return live;
    const rows = await this.read<{ record: RunRecord }>('SELECT record FROM archived_runs WHERE id = $1', [
      id,
    ]);
    return rows[0]?.record;
  }
}
