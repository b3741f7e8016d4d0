/**
 * The runner's journal knows jobs by key and attempt (issue 16, finding 9): run #1 of a new
 * store is a new job even when the journal holds an older run #1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { Job } from '../../src/protocol/messages.js';
import { Journal } from '../../src/runner/journal.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const job = (key: string | undefined): Job => ({
  ...(key === undefined ? {} : { key }),
  runId: 1,
  attempt: 1,
  server: 'backend01',
  request: { server: 'backend01', edition: 'standard' },
  steps: ['precheck.role'],
  startIndex: 0,
});

describe('journal job identity', () => {
  it('tells run #1 of another store from the run #1 it ran, and still knows the one it ran', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'patchbot-journal-'));
    dirs.push(dir);
    const journal = await Journal.open(path.join(dir, 'journal.json'), silentLogger());
    const old = job('key-of-the-old-store');
    await journal.beginRun(old, new Date().toISOString());
    await journal.finishRun(old, 'succeeded');

    expect(journal.knows(old)).toBe(true);
    expect(journal.knows(job('key-of-the-new-store'))).toBe(false);
    // A keyless job (from a bot older than keys) is not taken for a keyed one either.
    expect(journal.knows(job(undefined))).toBe(false);
    await journal.close();
    const reopened = await Journal.open(path.join(dir, 'journal.json'), silentLogger());
    expect(reopened.knows(old)).toBe(true);
    expect(reopened.knows(job('key-of-the-new-store'))).toBe(false);
    await reopened.close();
  });
});
