import path from 'node:path';
import { MonthlyJsonl } from './jsonl.js';
import type { RunRecord } from './types.js';

/**
 * Finished runs, one JSON line each in archive/runs-YYYY-MM.jsonl. A run can appear more than
 * once (saved again after it finished, or archived again after a crash): the newest copy wins.
 */
export class RunArchive {
  private readonly log: MonthlyJsonl<RunRecord>;

  constructor(dataDir: string) {
    this.log = new MonthlyJsonl(path.join(dataDir, 'archive'), 'runs');
  }

  append(run: RunRecord, at: Date): Promise<void> {
    return this.log.append(run, at);
  }

  /** Newest first, one copy per run, leaving out the ids in `skip` (shown from elsewhere). */
  newest(
    filter: { server?: string | undefined; limit: number },
    skip: Iterable<number>,
  ): Promise<RunRecord[]> {
    const seen = new Set(skip);
    return this.log.readNewestFirst((run) => {
      if (seen.has(run.id)) return false;
      seen.add(run.id);
      return filter.server === undefined || run.server === filter.server;
    }, filter.limit);
  }

  async find(id: number): Promise<RunRecord | undefined> {
    return (await this.log.readNewestFirst((run) => run.id === id, 1))[0];
  }

  /** Which of `ids` the archive already holds. */
  async holding(ids: ReadonlySet<number>): Promise<Set<number>> {
    const found = new Set<number>();
    if (ids.size === 0) return found;
    await this.log.readNewestFirst((run) => {
      if (!ids.has(run.id) || found.has(run.id)) return false;
      found.add(run.id);
      return true;
    }, ids.size);
    return found;
  }

  /** The runs of the newest month, or of every month with `everyMonth`, oldest first. */
  recent(everyMonth: boolean): Promise<RunRecord[]> {
    return this.log.readRecent(everyMonth);
  }

  /** The highest run id in the newest month, or in every month with `everyMonth`. */
  async highestId(everyMonth: boolean): Promise<number> {
    const runs = await this.log.readRecent(everyMonth);
    return runs.reduce((max, run) => (Number.isSafeInteger(run.id) && run.id > max ? run.id : max), 0);
  }
}
