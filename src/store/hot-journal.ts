import { createHash, randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { syncFolder } from './hot-disk.js';
import { PRIVATE_FILE_MODE } from './private-files.js';

/**
 * One line of the journal: what one write of the hot state changed. Records are replaced whole
 * (null removes one); outbox items are replaced by id, new ones join the end of the queue, and
 * `outboxAll` replaces the whole queue when its order changed otherwise.
 */
export interface JournalChange {
  /** The snapshot this line continues (its `journal` field). */
  gen: string;
  /** 1 for the first line after the snapshot, then one more per line. */
  seq: number;
  lastRunId?: number;
  lastOutboxId?: number;
  runs?: Record<string, object | null>;
  runners?: Record<string, object | null>;
  conversations?: Record<string, object | null>;
  outbox?: object[];
  outboxGone?: number[];
  outboxAll?: object[];
}

/** What a journal file holds for one snapshot. */
export interface JournalRead {
  /** The snapshot's lines, in order. */
  changes: JournalChange[];
  /** The last line's seq (0 without lines). */
  seq: number;
  /** False when the file also holds a torn line or lines of another snapshot: appends must not follow them. */
  clean: boolean;
}

/** The journal of `state.json` is `state.journal.jsonl` beside it. */
export function journalFileOf(hotFile: string): string {
  return path.join(path.dirname(hotFile), `${path.basename(hotFile, '.json')}.journal.jsonl`);
}

/** A new snapshot's name, written into it and into every journal line that continues it. */
export function newGeneration(): string {
  return randomBytes(8).toString('hex');
}

const DIGEST_CHARS = 16;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** Enough of a SHA-256 to tell a torn or garbled line (a crash mid-append) from a whole one. */
function digest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, DIGEST_CHARS);
}

/**
 * The lines that continue snapshot `gen`. A line without its line break or whose digest does
 * not match was torn by a crash (or by an append that failed) and is skipped, and so are lines
 * of another snapshot (a compaction wrote the snapshot and crashed before emptying the journal,
 * or state.json was restored from a backup). A damaged line followed by good lines of this
 * snapshot is not a torn end but damage in the middle: that stops the store, as a damaged
 * state.json does, instead of silently losing the changes in between.
 */
export function readJournal(bytes: Buffer | null, gen: string | null): JournalRead {
  const changes: JournalChange[] = [];
  let seq = 0;
  let damagedLine = 0;
  let stale = false;
  let line = 0;
  for (let start = 0; bytes !== null && start < bytes.length;) {
    line += 1;
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) {
      damagedLine ||= line;
      break;
    }
    const change = changeOf(bytes.subarray(start, end), line);
    start = end + 1;
    if (change === undefined) damagedLine ||= line;
    else if (change.gen !== gen) stale = true;
    else {
      if (damagedLine) throw new Error(`journal line ${damagedLine} is damaged and later changes follow it`);
      if (change.seq !== seq + 1)
        throw new Error(`journal line ${line} holds change ${change.seq} where ${seq + 1} belongs`);
      changes.push(change);
      seq = change.seq;
    }
  }
  return { changes, seq, clean: damagedLine === 0 && !stale };
}

/** The change on one line, or undefined when the line is torn; a whole line that is not a change is damage. */
function changeOf(line: Buffer, lineNumber: number): JournalChange | undefined {
  if (line.length <= DIGEST_CHARS + 1 || line[DIGEST_CHARS] !== SPACE) return undefined;
  const body = line.subarray(DIGEST_CHARS + 1);
  if (line.subarray(0, DIGEST_CHARS).toString('latin1') !== digest(body)) return undefined;
  let change: unknown;
  try {
    change = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new Error(`journal line ${lineNumber} is not JSON (${(error as Error).message})`);
  }
  const { gen, seq } = (change ?? {}) as Partial<JournalChange>;
  if (typeof gen !== 'string' || typeof seq !== 'number')
    throw new Error(`journal line ${lineNumber} is not a change`);
  return change as JournalChange;
}

/**
 * The append-only journal beside the hot file's snapshot (hot-file.ts): each write appends one
 * line with what changed and flushes it to the disk, instead of rewriting the whole snapshot.
 * Appends go on only while the file holds nothing but the current snapshot's whole lines; after
 * anything else (a torn line, a failed append that could not be cut back, a new snapshot whose
 * journal could not be emptied) the next write is a compaction, which starts a fresh journal.
 */
export class HotJournal {
  private gen: string | null = null;
  private seq = 0;
  /** The file's size while it holds only this snapshot's whole lines; null once it holds anything else. */
  private size: number | null = null;

  constructor(readonly file: string) {}

  /** True when the next change may be appended; false when a compaction must come first. */
  get appendable(): boolean {
    return this.gen !== null && this.size !== null;
  }

  /** Bytes appended since the snapshot (Infinity when the file holds anything appends must not follow). */
  get bytes(): number {
    return this.size ?? Number.POSITIVE_INFINITY;
  }

  /** Takes over what `readJournal` found in the file for snapshot `gen`. */
  opened(gen: string | null, bytes: Buffer | null, read: JournalRead): void {
    this.gen = gen;
    this.seq = read.seq;
    this.size = read.clean ? (bytes?.length ?? 0) : null;
  }

  /**
   * Appends one change (`fields`: `"name":value` pieces) and flushes it; returns the bytes written.
   * A failed append is cut back to where it started, so no part of it can be replayed later;
   * when even that fails, the journal is marked so that the next write compacts.
   */
  async append(fields: readonly Buffer[]): Promise<number> {
    if (this.gen === null || this.size === null) throw new Error('The journal needs a compaction first.');
    const seq = this.seq + 1;
    const parts: Buffer[] = [Buffer.from(`{"gen":${JSON.stringify(this.gen)},"seq":${seq}`)];
    for (const field of fields) parts.push(COMMA, field);
    parts.push(CLOSE_BRACE);
    const body = Buffer.concat(parts);
    const line = Buffer.concat([Buffer.from(`${digest(body)} `), body, Buffer.of(NEWLINE)]);
    const before = this.size;
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.file, 'a', PRIVATE_FILE_MODE);
      await handle.writeFile(line);
      await handle.datasync();
    } catch (error) {
      if (handle) await this.cutBack(handle, before);
      throw error;
    } finally {
      await handle?.close().catch(() => undefined);
    }
    this.size = before + line.length;
    this.seq = seq;
    return line.length;
  }

  /**
   * A new snapshot `gen` is on the disk: empties the journal for its lines. A failure here loses
   * nothing (the snapshot holds every change, and the old lines name another snapshot); the next
   * write compacts again.
   */
  async restart(gen: string): Promise<void> {
    this.gen = gen;
    this.seq = 0;
    this.size = null;
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.file, 'w', PRIVATE_FILE_MODE);
      await handle.datasync();
      await handle.close();
      handle = undefined;
      // A journal created here must not lose its name in a power cut, with the lines appended later.
      await syncFolder(path.dirname(this.file));
      this.size = 0;
    } catch {
      await handle?.close().catch(() => undefined);
    }
  }

  private async cutBack(handle: FileHandle, size: number): Promise<void> {
    try {
      await handle.truncate(size);
      await handle.datasync();
    } catch {
      // Whatever is left after `size` is skipped on replay while it is torn; the compaction
      // that the next write now does makes it belong to an old snapshot either way.
      this.size = null;
    }
  }
}

const COMMA = Buffer.from(',');
const CLOSE_BRACE = Buffer.from('}');
