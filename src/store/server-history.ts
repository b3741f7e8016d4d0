import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { StoreCorruptError } from './store.js';
import type { RunRecord } from './types.js';

/** How many finished update runs per server the index keeps (what predicted downtime reads). */
export const SERVER_HISTORY_RUNS = 20;

/** What the fleet views need of a finished update run. */
export type RunSummary = Pick<
  RunRecord,
  'id' | 'server' | 'status' | 'kind' | 'requestedAt' | 'endedAt' | 'downtimeStartedAt' | 'downtimeEndedAt'
>;

interface HistoryState {
  version: 1;
  /** Per server, its newest finished update runs, newest first. */
  servers: Record<string, RunSummary[]>;
}

function summaryOf(run: RunRecord): RunSummary {
  const { id, server, status, kind, requestedAt, endedAt, downtimeStartedAt, downtimeEndedAt } = run;
  return { id, server, status, kind, requestedAt, endedAt, downtimeStartedAt, downtimeEndedAt };
}

const newestFirst = (a: RunSummary, b: RunSummary) =>
  (b.endedAt ?? b.requestedAt).localeCompare(a.endedAt ?? a.requestedAt) || b.id - a.id;

/**
 * server-history.json: each server's newest finished update runs (check runs left out), kept
 * beside the archive as runs move into it. The archive is read newest month first until enough
 * runs match, so a server with few runs would cost a read of every month on each `history`,
 * plan or `versions`; this small index keeps that flat however long the history grows. It is
 * derived data: missing, it is built from the archive once; at each start the newest month is
 * read again, which covers a crash between the archive append and this file's write.
 */
export class ServerHistoryFile {
  readonly file: string;
  private readonly db: Low<HistoryState>;
  private found = false;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'server-history.json');
    this.db = new Low<HistoryState>(
      new PrivateJsonFile<HistoryState>(this.file, (text) => {
        this.found = true;
        return parseHistory(text, this.file);
      }),
      { version: 1, servers: {} },
    );
  }

  /** Reads the file; false when there was none (the caller then builds it from the archive). */
  async read(): Promise<boolean> {
    await this.db.read();
    return this.found;
  }

  recent(server: string): RunSummary[] {
    return (this.db.data.servers[server] ?? []).map((run) => ({ ...run }));
  }

  /** Adds finished runs (a run seen again replaces its older copy) and writes when anything changed. */
  async record(runs: readonly RunRecord[], writeAlways = false): Promise<void> {
    const servers = structuredClone(this.db.data.servers);
    let changed = false;
    for (const run of runs) {
      if (run.kind === 'check' || run.endedAt === null) continue;
      const kept = (servers[run.server] ?? []).filter((r) => r.id !== run.id);
      const summary = summaryOf(run);
      servers[run.server] = [...kept, summary].sort(newestFirst).slice(0, SERVER_HISTORY_RUNS);
      changed ||= JSON.stringify(servers[run.server]) !== JSON.stringify(this.db.data.servers[run.server]);
    }
    if (!changed && !writeAlways) return;
    const previous = this.db.data;
    this.db.data = { version: 1, servers };
    try {
      await this.db.write();
    } catch (error) {
      this.db.data = previous;
      throw error;
    }
  }
}

/** A lowdb adapter: the whole file to a private (0600) temp file, flushed, renamed over the old one. */
export class PrivateJsonFile<T> implements Adapter<T> {
  private readonly tempFile: string;

  constructor(
    private readonly file: string,
    private readonly parse: (text: string) => T,
  ) {
    this.tempFile = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return this.parse(text);
  }

  async write(data: T): Promise<void> {
    const handle = await open(this.tempFile, 'w', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify(data)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.tempFile, this.file);
  }
}

function parseHistory(text: string, file: string): HistoryState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(file, error);
  }
  const state = data as Partial<HistoryState> | null;
  if (
    typeof state !== 'object' ||
    state === null ||
    state.version !== 1 ||
    typeof state.servers !== 'object' ||
    state.servers === null ||
    !Object.values(state.servers).every(Array.isArray)
  ) {
    throw new StoreCorruptError(file, new Error('not a server history file'));
  }
  return state as HistoryState;
}
