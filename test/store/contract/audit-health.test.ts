/** The audit trail, the store's health for /readyz, and what a restarted store finds. */
import { afterEach, describe, expect, it } from 'vitest';
import { finished, makeRun } from '../support.js';
import { auditEvent, conversation, packageChange, runner, settableClock } from './fixtures.js';
import { STORES } from './stores.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

describe.each(STORES)('$name store: audit', (stores) => {
  afterEach(() => stores.cleanup());

  it('reads back every event in order, from a point in time on, also after a restart', async () => {
    const store = await stores.open(clock);
    const events = [
      auditEvent('2026-10-31T23:59:00.000Z', 'request', 1),
      auditEvent('2026-11-01T00:00:00.000Z', 'confirm', 1),
      { at: '2026-11-15T08:30:00.000Z', action: 'runner-connect', actor: { runnerId: 'rn-be01' } },
      { ...auditEvent('2026-11-15T08:30:00.000Z', 'step-result', 1), detail: { step: 3, ok: true } },
      { at: '2026-12-02T10:00:00.000Z', action: 'expire', actor: { system: true as const }, runId: 2 },
    ];
    for (const event of events) await store.appendAudit(event);
    expect(await store.readAudit()).toEqual(events);
    await store.close();

    const again = await stores.reopen();
    expect(await again.readAudit()).toEqual(events);
    expect(await again.readAudit(new Date('2026-11-01T00:00:00Z'))).toEqual(events.slice(1));
    expect(await again.readAudit(new Date('2026-11-10T00:00:00Z'))).toEqual(events.slice(2));
    expect(await again.readAudit(new Date('2027-01-01T00:00:00Z'))).toEqual([]);
    await again.appendAudit(auditEvent('2026-12-03T00:00:00.000Z', 'approve', 2));
    expect((await again.readAudit(new Date('2026-12-01T00:00:00Z'))).map((e) => e.action)).toEqual([
      'expire',
      'approve',
    ]);
  });

  it('refuses an event without a valid time', async () => {
    const store = await stores.open(clock);
    await expect(store.appendAudit(auditEvent('yesterday', 'request'))).rejects.toThrow();
    expect(await store.readAudit()).toEqual([]);
  });
});

describe.each(STORES)('$name store: health and restart', (stores) => {
  afterEach(() => stores.cleanup());

  it('is healthy before and after writes', async () => {
    const store = await stores.open(clock);
    expect(store.health()).toEqual({ ok: true });
    await store.saveRun(makeRun(await store.nextRunId()));
    await store.enqueue({ conversationId: 'c', runId: null, kind: 'send', activity: {} });
    await store.appendAudit(auditEvent('2026-11-23T02:00:00.000Z', 'request', 1));
    expect(store.health()).toEqual({ ok: true });
  });

  it('finds after a restart everything that resolved before close()', async () => {
    const store = await stores.open(clock);
    const live = makeRun(await store.nextRunId(), { status: 'running' });
    const done = finished(makeRun(await store.nextRunId(), { server: 'be02' }), 'succeeded');
    await store.saveConversation(conversation('thread-de', 'de-DE'));
    await store.saveRun(live, [
      { conversationId: live.conversationId, runId: live.id, kind: 'send', activity: {} },
    ]);
    await store.saveRun(done);
    await store.saveRunner(runner('rn-be01', 'be01'));
    const change = await store.savePackageChange(packageChange());
    await store.appendAudit(auditEvent('2026-11-23T02:00:00.000Z', 'request', live.id));
    const outbox = store.outbox();
    await store.close();

    const again = await stores.reopen();
    expect(again.liveRuns()).toEqual([live]);
    expect(await again.findRun(done.id)).toEqual(done);
    expect(again.recentRuns('be02').map((r) => r.id)).toEqual([done.id]);
    expect(again.outbox()).toEqual(outbox);
    expect(again.getConversation('thread-de')?.locale).toBe('de-DE');
    expect(again.getRunner('rn-be01')).toEqual(runner('rn-be01', 'be01'));
    expect(again.pendingPackageChanges()).toEqual([change]);
    expect(await again.readAudit()).toHaveLength(1);
    expect(await again.nextRunId()).toBeGreaterThan(done.id);
    expect(again.health()).toEqual({ ok: true });
  });

  it('finds every write that resolved, also when the old store never closed (the bot was killed)', async () => {
    const time = settableClock('2026-11-23T02:00:00Z');
    const store = await stores.open(time);
    const run = makeRun(await store.nextRunId(), { status: 'running' });
    await store.saveRun(run, [
      { conversationId: run.conversationId, runId: run.id, kind: 'send', activity: {} },
    ]);
    const done = await store.enqueue({
      conversationId: run.conversationId,
      runId: null,
      kind: 'send',
      activity: {},
    });
    const sending = await store.enqueue({
      conversationId: run.conversationId,
      runId: null,
      kind: 'send',
      activity: {},
    });
    time.set('2026-11-23T02:00:09Z');
    await store.markSending(sending.id);
    await store.completeOutbox(done.id);
    await store.saveConversation(conversation('thread-de', 'de-DE'));
    await store.saveRunner(runner('rn-be01', 'be01'));
    const change = await store.savePackageChange(packageChange());
    await store.appendAudit(auditEvent('2026-11-23T02:00:00.000Z', 'request', run.id));

    const after = await stores.reopen();
    expect(after.liveRuns()).toEqual([run]);
    expect(after.outbox().map((item) => [item.id, item.sendingSince])).toEqual([
      [store.outbox()[0]!.id, undefined],
      [sending.id, '2026-11-23T02:00:09.000Z'],
    ]);
    expect(after.getConversation('thread-de')?.locale).toBe('de-DE');
    expect(after.getRunner('rn-be01')).toEqual(runner('rn-be01', 'be01'));
    expect(after.pendingPackageChanges()).toEqual([change]);
    expect(await after.readAudit()).toHaveLength(1);
    expect(await after.nextRunId()).toBeGreaterThan(run.id);
  });
});
