/**
 * PgStore when the database refuses a change: one transaction per change, so nothing of a failed
 * change is left in the tables, memory is what the tables hold, and the error says so without the
 * password. Failures are made for real: a CHECK the test adds, or a table renamed away.
 */
import { describe, expect, it } from 'vitest';
import { PgStoreWriteError } from '../../../src/store/pg/connection.js';
import { PgStore } from '../../../src/store/pg/pg-store.js';
import { StoreWriteError, type OutboxDraft, type RunnerRecord } from '../../../src/store/store.js';
import { TEST_PG_PORT } from '../../support/postgres.js';
import { CONVERSATION, finished, makeRun } from '../support.js';
import { pgFixture } from './support.js';

const db = pgFixture('failures');
const clock = () => new Date('2026-11-23T02:00:00Z');
const message = (text: string): OutboxDraft => ({
  conversationId: CONVERSATION,
  runId: 1,
  kind: 'send',
  activity: { text },
});
const runner = (id: string, server: string): RunnerRecord => ({
  id,
  server,
  secret: 'never-shown',
  createdAt: '2026-11-23T01:00:00.000Z',
  lastSeenAt: null,
  info: null,
});

describe('PgStore rolls a failed change back, in the tables and in memory', () => {
  it('saves a run and its messages together or not at all', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.saveRun(makeRun(1, { status: 'queued' }));
    const sql = await db.sql(url);
    // The second message of the change breaks this rule: its insert fails after the run's and the first's.
    await sql.query(
      "ALTER TABLE outbox ADD CONSTRAINT only_one CHECK (item->'activity'->>'text' <> 'second')",
    );

    const run = store.getRun(1)!;
    Object.assign(run, { status: 'running', startedAt: '2026-11-23T02:05:00.000Z', downtimeWarnings: [20] });
    const failing = store.saveRun(run, [message('first'), message('second')]);
    await expect(failing).rejects.toBeInstanceOf(StoreWriteError);
    await expect(failing).rejects.toThrow(/not saved/);
    expect(run).toEqual(makeRun(1, { status: 'queued' }));
    expect(store.getRun(1)).toBe(run);
    expect(store.outbox()).toEqual([]);
    expect(store.health()).toEqual({ ok: false });

    const { rows } = await sql.query("SELECT record->>'status' AS status FROM runs");
    expect(rows).toEqual([{ status: 'queued' }]);
    expect((await sql.query('SELECT * FROM outbox')).rows).toEqual([]);
    await store.close();

    const reopened = await db.open(url, clock);
    expect(reopened.liveRuns()).toEqual([makeRun(1, { status: 'queued' })]);
    expect(reopened.outbox()).toEqual([]);
    // The failed change's message ids were not used up.
    expect((await reopened.enqueue(message('again'))).id).toBe(1);
    expect(reopened.health()).toEqual({ ok: true });
  });

  it('forgets a new run whose first save failed, and keeps a run live when its final save failed', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.saveConversation({ conversationId: CONVERSATION, reference: {}, locale: null });
    await store.saveRun(makeRun(2, { status: 'running' }));
    const sql = await db.sql(url);
    await sql.query('ALTER TABLE archived_runs ADD CONSTRAINT nothing_archived CHECK (false)');
    await sql.query('ALTER TABLE runs ADD CONSTRAINT no_five CHECK (id <> 5)');

    await expect(store.saveRun(makeRun(5))).rejects.toBeInstanceOf(PgStoreWriteError);
    expect(store.getRun(5)).toBeUndefined();

    const run = store.getRun(2)!;
    run.status = 'succeeded';
    await expect(store.saveRun(run, [message('done')])).rejects.toBeInstanceOf(PgStoreWriteError);
    expect(store.liveRuns().map((r) => [r.id, r.status])).toEqual([[2, 'running']]);
    expect(store.getConversation(CONVERSATION)).toBeDefined();
    expect(store.recentRuns('backend01')).toEqual([]);
    expect(await store.finishedRuns({ limit: 5 })).toEqual([]);
    expect((await sql.query('SELECT id FROM runs')).rows).toEqual([{ id: 2 }]);
    expect((await sql.query('SELECT count(*)::int AS n FROM conversations')).rows).toEqual([{ n: 1 }]);

    await sql.query('ALTER TABLE archived_runs DROP CONSTRAINT nothing_archived');
    run.status = 'succeeded';
    await store.saveRun(run, [message('done')]);
    expect(store.liveRuns()).toEqual([]);
    // Its conversation stays while the message about it waits.
    expect(store.getConversation(CONVERSATION)).toBeDefined();
    expect(store.health()).toEqual({ ok: true });
  });

  it('undoes runner, conversation, outbox, catalog and counter changes', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.saveRunner(runner('rn-be01', 'be01'));
    const queued = await store.enqueue({ ...message('x'), kind: 'update', activityId: 'c1' });
    const sql = await db.sql(url);
    // Every table is gone from under the store, as when someone restored the wrong backup.
    for (const table of ['runners', 'outbox', 'conversations', 'meta', 'package_changes'])
      await sql.query(`ALTER TABLE ${table} RENAME TO ${table}_away`);

    await expect(store.removeRunner('rn-be01')).rejects.toBeInstanceOf(StoreWriteError);
    await expect(store.saveRunner({ ...runner('rn-be01', 'be01'), lastSeenAt: 'now' })).rejects.toThrow(
      /runners" does not exist/,
    );
    await expect(
      store.saveConversation({ conversationId: 'c', reference: {}, locale: null }),
    ).rejects.toThrow();
    await expect(store.enqueue({ ...message('y'), kind: 'update', activityId: 'c1' })).rejects.toThrow();
    await expect(store.touchOutbox(queued.id, 4)).rejects.toThrow();
    await expect(store.markSending(queued.id)).rejects.toThrow();
    await expect(store.completeOutbox(queued.id)).rejects.toThrow();
    await expect(store.nextRunId()).rejects.toThrow();
    await expect(
      store.savePackageChange({
        id: 0,
        action: 'remove',
        product: 'sfb2019',
        version: '1',
        entry: null,
        proposedBy: { id: '29:a', name: 'A' },
        proposedAt: clock().toISOString(),
        conversationId: CONVERSATION,
        locale: 'en-US',
        approvalsRequired: 1,
        decisions: [],
        expiresAt: clock().toISOString(),
        status: 'awaiting-approval',
        cardActivityId: null,
      }),
    ).rejects.toThrow();

    expect(store.getRunner('rn-be01')).toEqual(runner('rn-be01', 'be01'));
    expect(store.getConversation('c')).toBeUndefined();
    expect(store.outbox()).toEqual([queued]);
    expect(store.pendingPackageChanges()).toEqual([]);
    expect(store.health()).toEqual({ ok: false });

    for (const table of ['runners', 'outbox', 'conversations', 'meta', 'package_changes'])
      await sql.query(`ALTER TABLE ${table}_away RENAME TO ${table}`);
    expect((await store.enqueue({ ...message('z'), kind: 'send' })).id).toBe(2);
    expect(await store.nextRunId()).toBe(1);
    expect(store.health()).toEqual({ ok: true });
  });

  it('refuses every change when opened read-only, and reads what the database holds', async () => {
    const url = await db.database();
    const writer = await db.open(url, clock);
    await writer.saveRun(makeRun(1));
    await writer.appendAudit({ at: clock().toISOString(), action: 'request', actor: { system: true } });
    const reader = await db.open(url, clock, { readOnly: true });
    expect(reader.liveRuns().map((r) => r.id)).toEqual([1]);
    expect(await reader.readAudit()).toHaveLength(1);
    await expect(reader.saveRun(finished(makeRun(1), 'succeeded'))).rejects.toThrow(/read-only/);
    await expect(reader.nextRunId()).rejects.toThrow(/read-only/);
    expect(writer.liveRuns().map((r) => r.id)).toEqual([1]);
  });
});

