/**
 * What PgStore keeps up to date as runs finish: each server's recent update runs (recentRuns,
 * from memory) and the conversation records nothing needs any more.
 */
import { describe, expect, it } from 'vitest';
import { SERVER_HISTORY_RUNS } from '../../../src/store/server-history.js';
import type { ConversationRecord } from '../../../src/store/store.js';
import { finished, makeRun } from '../support.js';
import { pgFixture } from './support.js';

const db = pgFixture('history');
const clock = () => new Date('2026-11-23T02:00:00Z');
const conversation = (id: string, locale: string | null = null): ConversationRecord => ({
  conversationId: id,
  reference: { conversation: { id } },
  locale,
});
const endOf = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 3600_000).toISOString();

describe('PgStore recent runs per server', () => {
  it('keeps each server’s newest finished update runs, newest first, without check runs, capped', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    for (let id = 1; id <= SERVER_HISTORY_RUNS + 3; id++)
      await store.saveRun(finished(makeRun(id, { server: 'be01' }), 'succeeded', endOf(id)));
    await store.saveRun(finished(makeRun(50, { server: 'be01', kind: 'check' }), 'succeeded', endOf(99)));
    await store.saveRun(finished(makeRun(51, { server: 'be02' }), 'aborted', endOf(1)));
    // A run saved after it finished, with an older end: it takes its place by its end time.
    await store.saveRun(finished(makeRun(52, { server: 'be02' }), 'succeeded', endOf(0)));
    await store.saveRun(makeRun(53, { server: 'be02', status: 'running' }));

    const expected = {
      be01: Array.from({ length: SERVER_HISTORY_RUNS }, (_, i) => SERVER_HISTORY_RUNS + 3 - i),
      be02: [51, 52],
    };
    expect(store.recentRuns('be01').map((r) => r.id)).toEqual(expected.be01);
    expect(store.recentRuns('be02').map((r) => r.id)).toEqual(expected.be02);
    expect(store.recentRuns('be02')[0]).toEqual({
      id: 51,
      server: 'be02',
      status: 'aborted',
      kind: undefined,
      requestedAt: '2026-11-23T02:00:00.000Z',
      endedAt: endOf(1),
      downtimeStartedAt: null,
      downtimeEndedAt: null,
    });
    expect(store.recentRuns('nobody')).toEqual([]);
    await store.close();

    // Loaded from the archive's indexes at the next start, the same.
    const reopened = await db.open(url, clock);
    expect(reopened.recentRuns('be01').map((r) => r.id)).toEqual(expected.be01);
    expect(reopened.recentRuns('be02').map((r) => r.id)).toEqual(expected.be02);
    await reopened.saveRun(finished(makeRun(54, { server: 'be02' }), 'succeeded', endOf(500)));
    expect(reopened.recentRuns('be02').map((r) => r.id)).toEqual([54, 51, 52]);
  });

  it('hands out copies', async () => {
    const store = await db.open(await db.database(), clock);
    await store.saveRun(finished(makeRun(1), 'succeeded'));
    store.recentRuns('backend01')[0]!.status = 'aborted';
    expect(store.recentRuns('backend01')[0]!.status).toBe('succeeded');
  });
});

describe('PgStore conversation records', () => {
  it('are dropped once nothing needs them: no language, no live run, nothing queued', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    for (const c of [
      conversation('thread-done'),
      conversation('thread-german', 'de-DE'),
      conversation('thread-live'),
      conversation('thread-queued'),
      conversation('thread-help'),
    ])
      await store.saveConversation(c);
    await store.saveRun(makeRun(1, { conversationId: 'thread-done' }));
    await store.saveRun(makeRun(2, { conversationId: 'thread-live', server: 'be01' }));
    await store.enqueue({ conversationId: 'thread-queued', runId: null, kind: 'send', activity: {} });

    await store.saveRun(finished(store.getRun(1)!, 'succeeded'));

    const kept = ['thread-german', 'thread-live', 'thread-queued'];
    for (const id of kept) expect(store.getConversation(id)).toBeDefined();
    expect(store.getConversation('thread-done')).toBeUndefined();
    expect(store.getConversation('thread-help')).toBeUndefined();
    const sql = await db.sql(url);
    const { rows } = await sql.query('SELECT conversation_id FROM conversations ORDER BY conversation_id');
    expect(rows.map((row) => row.conversation_id)).toEqual(kept);
  });

  it('keep a conversation whose finished run still has a message to deliver, until a restart after delivery', async () => {
    const url = await db.database();
    const store = await db.open(url, clock);
    await store.saveConversation(conversation('thread-1'));
    await store.saveRun(makeRun(1, { conversationId: 'thread-1' }));
    const summary = {
      conversationId: 'thread-1',
      runId: 1,
      kind: 'send' as const,
      activity: { text: 'done' },
    };
    await store.saveRun(finished(store.getRun(1)!, 'succeeded'), [summary]);
    expect(store.getConversation('thread-1')).toBeDefined();
    await store.completeOutbox(store.outbox()[0]!.id);
    await store.close();

    const again = await db.open(url, clock);
    expect(again.getConversation('thread-1')).toBeUndefined();
    const sql = await db.sql(url);
    expect((await sql.query('SELECT * FROM conversations')).rows).toEqual([]);
  });
});
