/**
 * The data folder is private to the bot's account (issue 16, finding 5): state.json, the
 * archive, the audit trail, outbox.log, the lock and the runner registry, including files
 * created long after start, are 0600 and their folders 0700, whatever the umask allows.
 */
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { ALEX, CONVERSATION, finished, makeRun, tempDataDir } from './support.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Every entry below `dir` (and `dir` itself) with its permission bits, as "0600 path". */
async function modes(dir: string): Promise<string[]> {
  const out = [`${((await stat(dir)).mode & 0o777).toString(8).padStart(4, '0')} .`];
  for (const name of await readdir(dir, { recursive: true })) {
    const mode = (await stat(path.join(dir, name))).mode & 0o777;
    out.push(`${mode.toString(8).padStart(4, '0')} ${name}`);
  }
  return out.sort();
}

const isPrivate = (line: string) => line.startsWith('0600 ') || line.startsWith('0700 ');

describe.skipIf(process.platform === 'win32')('data folder permissions', () => {
  it('creates the folder and every file in it private, including files created later', async () => {
    const parent = await tempDataDir();
    dirs.push(parent);
    const dir = path.join(parent, 'data');
    // The usual umask (022) would leave new files 0644 and folders 0755.
    const umask = process.umask(0o022);
    try {
      const store = await LowdbStore.open(dir, () => new Date('2026-11-23T02:00:00Z'));
      await store.saveRunner({
        id: 'rn-backend01',
        server: 'backend01',
        secret: 's'.repeat(43),
        createdAt: '2026-11-23T02:00:00.000Z',
        lastSeenAt: null,
        info: null,
      });
      const run = makeRun(await store.nextRunId());
      await store.saveRun(run);
      const item = await store.enqueue({
        conversationId: CONVERSATION,
        runId: run.id,
        kind: 'send',
        activity: { type: 'message', text: 'hello' },
      });
      await store.markSending(item.id);
      await store.completeOutbox(item.id);
      await store.appendAudit({ at: '2026-11-23T02:00:00.000Z', action: 'request', actor: ALEX });
      // Finished: the run moves to the archive, a file created only now.
      await store.saveRun(finished(run, 'succeeded'));
      await store.close();
    } finally {
      process.umask(umask);
    }
    const found = await modes(dir);
    expect(found.some((line) => line.includes('archive'))).toBe(true);
    expect(found.some((line) => line.includes('audit'))).toBe(true);
    expect(found.some((line) => line.endsWith('outbox.log'))).toBe(true);
    expect(found.some((line) => line.endsWith('state.json'))).toBe(true);
    expect(found.filter((line) => !isPrivate(line))).toEqual([]);
  });

  it('makes a data folder an older version left readable to others private at start', async () => {
    const parent = await tempDataDir();
    dirs.push(parent);
    const dir = path.join(parent, 'data');
    await mkdir(path.join(dir, 'audit'), { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    await writeFile(path.join(dir, 'audit', '2026-11.jsonl'), '', { mode: 0o644 });
    await chmod(path.join(dir, 'audit', '2026-11.jsonl'), 0o644);
    const warnings: string[] = [];
    const store = await LowdbStore.open(dir, () => new Date(), { warn: (message) => warnings.push(message) });
    await store.close();
    expect((await modes(dir)).filter((line) => !isPrivate(line))).toEqual([]);
    expect(warnings.join('\n')).toMatch(/private to this account/);
  });
});