describe('PgStore without its database', () => {
  it('says it cannot reach the server, naming host and port but never the password', async () => {
    const url = `postgres://patchbot:hunter2-secret@127.0.0.1:55499/nowhere`;
    const started = performance.now();
    const opening = PgStore.open(url, clock);
    await expect(opening).rejects.toThrow(
      'Cannot reach PostgreSQL at 127.0.0.1:55499 (connect ECONNREFUSED): check PATCHBOT_DATABASE_URL and that the server runs.',
    );
    const error = (await opening.catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('\n');
    expect(performance.now() - started).toBeLessThan(6_000);
  });

  it('names the database it cannot use (it does not exist) without creating anything', async () => {
    const url = `postgres://patchbot:hunter2-secret@127.0.0.1:${TEST_PG_PORT}/patchbot_missing_db`;
    const error = (await PgStore.open(url, clock).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      `Cannot use PostgreSQL at 127.0.0.1:${TEST_PG_PORT}/patchbot_missing_db ` +
        '(database "patchbot_missing_db" does not exist): check PATCHBOT_DATABASE_URL (user, password, database).',
    );
  });

  it('reports the loss of its connection in health(), without I/O, and recovers when the server is back', async () => {
    const url = await db.database();
    const store = await db.open(url, clock, { runnerRecheckMs: 60_000 });
    await store.saveRun(makeRun(1));
    expect(store.health()).toEqual({ ok: true });
    const admin = await db.sql(url.replace(/\/[^/]+$/, '/postgres'));
    const name = new URL(url).pathname.slice(1);
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    expect(rowCount).toBeGreaterThan(0);
    const deadline = performance.now() + 5_000;
    while (store.health().ok && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(store.health()).toEqual({ ok: false });

    // The server is still there: the next write reconnects and health() says so again.
    await store.saveRun(makeRun(2));
    expect(store.health()).toEqual({ ok: true });
    expect(store.liveRuns().map((r) => r.id)).toEqual([1, 2]);
  });
});
