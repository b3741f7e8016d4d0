import path from 'node:path';
import type { Adapter } from 'lowdb';
import { fileStamp, readIfExists, renameWithRetry, syncFolder, writeDurably } from './hot-disk.js';
import { HotJournal, journalFileOf, newGeneration } from './hot-journal.js';
import { replayHotState } from './hot-replay.js';
import type { HotState } from './hot-state.js';

type Section = 'runs' | 'runners' | 'conversations';
const SECTIONS: readonly Section[] = ['runs', 'runners', 'conversations'];

/** One record as the file holds it: `"key":{...}`, and the object it was written from. */
interface Piece {
  record: object;
  bytes: Buffer;
}

/** Outbox items as the disk holds them: id -> JSON, in queue order. */
type OutboxTexts = Map<number, string>;

/** Readers of the data folder outside the store replay the journal too (HotFile.read, replayHotState). */
export const JOURNAL_BY_DEFAULT = true;

/** Journal size from which the next write compacts: start-up replays at most this much. */
export const COMPACT_BYTES = 4 * 1024 * 1024;

const READ_ATTEMPTS = 5;

export interface HotFileOptions {
  /**
   * Append changes to the journal (default JOURNAL_BY_DEFAULT). Without it every write rewrites the whole
   * snapshot, as before the journal; a journal left by an earlier process is still replayed.
   */
  journal?: boolean | undefined;
  /** Default: state.journal.jsonl beside state.json. */
  journalFile?: string;
  /** Default COMPACT_BYTES. */
  compactBytes?: number;
}

/**
 * lowdb's adapter for the hot file: a snapshot (state.json) plus an append-only journal of what
 * each write changed (hot-journal.ts). With a hundred live runs the snapshot is most of a
 * megabyte and a write usually changes one run, so a write appends only the records that changed
 * (flushed to the disk before it resolves) and the snapshot is rewritten only when the journal
 * has grown past `compactBytes`, when the store asks (at start and close), or when the journal
 * holds something appends must not follow. A compaction writes a temp file, flushes it and
 * renames it, then empties the journal: a crash at any point leaves the old snapshot with its
 * journal or the new one, whose name the old lines do not carry.
 *
 * Change detection: each record's JSON is kept from the write before and made again only for new
 * objects and those reported changed in place (`changed`: a run saved again, a runner's last-seen
 * time moved); outbox items are compared by their JSON, since the store changes them in place.
 */
export class HotFile implements Adapter<HotState> {
  readonly tempFile: string;
  readonly journal: HotJournal;
  /** Bytes the last write put on the disk: a journal line, a whole snapshot, or 0 when nothing changed. */
  lastWriteBytes = 0;
  private readonly compactBytes: number;
  private readonly journaling: boolean;
  /** What the disk holds, per record. */
  private committed = new Map<Section, Map<string, Piece>>(SECTIONS.map((s) => [s, new Map()]));
  private committedOutbox: OutboxTexts = new Map();
  private committedCounters = { lastRunId: 0, lastOutboxId: 0 };
  /** Records changed in place since they were last written. */
  private readonly stale = new Map<Section, Set<string>>(SECTIONS.map((s) => [s, new Set()]));
  private compactRequested = false;

  constructor(
    readonly file: string,
    private readonly parse: (text: string) => HotState,
    options: HotFileOptions = {},
  ) {
    this.tempFile = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
    this.journal = new HotJournal(options.journalFile ?? journalFileOf(file));
    this.compactBytes = options.compactBytes ?? COMPACT_BYTES;
    this.journaling = options.journal ?? JOURNAL_BY_DEFAULT;
  }

