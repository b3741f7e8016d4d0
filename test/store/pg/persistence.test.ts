/**
 * PgStore keeps every kind of record across a reopen, with the file store's rules (ids, order,
 * copies), and reads history through the tables rather than memory.
 */
import { describe, expect, it } from 'vitest';
import type { PackageChange } from '../../../src/store/package-catalog.js';
import type { AuditEvent, RunnerRecord } from '../../../src/store/store.js';
import { ALEX, CONVERSATION, finished, makeRun } from '../support.js';
import { pgFixture } from './support.js';

const db = pgFixture('persist');
const clock = () => new Date('2026-11-23T02:00:00Z');

const runner: RunnerRecord = {
  id: 'rn-be01',
  server: 'be01',
  secret: 'never-shown',
  createdAt: '2026-11-23T01:00:00Z',
  lastSeenAt: null,
  info: null,
};

const change = (over: Partial<PackageChange> = {}): PackageChange => ({
  id: 0,
  action: 'add',
  product: 'sfb2019',
  version: '7.0.2046.530',
  entry: {
    source: 'https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe',
    fileName: 'SkypeServerUpdateInstaller.exe',
    sha256: 'AB'.repeat(32),
    version: '7.0.2046.530',
  },
  proposedBy: ALEX,
  proposedAt: clock().toISOString(),
  conversationId: CONVERSATION,
  locale: 'en-US',
  approvalsRequired: 1,
  decisions: [],
  expiresAt: '2026-11-23T03:00:00.000Z',
  status: 'awaiting-approval',
  cardActivityId: null,
  ...over,
});

