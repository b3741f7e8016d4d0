import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { factsOf, identityOf, mergeRunner, type RunnerFacts } from '../runner-records.js';
import type { RunnerRecord } from '../store.js';
import { jsonb, RUNNER_COLUMNS, runnerOf, runnerParams, type RunnerRow } from './rows.js';

/** The channel register-runner and the store notify when they change the runners table. */
export const RUNNERS_CHANNEL = 'patchbot_runners';

/** Same facts, whatever order their fields arrived in. */
const sameInfo = (a: RunnerFacts['info'], b: RunnerFacts['info']): boolean => isDeepStrictEqual(a, b);

/** Same server facts apart from when they were read: a fresh reading alone is no reason to write. */
function sameServerFacts(a: RunnerFacts['facts'], b: RunnerFacts['facts']): boolean {
  if (!a || !b) return !a && !b;
  return isDeepStrictEqual({ ...a, readAt: '' }, { ...b, readAt: '' });
}

const normalized = (runner: RunnerRecord): RunnerRecord => mergeRunner(identityOf(runner), factsOf(runner));

/** The SQL of the runner changes; each runs in the caller's transaction. */
export const runnerSql = {
  async save(client: pg.ClientBase, runner: RunnerRecord): Promise<void> {
    await client.query(
      `INSERT INTO runners (${RUNNER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
       ON CONFLICT (id) DO UPDATE SET server = EXCLUDED.server, secret = EXCLUDED.secret,
         created_at = EXCLUDED.created_at, last_seen_at = EXCLUDED.last_seen_at,
         info = EXCLUDED.info, facts = EXCLUDED.facts`,
      runnerParams(normalized(runner)),
    );
    // Delivered at commit: other processes read the table again at once.
    await client.query(`NOTIFY ${RUNNERS_CHANNEL}`);
  },
  async remove(client: pg.ClientBase, id: string): Promise<void> {
    await client.query('DELETE FROM runners WHERE id = $1', [id]);
    await client.query(`NOTIFY ${RUNNERS_CHANNEL}`);
  },
  /** Facts never register anyone: a runner removed meanwhile has no row to update. */
  async facts(client: pg.ClientBase, runner: RunnerRecord): Promise<void> {
    await client.query(
      'UPDATE runners SET last_seen_at = $2, info = $3::jsonb, facts = $4::jsonb WHERE id = $1',
      [
        runner.id,
        runner.lastSeenAt,
        runner.info ? jsonb(runner.info) : null,
        runner.facts ? jsonb(runner.facts) : null,
      ],
    );
  },
  async seen(client: pg.ClientBase, runners: readonly RunnerRecord[]): Promise<void> {
    if (runners.length === 0) return;
    const rows = runners.map((r) => ({ id: r.id, seen: r.lastSeenAt, facts: r.facts ?? null }));
    await client.query(
      `UPDATE runners r SET last_seen_at = u.seen, facts = u.facts
       FROM jsonb_to_recordset($1::jsonb) AS u(id text, seen text, facts jsonb) WHERE r.id = u.id`,
      [jsonb(rows)],
    );
  },
};

export type SeenOutcome =
  { kind: 'unknown' } | { kind: 'in memory' } | { kind: 'write'; runner: RunnerRecord };

/**
 * The store's runners, in memory so the authentication of every runner request is a map lookup.
 * Identities come from the runners table, which register-runner changes while the bot runs: the
 * table is read again on each NOTIFY on RUNNERS_CHANNEL and, in case a notification was missed
 * (a lost connection) or a change came without one, at least twice per recheck period, so a
 * runner removed by another process is refused within that period. The facts (what the bot heard
 * from each runner) are this process's own: a beat that only moves the last-seen time is held
 * here and written with the next write of the store.
 */