  async read(): Promise<HotState | null> {
    const { snapshot, journal } = await this.readBoth();
    const replayed = replayHotState(
      snapshot?.toString('utf8') ?? null,
      journal,
      this.parse,
      this.journal.file,
    );
    this.journal.opened(replayed.gen, journal, replayed.journal);
    const state = replayed.state;
    this.committed = new Map(
      SECTIONS.map((section) => [section, piecesOf((state?.[section] ?? {}) as Record<string, object>)]),
    );
    this.committedOutbox = outboxTexts(state?.outbox ?? []);
    this.committedCounters = { lastRunId: state?.lastRunId ?? 0, lastOutboxId: state?.lastOutboxId ?? 0 };
    return state;
  }

  /** A record was changed in place (same object): its JSON is made again at the next write. */
  changed(section: Section, key: string): void {
    this.stale.get(section)!.add(key);
  }

  /** The record as the file holds it (a fresh copy), or undefined when the file has none. */
  saved<T>(section: Section, key: string): T | undefined {
    const piece = this.committed.get(section)!.get(key);
    if (!piece) return undefined;
    const text = piece.bytes.toString('utf8');
    return (JSON.parse(`{${text}}`) as Record<string, T>)[key];
  }

  /** The next write rewrites the snapshot and empties the journal. */
  compactAtNextWrite(): void {
    this.compactRequested = true;
  }

  /** True when the journal file holds anything: lines a compaction would fold into the snapshot. */
  get journalPending(): boolean {
    return this.journaling && this.journal.bytes > 0;
  }

  async write(state: HotState): Promise<void> {
    const next = new Map(
      SECTIONS.map((section) => [section, this.section(section, state[section] as Record<string, object>)]),
    );
    const outbox = outboxTexts(state.outbox);
    const requested = this.compactRequested;
    this.compactRequested = false;
    const fields =
      this.journaling && !requested && this.journal.appendable ? this.changes(state, next, outbox) : null;
    // Nothing changed: nothing to flush (a compaction the journal's size calls for waits for a change).
    if (fields?.length === 0) this.lastWriteBytes = 0;
    else if (fields && this.journal.bytes < this.compactBytes)
      this.lastWriteBytes = await this.journal.append(fields);
    else if (fields)
      // The journal is long but still good: when the snapshot cannot be written (a nearly full
      // disk), the change goes there, and the next write tries the compaction again.
      this.lastWriteBytes = await this.compact(state, next, outbox).catch(() => this.journal.append(fields));
    else this.lastWriteBytes = await this.compact(state, next, outbox);
    this.committed = next;
    this.committedOutbox = outbox;
    this.committedCounters = { lastRunId: state.lastRunId, lastOutboxId: state.lastOutboxId };
    for (const keys of this.stale.values()) keys.clear();
  }

  /**
   * Snapshot first (temp file, flush, rename), then a fresh journal; returns the bytes written.
   * Without journaling the snapshot names no generation, so no journal line continues it.
   */
  private async compact(state: HotState, next: Map<Section, Map<string, Piece>>, outbox: OutboxTexts) {
    const gen = this.journaling ? newGeneration() : null;
    const chunks: Buffer[] = [
      Buffer.from(
        `{"version":${JSON.stringify(state.version)},${gen === null ? '' : `"journal":"${gen}",`}` +
          `"lastRunId":${state.lastRunId},"lastOutboxId":${state.lastOutboxId}`,
      ),
    ];
    for (const section of SECTIONS) {
      chunks.push(Buffer.from(`,${JSON.stringify(section)}:{`));
      chunks.push(...joined([...next.get(section)!.values()].map((piece) => piece.bytes)), CLOSE_BRACE);
    }
    chunks.push(Buffer.from(`,"outbox":[${[...outbox.values()].join(',')}]}`));
    const bytes = Buffer.concat(chunks);
    await writeDurably(this.tempFile, bytes);
    await renameWithRetry(this.tempFile, this.file);
    await syncFolder(path.dirname(this.file));
    if (gen !== null) await this.journal.restart(gen);
    return bytes.length;
  }

