import { appendFile, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { makePrivateDir, PRIVATE_FILE } from './private-files.js';

/**
 * Append-only JSON Lines files, one per month (prefix-YYYY-MM.jsonl). Appending never rewrites
 * history, so the cost of a write stays flat however long the history grows.
 */
export class MonthlyJsonl<T> {
  /** Files known to end with a line break, so the next record starts on a line of its own. */
  private readonly cleanEnded = new Set<string>();
  private appending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  /** Appends are serialized, so two records never interleave and the torn-line check runs once per file. */
  append(record: T, at: Date = new Date()): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const done = this.appending.then(() => this.appendLine(this.fileFor(at), line));
    this.appending = done.catch(() => undefined);
    return done;
  }

  /** Records newest first, month by month, until `accept` has taken `limit` of them. */
  async readNewestFirst(accept: (record: T) => boolean, limit: number): Promise<T[]> {
    const found: T[] = [];
    if (limit <= 0) return found;
    for (const file of (await this.files()).reverse()) {
      const lines = (await readFile(path.join(this.dir, file), 'utf8')).split('\n');
      for (let i = lines.length - 1; i >= 0 && found.length < limit; i--) {
        const record = parseLine<T>(lines[i]!);
        if (record !== undefined && accept(record)) found.push(record);
      }
      if (found.length >= limit) break;
    }
    return found;
  }

  /** Every record from the month of `since` on, oldest first. */
  async readSince(since: Date | undefined): Promise<T[]> {
    const first = since ? this.monthOf(since) : '';
    const out: T[] = [];
    for (const file of await this.files()) {
      if (this.monthOfFile(file) < first) continue;
      out.push(...(await this.readFile(file)));
    }
    return out;
  }

  /** Records of the newest month only (all months with `everyMonth`), oldest first. */
  async readRecent(everyMonth: boolean): Promise<T[]> {
    const files = await this.files();
    const chosen = everyMonth ? files : files.slice(-1);
    const out: T[] = [];
    for (const file of chosen) out.push(...(await this.readFile(file)));
    return out;
  }

  private async appendLine(file: string, line: string): Promise<void> {
    await makePrivateDir(this.dir);
    // After a crash mid-append the file ends in a torn line; without a break, the next record
    // would be glued to it and lost along with it.
    const separator = this.cleanEnded.has(file) || (await endsCleanly(file)) ? '' : '\n';
    this.cleanEnded.delete(file);
    await appendFile(file, separator + line, PRIVATE_FILE);
    this.cleanEnded.add(file);
  }

  private async readFile(file: string): Promise<T[]> {
    const out: T[] = [];
    for (const line of (await readFile(path.join(this.dir, file), 'utf8')).split('\n')) {
      const record = parseLine<T>(line);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  private async files(): Promise<string[]> {
    try {
      return (await readdir(this.dir))
        .filter((f) => f.startsWith(`${this.prefix}-`) && f.endsWith('.jsonl'))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private monthOf(at: Date): string {
    return at.toISOString().slice(0, 7);
  }

  private monthOfFile(file: string): string {
    return file.slice(this.prefix.length + 1, -'.jsonl'.length);
  }

  private fileFor(at: Date): string {
    return path.join(this.dir, `${this.prefix}-${this.monthOf(at)}.jsonl`);
  }
}

/** True when the file is missing, empty, or ends with a line break. */
async function endsCleanly(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** A torn last line (crash mid-append) is skipped rather than failing the whole read. */
function parseLine<T>(line: string): T | undefined {
  if (!line.trim()) return undefined;
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined;
  }
}
