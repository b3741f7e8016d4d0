import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import type { HotState } from './hot-state.js';
import { PRIVATE_FILE_MODE } from './private-files.js';

type Section = 'runs' | 'runners' | 'conversations';
const SECTIONS: readonly Section[] = ['runs', 'runners', 'conversations'];

/** One record as the file holds it: `"key":{...}`, and the object it was written from. */
interface Piece {
  record: object;
  bytes: Buffer;
}

const RENAME_ATTEMPTS = 10;
const RENAME_RETRY_MS = 100;

/**
 * lowdb's adapter for the hot file. A write replaces the whole file (temp file flushed to disk,
 * then rename, so neither a crash nor a power cut leaves half a file), but each record's JSON is
 * kept from the write before and made again only for records that changed: a new object, or one
 * reported changed in place (`changed`: a run saved again, a runner's last-seen time moved). With
 * a hundred live runs the file is about a megabyte, and most writes change one run; making the
 * whole text each time cost most of the bot's CPU and left a megabyte of garbage per write.
 */
export class HotFile implements Adapter<HotState> {
  readonly tempFile: string;
  /** What the file holds, per record. */
  private committed = new Map<Section, Map<string, Piece>>(SECTIONS.map((s) => [s, new Map()]));
  /** Records changed in place since they were last written. */
  private readonly stale = new Map<Section, Set<string>>(SECTIONS.map((s) => [s, new Set()]));

  constructor(
    readonly file: string,
    private readonly parse: (text: string) => HotState,
  ) {
    this.tempFile = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  async read(): Promise<HotState | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const state = this.parse(text);
    this.committed = new Map(
      SECTIONS.map((section) => [section, piecesOf(state[section] as Record<string, object>)]),
    );
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

  async write(state: HotState): Promise<void> {
    const next = new Map<Section, Map<string, Piece>>();
    const chunks: Buffer[] = [
      Buffer.from(
        `{"version":${JSON.stringify(state.version)},"lastRunId":${state.lastRunId},` +
          `"lastOutboxId":${state.lastOutboxId}`,
      ),
    ];
    for (const section of SECTIONS) {
      const pieces = this.section(section, state[section] as Record<string, object>);
      next.set(section, pieces);
      chunks.push(Buffer.from(`,${JSON.stringify(section)}:{`));
      let first = true;
      for (const piece of pieces.values()) {
        if (!first) chunks.push(COMMA);
        chunks.push(piece.bytes);
        first = false;
      }
      chunks.push(CLOSE_BRACE);
    }
    chunks.push(Buffer.from(`,"outbox":${JSON.stringify(state.outbox)}}`));

    await writeDurably(this.tempFile, Buffer.concat(chunks));
    await renameWithRetry(this.tempFile, this.file);
    await syncFolder(path.dirname(this.file));
    this.committed = next;
    for (const keys of this.stale.values()) keys.clear();
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
}

const COMMA = Buffer.from(',');
const CLOSE_BRACE = Buffer.from('}');

function pieceOf(key: string, record: object): Piece {
  return {
    record,
    bytes: Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(record)}`),
  };
}

function piecesOf(records: Record<string, object>): Map<string, Piece> {
  return new Map(Object.entries(records).map(([key, record]) => [key, pieceOf(key, record)]));
}

/** Writes and flushes to the disk, so a power cut after the rename finds the new contents. */
async function writeDurably(file: string, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable where the platform allows it (not on Windows: no folder handles). */
async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows and some file systems refuse to open or sync a folder; the rename still happened.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** As lowdb's own writer does: a virus scanner or indexer may hold the file for a moment on Windows. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      if (attempt >= RENAME_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, RENAME_RETRY_MS));
    }
  }
}
