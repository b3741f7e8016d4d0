import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { AuditEvent } from '../../src/store/store.js';
import { ALEX, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

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
