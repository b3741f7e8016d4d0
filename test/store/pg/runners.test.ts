/**
 * Runners on PostgreSQL: identities in the runners table, which another process (register-runner,
 * another instance) changes while the bot runs; heartbeats held in memory as the file store does.
 */
import { describe, expect, it, vi } from 'vitest';
import { InvalidRunnerIdError } from '../../../src/store/runner-registry.js';
import type { RunnerRecord } from '../../../src/store/store.js';
import { pgFixture, until } from './support.js';

const db = pgFixture('runners');
const clock = () => new Date('2026-11-23T02:00:00Z');
const runner = (id: string, server: string): RunnerRecord => ({
  id,
  server,
  secret: `secret-of-${id}`,
  createdAt: '2026-11-23T01:00:00.000Z',
  lastSeenAt: null,
  info: null,
});
const info = { runnerId: 'rn-be01', version: '1.0.0', profile: { server: 'be01' } as never };

async function seenInTable(sql: Awaited<ReturnType<typeof db.sql>>): Promise<string | null> {
  const { rows } = await sql.query("SELECT last_seen_at FROM runners WHERE id = 'rn-be01'");
  return (rows[0]?.last_seen_at as string | null | undefined) ?? null;
}

describe('PgStore runners changed by another process', () => {
  it('refuses a runner another instance removed, within the recheck time (NOTIFY: at once)', async () => {
    const url = await db.database();
    const bot = await db.open(url, clock);
    await bot.saveRunner(runner('rn-be01', 'be01'));
    const other = await db.open(url, clock);
    expect(other.getRunner('rn-be01')?.secret).toBe('secret-of-rn-be01');

    await other.removeRunner('rn-be01');
    const took = await until(() => bot.getRunner('rn-be01') === undefined, 2_000);
    expect(took).toBeLessThan(2_000);
    expect(bot.runners()).toEqual([]);
  });

  it('refuses a runner deleted without a notification within the recheck time', async () => {
    const url = await db.database();
    const bot = await db.open(url, clock, { runnerRecheckMs: 400 });
    await bot.saveRunner(runner('rn-be01', 'be01'));
    const sql = await db.sql(url);
    await sql.query("DELETE FROM runners WHERE id = 'rn-be01'");
    const took = await until(() => bot.getRunner('rn-be01') === undefined, 2_000);
    expect(took).toBeLessThan(400);
  });

  it('finds a runner another process registered, with its new secret after a replace', async () => {
    const url = await db.database();
    const bot = await db.open(url, clock, { runnerRecheckMs: 60_000 });
    const other = await db.open(url, clock);
    await other.saveRunner(runner('rn-be02', 'be02'));
    await until(() => bot.getRunner('rn-be02') !== undefined, 2_000);
    expect(bot.getRunner('rn-be02')).toEqual(runner('rn-be02', 'be02'));

    await other.saveRunner({ ...runner('rn-be02', 'be02'), secret: 'replaced' });
    await until(() => bot.getRunner('rn-be02')?.secret === 'replaced', 2_000);

    // Inserted without a notification: an unknown id asked for is looked up in the background.
    const sql = await db.sql(url);
    await sql.query(
      "INSERT INTO runners (id, server, secret, created_at) VALUES ('rn-be03', 'be03', 's3', '2026-11-23T01:00:00.000Z')",
    );
    expect(bot.getRunner('rn-be03')).toBeUndefined();
    await until(() => bot.getRunner('rn-be03') !== undefined, 2_000);
  });

  it('refuses ids that are not valid runner ids', async () => {
    const bot = await db.open(await db.database(), clock);
    await expect(bot.saveRunner(runner('../etc', 'be01'))).rejects.toBeInstanceOf(InvalidRunnerIdError);
  });
});

describe('PgStore heartbeats', () => {
  it('records heartbeats without ever registering a runner', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.saveRunner(runner('rn-be01', 'be01'));
    await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:00.000Z', info });
    expect(store.getRunner('rn-be01')).toMatchObject({ lastSeenAt: '2026-11-23T02:00:00.000Z', info });
    await store.removeRunner('rn-be01');
    await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:05.000Z', info });
    expect(store.getRunner('rn-be01')).toBeUndefined();
    const sql = await db.sql(url);
    expect((await sql.query('SELECT * FROM runners')).rows).toEqual([]);
  });

  it('holds a beat that only moves the time, writes changed facts at once, and the held time at close', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    const sql = await db.sql(url);
    await store.saveRunner(runner('rn-be01', 'be01'));
    await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:00.000Z', info });
    expect(await seenInTable(sql)).toBe('2026-11-23T02:00:00.000Z');

    const reordered = { profile: info.profile, version: info.version, runnerId: info.runnerId };
    await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:05.000Z', info: reordered });
    expect(store.getRunner('rn-be01')?.lastSeenAt).toBe('2026-11-23T02:00:05.000Z');
    expect(await seenInTable(sql)).toBe('2026-11-23T02:00:00.000Z');

    await store.noteRunnerSeen('rn-be01', {
      lastSeenAt: '2026-11-23T02:00:10.000Z',
      info: { ...info, version: '1.0.1' },
    });
    const { rows } = await sql.query("SELECT last_seen_at, info FROM runners WHERE id = 'rn-be01'");
    expect(rows[0]).toMatchObject({ last_seen_at: '2026-11-23T02:00:10.000Z', info: { version: '1.0.1' } });

    await store.noteRunnerSeen('rn-be01', {
      lastSeenAt: '2026-11-23T02:00:15.000Z',
      info: { ...info, version: '1.0.1' },
    });
    // Any other write of the store takes the held time along.
    await store.saveConversation({ conversationId: 'c', reference: {}, locale: 'de-DE' });
    expect(await seenInTable(sql)).toBe('2026-11-23T02:00:15.000Z');

    await store.noteRunnerSeen('rn-be01', {
      lastSeenAt: '2026-11-23T02:00:20.000Z',
      info: { ...info, version: '1.0.1' },
    });
    await store.close();
    expect(await seenInTable(sql)).toBe('2026-11-23T02:00:20.000Z');
  });

  it('writes times held in memory once a minute has passed since the last write', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const url = await db.database();
      const store = await db.open(url, clock, { runnerRecheckMs: 60_000 });
      const sql = await db.sql(url);
      await store.saveRunner(runner('rn-be01', 'be01'));
      await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:00.000Z', info });

      vi.advanceTimersByTime(59_000);
      await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:59.000Z', info });
      expect(await seenInTable(sql)).toBe('2026-11-23T02:00:00.000Z');

      vi.advanceTimersByTime(1_000);
      await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:01:00.000Z', info });
      expect(await seenInTable(sql)).toBe('2026-11-23T02:01:00.000Z');
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a held time when the table is read again meanwhile', async () => {
    const url = await db.database();
    const store = await db.open(url, clock, { runnerRecheckMs: 40 });
    await store.saveRunner(runner('rn-be01', 'be01'));
    await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:00.000Z', info });
    await store.noteRunnerSeen('rn-be01', { lastSeenAt: '2026-11-23T02:00:05.000Z', info });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.getRunner('rn-be01')?.lastSeenAt).toBe('2026-11-23T02:00:05.000Z');
  });
});
