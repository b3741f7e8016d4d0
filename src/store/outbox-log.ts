import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE } from './private-files.js';

/**
 * What happened to queued messages since the hot file last said so, as appends instead of a
 * rewrite of the whole hot file per message: "<id> <time>" just before a send goes to Teams,
 * "<id> done" once Teams took it. At start-up a "sending" line whose message is still queued
 * means the bot died while Teams had it, and a "done" line removes its message from the queue.
 * Once the hot file is written with the queue as it is, the log says nothing new, so the store
 * empties it now and then.
 */
export interface OutboxLogEntries {
  /** Outbox id -> when its send started. */
  sending: Map<number, string>;
  /** Outbox ids Teams took. */
  done: Set<number>;
  /** The highest id named: above the hot file's lastOutboxId, the log belongs to another hot file. */
  highestId: number;
}

export class OutboxLog {
  private lines = 0;

  constructor(readonly file: string) {}

  /** Lines appended since the log was last emptied. */
  get length(): number {
    return this.lines;
  }

  /** What the log says; a torn last line (crash mid-append) is ignored. */
  async read(): Promise<OutboxLogEntries> {
    const entries: OutboxLogEntries = { sending: new Map(), done: new Set(), highestId: 0 };
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return entries;
      throw error;
    }
    for (const line of text.split('\n')) {
      const match = /^(\d+) (\S+)$/.exec(line);
      if (!match) continue;
      const id = Number(match[1]);
      if (match[2] === 'done') entries.done.add(id);
      else if (!Number.isNaN(Date.parse(match[2]!))) entries.sending.set(id, match[2]!);
      else continue;
      entries.highestId = Math.max(entries.highestId, id);
    }
    this.lines = text.split('\n').filter(Boolean).length;
    return entries;
  }

  async sending(id: number, at: string): Promise<void> {
    await this.append(`${id} ${at}\n`);
  }

  async done(id: number): Promise<void> {
    await this.append(`${id} done\n`);
  }

  private async append(line: string): Promise<void> {
    await appendFile(this.file, line, PRIVATE_FILE);
    this.lines += 1;
  }

  /** Renames the log to <file>.<time>.stale, for someone to look at; the next append starts afresh. */
  async setAside(): Promise<string> {
    const stale = `${this.file}.${Date.now()}.stale`;
    await rename(this.file, stale);
    this.lines = 0;
    return stale;
  }

  async clear(): Promise<void> {
    if (this.lines === 0) return;
    await writeFile(this.file, '', PRIVATE_FILE);
    this.lines = 0;
  }
}
