import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { HotState } from '../../src/store/hot-state.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { RunnerRecord } from '../../src/store/store.js';
import { CONVERSATION, hotFile, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

/** The data folder as a process killed right now would leave it (every awaited write is on disk). */
async function diskAfterKill(dir: string): Promise<string> {
  const copy = await tempDataDir('patchbot-killed-');
  for (const name of await readdir(dir)) {
    if (name === 'state.json' || name === 'state.journal.jsonl' || name === 'outbox.log')
      await copyFile(path.join(dir, name), path.join(copy, name));
  }
  return copy;
}

const draft = (text: string) => ({
  conversationId: CONVERSATION,
  runId: 1,
  kind: 'send' as const,
  activity: { text },
});

describe('the outbox log', () => {
  it('records a delivered message as an append while others wait, and a restart honours it', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    const first = await store.enqueue(draft('a'));
    const second = await store.enqueue(draft('b'));
    const third = await store.enqueue(draft('c'));
    const hotBefore = await readFile(path.join(dir, 'state.json'), 'utf8');

    await store.markSending(first.id);
    await store.completeOutbox(first.id);
    await store.markSending(second.id);

    // The hot file was not rewritten for the delivery: the log carries it.
    expect(await readFile(path.join(dir, 'state.json'), 'utf8')).toBe(hotBefore);
    expect(await readFile(path.join(dir, 'outbox.log'), 'utf8')).toMatch(/^1 \S+\n1 done\n2 \S+\n$/);

    const killed = await diskAfterKill(dir);
    const restarted = await LowdbStore.open(killed, clock);
    expect(restarted.outbox().map((o) => [o.id, o.sendingSince])).toEqual([
      [second.id, '2026-11-23T02:00:00.000Z'],
      [third.id, undefined],
    ]);
    // The restart wrote what the log said into the hot file and emptied the log.
    expect(await readFile(path.join(killed, 'outbox.log'), 'utf8')).toBe('');
    const hot = (await hotFile(killed)) as {
      outbox: { id: number }[];
    };
    expect(hot.outbox.map((o) => o.id)).toEqual([second.id, third.id]);
    await restarted.close();
    await store.close();
  });

  it('empties the log with the next hot-file write, which holds what the log said', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    const a = await store.enqueue(draft('a'));
    const b = await store.enqueue(draft('b'));
    await store.completeOutbox(a.id);
    await store.completeOutbox(b.id);
    expect(await readFile(path.join(dir, 'outbox.log'), 'utf8')).toBe('1 done\n2 done\n');

    await store.saveConversation({ conversationId: CONVERSATION, reference: {}, locale: null });
    expect(await readFile(path.join(dir, 'outbox.log'), 'utf8')).toBe('');
    const hot = (await hotFile(dir)) as { outbox: unknown[] };
    expect(hot.outbox).toEqual([]);
    await store.close();
  });

  it('records a delivery with a hot-file write once the log is long', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    const ids: number[] = [];
    for (let i = 0; i < 501; i += 1) ids.push((await store.enqueue(draft(String(i)))).id);
    // Each enqueue wrote the hot file: the log starts empty.
    for (const id of ids.slice(0, 500)) await store.completeOutbox(id);
    expect((await readFile(path.join(dir, 'outbox.log'), 'utf8')).split('\n')).toHaveLength(501);
    await store.completeOutbox(ids[500]!);
    expect(await readFile(path.join(dir, 'outbox.log'), 'utf8')).toBe('');
    const hot = (await hotFile(dir)) as { outbox: unknown[] };
    expect(hot.outbox).toEqual([]);
    await store.close();
  });

  it('sets aside a log that names messages the hot file never queued, and says so', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.enqueue(draft('a'));
    await store.enqueue(draft('b'));
    await store.close();
    // A log from a newer hot file than this one (say, this one came back from a backup).
    // (Private, as the bot creates it: a readable one would be tightened, with a warning of its own.)
    await writeFile(path.join(dir, 'outbox.log'), '1 done\n2 done\n7 done\n', { mode: 0o600 });

    const warnings: string[] = [];
    const reopened = await LowdbStore.open(dir, clock, { warn: (message) => warnings.push(message) });
    expect(reopened.outbox().map((o) => o.id)).toEqual([1, 2]);
    expect(warnings).toEqual([
      expect.stringMatching(/outbox\.log names messages .* set aside as .*\.stale, unread/),
    ]);
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith('outbox.log.') && n.endsWith('.stale'))).toHaveLength(1);
    await reopened.close();
  });

  it('ignores a line torn by a crash mid-append', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.enqueue(draft('a'));
    await store.enqueue(draft('b'));
    await store.close();
    await writeFile(path.join(dir, 'outbox.log'), '1 done\n2 do');

    const reopened = await LowdbStore.open(dir, clock);
    expect(reopened.outbox().map((o) => o.id)).toEqual([2]);
    await reopened.close();
  });
});

