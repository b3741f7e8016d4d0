import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { HotFile } from '../store/hot-file.js';
import { emptyHotState, parseHotState, type HotState } from '../store/hot-state.js';
import type { LowdbStore } from '../store/lowdb-store.js';
import { OutboxLog } from '../store/outbox-log.js';
import type { CatalogPackage, PackageChange } from '../store/package-catalog.js';
import type { AuditEvent, ConversationRecord, OutboxItem, RunnerRecord } from '../store/store.js';
import { FINAL_STATUSES, type RunRecord } from '../store/types.js';

/** One month file of an append-only log, its unreadable lines left out as the bot leaves them out. */
export interface MonthOfRecords<T> {
  /** YYYY-MM, from the file name. */
  month: string;
  records: T[];
  /** Lines that are not JSON: a line torn by a crash mid-append. */
  skipped: number;
}

/**
 * Everything a lowdb data folder holds, as the bot would see it at its next start: the hot file
 * with the outbox log applied, runners merged from the registry and the hot file, the catalog.
 * The run archive and the audit log are read a month at a time (they can be large).
 */
export interface LowdbSource {
  dir: string;
  /** The counters the bot hands ids from; never below an id in use. */
  lastRunId: number;
  lastOutboxId: number;
  lastPackageChangeId: number;
  liveRuns: RunRecord[];
  /**
   * Final runs still in the hot file: a crash came between their final save and their move to
   * the archive. The bot would finish the move at its next start; they count as archived.
   */
  finishedInHotFile: RunRecord[];
  outbox: OutboxItem[];
  conversations: ConversationRecord[];
  runners: RunnerRecord[];
  packages: CatalogPackage[];
  packageChanges: PackageChange[];
  archive(): AsyncGenerator<MonthOfRecords<RunRecord>>;
  audit(): AsyncGenerator<MonthOfRecords<AuditEvent>>;
}

/**
 * Reads the data folder beside `store`, which must be open read-only on it: the store gives what
 * the Store interface shows (runners, catalog) and has checked each file's layout; the rest
 * (counters, every conversation, the outbox log) is read from the files as the bot reads them.
 */
export async function readLowdbSource(dir: string, store: LowdbStore): Promise<LowdbSource> {
  const hot = await readHotState(path.join(dir, 'state.json'));
  const isFinal = (run: RunRecord) => FINAL_STATUSES.includes(run.status);
  const runs = Object.values(hot.runs);
  const archiveDir = path.join(dir, 'archive');
  const auditDir = path.join(dir, 'audit');
  return {
    dir,
    lastRunId: Math.max(hot.lastRunId, ...runs.map((run) => run.id)),
    lastOutboxId: Math.max(hot.lastOutboxId, ...hot.outbox.map((item) => item.id)),
    lastPackageChangeId: await lastPackageChangeId(path.join(dir, 'packages.json'), store),
    liveRuns: runs.filter((run) => !isFinal(run)),
    finishedInHotFile: runs.filter(isFinal),
    outbox: await outboxAsTheBotSeesIt(path.join(dir, 'outbox.log'), hot),
    conversations: Object.values(hot.conversations),
    runners: store.runners(),
    packages: store.packages(),
    packageChanges: store.pendingPackageChanges(),
    archive: () => monthsOf<RunRecord>(archiveDir, 'runs'),
    audit: () => monthsOf<AuditEvent>(auditDir, 'audit'),
  };
}

/** Through the bot's own adapter, which reads the hot file as the bot does at start; it only reads. */
async function readHotState(file: string): Promise<HotState> {
  return (await new HotFile(file, (text) => parseHotState(text, file)).read()) ?? emptyHotState();
}

/**
 * The queue with what the outbox log adds: messages Teams took are gone, and a send a previous
 * process started keeps its time (sendingSince), so the bot that takes over from the database
 * labels that message as a possible repeat. A log naming ids the hot file never gave out belongs
 * to another hot file, and the bot would set it aside unread: so does this.
 */
async function outboxAsTheBotSeesIt(file: string, hot: HotState): Promise<OutboxItem[]> {
  const { sending, done, highestId } = await new OutboxLog(file).read();
  if (highestId > hot.lastOutboxId) return hot.outbox.map((item) => ({ ...item }));
  return hot.outbox
    .filter((item) => !done.has(item.id))
    .map((item) => {
      const since = item.sendingSince ?? sending.get(item.id);
      return since === undefined ? { ...item } : { ...item, sendingSince: since };
    });
}

/** The catalog's change counter (the store has checked the file; it has none when there is no file). */
async function lastPackageChangeId(file: string, store: LowdbStore): Promise<number> {
  let counter = 0;
  try {
    counter = (JSON.parse(await readFile(file, 'utf8')) as { lastChangeId: number }).lastChangeId;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return Math.max(counter, ...store.pendingPackageChanges().map((change) => change.id));
}

/**
 * The month files of an append-only log (src/store/jsonl.ts), oldest first, each file's lines in
 * order. Blank lines and lines that are not JSON are skipped, as the bot skips them.
 */
async function* monthsOf<T>(dir: string, prefix: string): AsyncGenerator<MonthOfRecords<T>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const files = names.filter((name) => name.startsWith(`${prefix}-`) && name.endsWith('.jsonl')).sort();
  for (const file of files) {
    const month = file.slice(prefix.length + 1, -'.jsonl'.length);
    const records: T[] = [];
    let skipped = 0;
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        skipped += 1;
      }
    }
    yield { month, records, skipped };
  }
}