export class PgRunners {
  private readonly known = new Map<string, RunnerRecord>();
  /** Runners whose last-seen time (and facts' reading time) moved in memory only. */
  private readonly held = new Set<string>();
  /** Bumped by every change this process commits: a read of the table that overlapped one is dropped. */
  private changes = 0;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private lastUnknownRefresh = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly read: () => Promise<RunnerRow[]>,
    private readonly onRead: (ok: boolean) => void,
    private readonly recheckMs: number,
  ) {}

  load(runners: readonly RunnerRecord[]): void {
    for (const runner of runners) this.known.set(runner.id, runner);
  }

  /**
   * An id not known is looked for in the table in the background (at most a few times a second,
   * whoever asks): a runner registered while its notification was lost is found on a retry.
   */
  get(id: string): RunnerRecord | undefined {
    const runner = this.known.get(id);
    if (runner) return { ...runner };
    const now = performance.now();
    if (now - this.lastUnknownRefresh >= Math.min(250, this.recheckMs)) {
      this.lastUnknownRefresh = now;
      void this.refresh();
    }
    return undefined;
  }

  all(): RunnerRecord[] {
    return [...this.known.values()].map((runner) => ({ ...runner })).sort((a, b) => a.id.localeCompare(b.id));
  }

  saved(runner: RunnerRecord): void {
    this.changes += 1;
    this.known.set(runner.id, normalized(runner));
    this.held.delete(runner.id);
  }

  removed(id: string): void {
    this.changes += 1;
    this.known.delete(id);
    this.held.delete(id);
  }

  /** What a heartbeat changes; a beat that moves only the time is applied here at once. */
  noteSeen(id: string, facts: RunnerFacts): SeenOutcome {
    const entry = this.known.get(id);
    if (!entry) return { kind: 'unknown' };
    // A beat without facts keeps the ones reported before (runners send them only when they change).
    const fresh = factsOf({ ...facts, facts: facts.facts ?? entry.facts });
    if (
      entry.lastSeenAt !== null &&
      sameInfo(entry.info, fresh.info) &&
      sameServerFacts(entry.facts, fresh.facts)
    ) {
      entry.lastSeenAt = fresh.lastSeenAt;
      if (fresh.facts) entry.facts = fresh.facts;
      this.held.add(id);
      return { kind: 'in memory' };
    }
    return { kind: 'write', runner: mergeRunner(identityOf(entry), fresh) };
  }

  /** After the facts of `runner` were written. */
  factsWritten(runner: RunnerRecord): void {
    this.changes += 1;
    if (this.known.has(runner.id)) this.known.set(runner.id, runner);
    this.held.delete(runner.id);
  }

  /** The runners whose beats are held in memory, as they are now. */
  heldBeats(): RunnerRecord[] {
    return [...this.held].flatMap((id) => {
      const runner = this.known.get(id);
      return runner ? [{ ...runner }] : [];
    });
  }

  /** After heldBeats() were written. */
  beatsWritten(runners: readonly RunnerRecord[]): void {
    if (runners.length > 0) this.changes += 1;
    for (const runner of runners) this.held.delete(runner.id);
  }

  /** Reads the table again; one read at a time, and one more when asked again meanwhile. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again);
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** No more reads; waits for one under way (before the pool it uses is closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.refreshing?.catch(() => undefined);
  }

  private async readOnce(): Promise<void> {
    const changesBefore = this.changes;
    let rows: RunnerRow[];
    try {
      rows = await this.read();
    } catch {
      // Keep what was known rather than refusing every runner; health() says the database is gone.
      this.onRead(false);
      return;
    }
    this.onRead(true);
    if (this.changes !== changesBefore) {
      this.again = true;
      return;
    }
    const listed = new Set<string>();
    for (const row of rows) {
      listed.add(row.id);
      const current = this.known.get(row.id);
      if (current && this.held.has(row.id)) {
        // This process's newer beat is not written yet: keep its time and facts.
        const merged = runnerOf(row);
        merged.lastSeenAt = current.lastSeenAt;
        if (current.facts) merged.facts = current.facts;
        else delete merged.facts;
        this.known.set(row.id, merged);
      } else {
        this.known.set(row.id, runnerOf(row));
      }
    }
    for (const id of this.known.keys()) {
      if (listed.has(id)) continue;
      this.known.delete(id);
      this.held.delete(id);
    }
  }
}