describe('PgStore across a reopen', () => {
  it('keeps runs, outbox, conversations, runners, catalog, audit and counters', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    const live = makeRun(await store.nextRunId(), { status: 'running', downtimeWarnings: [20] });
    await store.saveRun(live, [
      { conversationId: CONVERSATION, runId: live.id, kind: 'send', activity: { a: 1 } },
    ]);
    const done = makeRun(await store.nextRunId(), { server: 'be02' });
    await store.saveRun(done);
    await store.saveRun(finished(done, 'succeeded'));
    const sent = await store.enqueue({
      conversationId: CONVERSATION,
      runId: null,
      kind: 'update',
      activityId: 'card-1',
      activity: { b: 2 },
    });
    await store.touchOutbox(sent.id, 3);
    await store.markSending(1);
    await store.saveConversation({
      conversationId: CONVERSATION,
      reference: { conversation: { id: 'x' } },
      locale: null,
    });
    await store.saveConversation({ conversationId: 'thread-de', reference: {}, locale: 'de-DE' });
    await store.saveRunner(runner);
    await store.noteRunnerSeen(runner.id, { lastSeenAt: '2026-11-23T02:00:00.000Z', info: null });
    const pending = await store.savePackageChange(change());
    const applied = await store.savePackageChange(
      change({
        version: '7.0.2046.600',
        entry: { ...change().entry!, version: '7.0.2046.600' },
        status: 'applied',
      }),
    );
    const events: AuditEvent[] = [
      { at: '2026-11-23T01:00:00.000Z', action: 'request', actor: ALEX, runId: 1, server: 'backend01' },
      { at: '2026-11-23T01:30:00.000Z', action: 'runner-connect', actor: { runnerId: 'rn-be01' } },
    ];
    for (const event of events) await store.appendAudit(event);
    const before = {
      live: store.liveRuns(),
      outbox: store.outbox(),
      runners: store.runners(),
      packages: store.packages(),
      changes: store.pendingPackageChanges(),
    };
    await store.close();

    const reopened = await db.open(url, clock);
    expect(reopened.liveRuns()).toEqual(before.live);
    expect(reopened.getRun(1)).toEqual(live);
    expect(reopened.getRun(2)).toBeUndefined();
    expect(await reopened.findRun(2)).toEqual(finished(done, 'succeeded'));
    expect(await reopened.finishedRuns({ limit: 5 })).toEqual([finished(done, 'succeeded')]);
    expect(reopened.outbox()).toEqual(before.outbox);
    expect(reopened.outbox()).toMatchObject([
      { id: 1, sendingSince: clock().toISOString(), attempts: 0 },
      { id: 2, attempts: 3, activity: { b: 2 } },
    ]);
    expect(reopened.getConversation(CONVERSATION)?.reference).toEqual({ conversation: { id: 'x' } });
    expect(reopened.getConversation('thread-de')?.locale).toBe('de-DE');
    expect(reopened.runners()).toEqual(before.runners);
    expect(reopened.getRunner(runner.id)).toEqual({ ...runner, lastSeenAt: '2026-11-23T02:00:00.000Z' });
    expect(reopened.packages()).toEqual(before.packages);
    expect(reopened.packages()[0]).toMatchObject({ version: '7.0.2046.600', addedAt: clock().toISOString() });
    expect(reopened.pendingPackageChanges()).toEqual([pending]);
    expect(reopened.getPackageChange(pending.id)).toEqual(pending);
    expect(applied.id).toBe(2);
    expect(await reopened.readAudit()).toEqual(events);
    expect(await reopened.readAudit(new Date('2026-11-23T01:10:00Z'))).toEqual(events.slice(1));

    // Counters go on where they were.
    expect(await reopened.nextRunId()).toBe(3);
    expect(
      (await reopened.enqueue({ conversationId: CONVERSATION, runId: null, kind: 'send', activity: {} })).id,
    ).toBe(3);
    expect((await reopened.savePackageChange(change({ version: '1.2.3' }))).id).toBe(3);
  });

  it('lists pending package changes in the order they were last saved, before and after a reopen', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    const first = await store.savePackageChange(change());
    const second = await store.savePackageChange(change({ version: '7.0.2046.531' }));
    await store.savePackageChange({
      ...first,
      decisions: [{ by: ALEX, decision: 'approved', at: clock().toISOString() }],
    });
    expect(store.pendingPackageChanges().map((c) => c.id)).toEqual([second.id, first.id]);
    await store.close();
    const reopened = await db.open(url, clock);
    expect(reopened.pendingPackageChanges().map((c) => c.id)).toEqual([second.id, first.id]);
    await reopened.savePackageChange({ ...second, status: 'rejected' });
    expect(reopened.pendingPackageChanges().map((c) => c.id)).toEqual([first.id]);
    await reopened.savePackageChange({ ...first, action: 'remove', status: 'applied' });
    expect(reopened.packages()).toEqual([]);
  });

  it('lists finished runs newest first by end, filtered by server and limited, from the table', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    const servers = ['be01', 'be02', 'be01', 'be01', 'be02', 'be01'];
    for (const [index, server] of servers.entries()) {
      const run = makeRun(await store.nextRunId(), { server, status: 'running' });
      await store.saveRun(run);
      await store.saveRun(
        finished(run, index % 2 ? 'succeeded' : 'cancelled', `2026-11-2${index}T03:00:00.000Z`),
      );
    }
    await store.saveRun(makeRun(await store.nextRunId(), { server: 'be01' }));
    // Saved again after it finished: the newer copy replaces the archived one.
    await store.saveRun({ ...(await store.findRun(3))!, cardActivityId: 'card-3' });

    expect((await store.finishedRuns({ limit: 10 })).map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1]);
    expect((await store.finishedRuns({ server: 'be01', limit: 10 })).map((r) => r.id)).toEqual([6, 4, 3, 1]);
    expect((await store.finishedRuns({ server: 'be01', limit: 2 })).map((r) => r.id)).toEqual([6, 4]);
    expect(await store.finishedRuns({ server: 'nobody', limit: 5 })).toEqual([]);
    expect(await store.finishedRuns({ limit: 0 })).toEqual([]);
    expect((await store.findRun(3))?.cardActivityId).toBe('card-3');
    expect(store.liveRuns().map((r) => r.id)).toEqual([7]);
    expect(await store.findRun(99)).toBeUndefined();
  });

  it('archives final runs another writer left among the live ones, and keeps ids above those in use', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.close();
    const sql = await db.sql(url);
    const imported = finished(makeRun(41), 'succeeded');
    await sql.query('INSERT INTO runs (id, server, status, record) VALUES ($1, $2, $3, $4)', [
      41,
      imported.server,
      imported.status,
      JSON.stringify(imported),
    ]);
    const reopened = await db.open(url, clock);
    expect(reopened.liveRuns()).toEqual([]);
    expect(await reopened.findRun(41)).toEqual(imported);
    expect(reopened.recentRuns(imported.server).map((r) => r.id)).toEqual([41]);
    expect(await reopened.nextRunId()).toBe(42);
  });

  it('saves a NUL character (which jsonb refuses) in a step output as U+FFFD instead of failing', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    const run = makeRun(1, { status: 'running' });
    run.steps[0]!.stdout = 'UTF-16 read as UTF-8: a\u0000b';
    await store.saveRun(run);
    await store.close();
    const reopened = await db.open(url, clock);
    expect(reopened.getRun(1)?.steps[0]?.stdout).toBe('UTF-16 read as UTF-8: a\uFFFDb');
  });

  it('hands out copies of the catalog, and the same run object callers change in place', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.savePackageChange(change());
    store.pendingPackageChanges()[0]!.version = 'changed';
    expect(store.pendingPackageChanges()[0]!.version).toBe('7.0.2046.530');
    const run = makeRun(1);
    await store.saveRun(run);
    expect(store.getRun(1)).toBe(run);
    store.outbox().push({} as never);
    expect(store.outbox()).toEqual([]);
  });
});
