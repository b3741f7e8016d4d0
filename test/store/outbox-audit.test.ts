import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { AuditEvent } from '../../src/store/store.js';
import { ALEX, CONVERSATION, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

describe('LowdbStore outbox', () => {
  it('queues, touches and completes messages, and keeps them across reopen', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    const first = await store.enqueue({
      conversationId: CONVERSATION,
      runId: 1,
      kind: 'send',
      activity: { text: 'a' },
    });
    const second = await store.enqueue({
      conversationId: CONVERSATION,
      runId: 1,
      kind: 'send',
      activity: { text: 'b' },
    });
    expect(first).toMatchObject({ id: 1, attempts: 0, createdAt: '2026-11-23T02:00:00.000Z' });
    expect(second.id).toBe(2);

    await store.touchOutbox(first.id, 3);
    await store.completeOutbox(second.id);
    await store.close();

    const reopened = await LowdbStore.open(dir, clock);
    expect(reopened.outbox()).toEqual([{ ...first, attempts: 3 }]);
    const third = await reopened.enqueue({
      conversationId: CONVERSATION,
      runId: null,
      kind: 'send',
      activity: {},
    });
    expect(third.id).toBe(3);
    await reopened.close();
  });

  it('lets an update replace an older unsent update of the same message only', async () => {
    const store = await LowdbStore.open(await tempDataDir(), clock);
    const base = { conversationId: CONVERSATION, runId: 7 } as const;
    const send = await store.enqueue({ ...base, kind: 'send', activity: { text: 'step 1 ok' } });
    await store.enqueue({ ...base, kind: 'update', activityId: 'card-7', activity: { v: 1 } });
    const otherCard = await store.enqueue({
      ...base,
      kind: 'update',
      activityId: 'card-8',
      activity: { v: 1 },
    });
    const latest = await store.enqueue({ ...base, kind: 'update', activityId: 'card-7', activity: { v: 2 } });

    expect(store.outbox()).toEqual([send, otherCard, latest]);
    await store.close();
  });

  it('ignores completing or touching a message that is gone', async () => {
    const store = await LowdbStore.open(await tempDataDir(), clock);
    await store.completeOutbox(42);
    await store.touchOutbox(42, 1);
    expect(store.outbox()).toEqual([]);
    await store.close();
  });

  it('returns a copy of the queue, not the queue itself', async () => {
    const store = await LowdbStore.open(await tempDataDir(), clock);
    await store.enqueue({ conversationId: CONVERSATION, runId: null, kind: 'send', activity: {} });
    store.outbox().pop();
    expect(store.outbox()).toHaveLength(1);
    await store.close();
  });
});

describe('LowdbStore audit', () => {
  const event = (at: string, action: string, runId?: number): AuditEvent => ({
    at,
    action,
    actor: { id: ALEX.id, name: ALEX.name },
    runId,
    server: 'backend01',
  });

  it('appends events to monthly files and reads them back from a point in time', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    const events = [
      event('2026-10-31T23:59:00.000Z', 'request', 1),
      event('2026-11-01T00:00:00.000Z', 'confirm', 1),
      event('2026-11-15T08:30:00.000Z', 'approve', 1),
      event('2026-12-02T10:00:00.000Z', 'cancel', 2),
    ];
    for (const e of events) await store.appendAudit(e);
    await store.close();

    const reopened = await LowdbStore.open(dir, clock);
    expect(await reopened.readAudit()).toEqual(events);
    expect(await reopened.readAudit(new Date('2026-11-01T00:00:00Z'))).toEqual(events.slice(1));
    expect(await reopened.readAudit(new Date('2026-11-10T00:00:00Z'))).toEqual(events.slice(2));
    expect(await reopened.readAudit(new Date('2027-01-01T00:00:00Z'))).toEqual([]);
    const audit = await readFile(path.join(dir, 'audit', 'audit-2026-11.jsonl'), 'utf8');
    expect(audit.trim().split('\n')).toHaveLength(2);
    await reopened.close();
  });

  it('skips a torn last line and starts the next event on a line of its own', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.appendAudit(event('2026-11-23T01:00:00.000Z', 'request', 1));
    await store.close();
    await appendFile(path.join(dir, 'audit', 'audit-2026-11.jsonl'), '{"at":"2026-11-23T01:01:00.000Z","act');

    const restarted = await LowdbStore.open(dir, clock);
    expect((await restarted.readAudit()).map((e) => e.action)).toEqual(['request']);
    await restarted.appendAudit(event('2026-11-23T01:02:00.000Z', 'confirm', 1));
    expect((await restarted.readAudit()).map((e) => e.action)).toEqual(['request', 'confirm']);
    await restarted.close();
  });

  it('refuses an event without a valid time', async () => {
    const store = await LowdbStore.open(await tempDataDir(), clock);
    await expect(store.appendAudit(event('yesterday', 'request'))).rejects.toThrow(/no valid time/);
    await store.close();
  });
});