  /** The journal fields for what differs from the disk; none when nothing does. */
  private changes(state: HotState, next: Map<Section, Map<string, Piece>>, outbox: OutboxTexts): Buffer[] {
    const fields: Buffer[] = [];
    for (const counter of ['lastRunId', 'lastOutboxId'] as const) {
      if (state[counter] !== this.committedCounters[counter])
        fields.push(Buffer.from(`"${counter}":${state[counter]}`));
    }
    for (const section of SECTIONS) {
      const before = this.committed.get(section)!;
      const after = next.get(section)!;
      const parts: Buffer[] = [];
      for (const [key, piece] of after) {
        const old = before.get(key);
        if (old !== piece && !old?.bytes.equals(piece.bytes)) parts.push(piece.bytes);
      }
      for (const key of before.keys())
        if (!after.has(key)) parts.push(Buffer.from(`${JSON.stringify(key)}:null`));
      if (parts.length > 0)
        fields.push(Buffer.concat([Buffer.from(`"${section}":{`), ...joined(parts), CLOSE_BRACE]));
    }
    fields.push(...this.outboxChanges(outbox));
    return fields;
  }

  /**
   * Changed and new items by id, removed ids apart. The queue only loses items and gains new ones
   * at its end; should its order ever change otherwise, the whole queue is written.
   */
  private outboxChanges(outbox: OutboxTexts): Buffer[] {
    const ids = [...outbox.keys()];
    const gone = [...this.committedOutbox.keys()].filter((id) => !outbox.has(id));
    const kept = [...this.committedOutbox.keys()].filter((id) => outbox.has(id));
    const added = ids.filter((id) => !this.committedOutbox.has(id));
    if ([...kept, ...added].some((id, index) => ids[index] !== id))
      return [Buffer.from(`"outboxAll":[${[...outbox.values()].join(',')}]`)];
    const changed = [...outbox].filter(([id, text]) => this.committedOutbox.get(id) !== text);
    const fields: Buffer[] = [];
    if (changed.length > 0)
      fields.push(Buffer.from(`"outbox":[${changed.map(([, text]) => text).join(',')}]`));
    if (gone.length > 0) fields.push(Buffer.from(`"outboxGone":${JSON.stringify(gone)}`));
    return fields;
  }

  /** The pieces of one section: the committed ones still valid, new JSON for the rest. */
  private section(section: Section, records: Record<string, object>): Map<string, Piece> {
    const committed = this.committed.get(section)!;
    const stale = this.stale.get(section)!;
    const pieces = new Map<string, Piece>();
    for (const [key, record] of Object.entries(records)) {
      const old = committed.get(key);
      const reusable = old && old.record === record && !stale.has(key);
      pieces.set(key, reusable ? old : pieceOf(key, record));
    }
    return pieces;
  }

  /**
   * The snapshot and the journal as of one moment. The lock keeps other writers out, but a
   * read-only reader (an admin command) can meet the bot's compaction between the two reads;
   * the snapshot's name then points to a new file, and the reader reads both again.
   */
  private async readBoth(): Promise<{ snapshot: Buffer | null; journal: Buffer | null }> {
    for (let attempt = 1; ; attempt += 1) {
      const stamp = await fileStamp(this.file);
      const snapshot = await readIfExists(this.file);
      const journal = await readIfExists(this.journal.file);
      if (attempt >= READ_ATTEMPTS || (await fileStamp(this.file)) === stamp) return { snapshot, journal };
    }
  }
}

const COMMA = Buffer.from(',');
const CLOSE_BRACE = Buffer.from('}');

function joined(parts: readonly Buffer[]): Buffer[] {
  return parts.flatMap((part, index) => (index === 0 ? [part] : [COMMA, part]));
}

function pieceOf(key: string, record: object): Piece {
  return {
    record,
    bytes: Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(record)}`),
  };
}

function piecesOf(records: Record<string, object>): Map<string, Piece> {
  return new Map(Object.entries(records).map(([key, record]) => [key, pieceOf(key, record)]));
}

function outboxTexts(outbox: readonly { id: number }[]): OutboxTexts {
  return new Map(outbox.map((item) => [item.id, JSON.stringify(item)]));
}