describe('heartbeats', () => {
  const runner: RunnerRecord = {
    id: 'rn-be01',
    server: 'be01',
    secret: 'never-shown',
    createdAt: '2026-11-23T01:00:00.000Z',
    lastSeenAt: null,
    info: null,
  };
  const info = {
    runnerId: 'rn-be01',
    version: '1.0.0',
    profile: { server: 'be01' } as never,
  };

  it('keeps a beat that only moves the time in memory until the next write', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.saveRunner(runner);
    // A write rewrites state.json or appends to its journal.
    const written = async () =>
      Promise.all(
        ['state.json', 'state.journal.jsonl'].map(async (name) => (await stat(path.join(dir, name))).mtimeMs),
      );
    await store.noteRunnerSeen(runner.id, { lastSeenAt: '2026-11-23T02:00:00.000Z', info });
    const afterFirst = await written();
    expect((await hotFile(dir)).runners['rn-be01']!.lastSeenAt).toBe('2026-11-23T02:00:00.000Z');

    // The same facts with their fields in another order are the same facts.
    const reordered = { profile: info.profile, version: info.version, runnerId: info.runnerId };
    await store.noteRunnerSeen(runner.id, { lastSeenAt: '2026-11-23T02:00:05.000Z', info: reordered });
    expect(store.getRunner(runner.id)?.lastSeenAt).toBe('2026-11-23T02:00:05.000Z');
    expect(await written()).toEqual(afterFirst);

    // A changed version is a fact worth a write at once.
    await store.noteRunnerSeen(runner.id, {
      lastSeenAt: '2026-11-23T02:00:10.000Z',
      info: { ...info, version: '1.0.1' },
    });
    const entry = (await hotFile(dir)).runners['rn-be01'];
    expect(entry).toMatchObject({ lastSeenAt: '2026-11-23T02:00:10.000Z', info: { version: '1.0.1' } });

    await store.noteRunnerSeen(runner.id, {
      lastSeenAt: '2026-11-23T02:00:15.000Z',
      info: { ...info, version: '1.0.1' },
    });
    await store.close();
    expect((await hotFile(dir)).runners['rn-be01']!.lastSeenAt).toBe('2026-11-23T02:00:15.000Z');
  });

  it('writes times held in memory once a minute has passed since the last write', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const dir = await tempDataDir();
      const store = await LowdbStore.open(dir, clock);
      await store.saveRunner(runner);
      await store.noteRunnerSeen(runner.id, { lastSeenAt: '2026-11-23T02:00:00.000Z', info });
      const onDisk = async () => ((await hotFile(dir)) as HotState).runners['rn-be01']?.lastSeenAt;

      vi.advanceTimersByTime(59_000);
      await store.noteRunnerSeen(runner.id, { lastSeenAt: '2026-11-23T02:00:59.000Z', info });
      expect(await onDisk()).toBe('2026-11-23T02:00:00.000Z');

      vi.advanceTimersByTime(1_000);
      await store.noteRunnerSeen(runner.id, { lastSeenAt: '2026-11-23T02:01:00.000Z', info });
      expect(await onDisk()).toBe('2026-11-23T02:01:00.000Z');
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
