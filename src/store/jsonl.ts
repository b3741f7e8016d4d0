import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Append-only JSON Lines files, one per month (prefix-YYYY-MM.jsonl). Appending never rewrites
 * history, so the cost of a write stays flat however long the history grows.
 */
export class MonthlyJsonl<T> {
  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  async append(record: T, at: Date = new Date()): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.fileFor(at), `${JSON.stringify(record)}\n`, 'utf8');
  }

  /** Records newest first, month by month, until `accept` has taken `limit` of them. */
  async readNewestFirst(accept: (record: T) => boolean, limit: number): Promise<T[]> {
    const found: T[] = [];
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
      if (file.slice(this.prefix.length + 1, -'.jsonl'.length) < first) continue;
      for (const line of (await readFile(path.join(this.dir, file), 'utf8')).split('\n')) {
        const record = parseLine<T>(line);
        if (record !== undefined) out.push(record);
      }
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

  private fileFor(at: Date): string {
    return path.join(this.dir, `${this.prefix}-${this.monthOf(at)}.jsonl`);
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
