import { appendFile, readFile, writeFile } from 'node:fs/promises';

/**
 * Which queued messages were handed to Teams: "<id> <time>" appended just before each send goes
 * out, an append instead of a rewrite of the whole hot file per message. A line whose message is
 * still queued when the bot starts means the bot died while Teams had it. Once the hot file is
 * written after a send, it holds the same fact (the message's sendingSince, or its absence from
 * the queue), so the store empties the log now and then.
 */
export class OutboxLog {
  private lines = 0;

  constructor(readonly file: string) {}

  /** Lines appended since the log was last emptied. */
  get length(): number {
    return this.lines;
  }

  /** Outbox id -> when its send started. A torn last line (crash mid-append) is ignored. */
  async read(): Promise<{ sending: Map<number, string> }> {
    const sending = new Map<number, string>();
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { sending };
      throw error;
    }
    for (const line of text.split('\n')) {
      const match = /^(\d+) (\S+)$/.exec(line);
      if (match && !Number.isNaN(Date.parse(match[2]!))) sending.set(Number(match[1]), match[2]!);
    }
    this.lines = text.split('\n').filter(Boolean).length;
    return { sending };
  }

  async sending(id: number, at: string): Promise<void> {
    await appendFile(this.file, `${id} ${at}\n`, 'utf8');
    this.lines += 1;
  }

  async clear(): Promise<void> {
    if (this.lines === 0) return;
    await writeFile(this.file, '', 'utf8');
    this.lines = 0;
  }
}
