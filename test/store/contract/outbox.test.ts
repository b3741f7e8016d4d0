/**
 * The outbox: messages to Teams that must not be lost. Queued with the change they report,
 * kept until Teams took them, and marked before a send goes out so that whoever finds them
 * later (a restarted bot, a new leader) can label a message it may have posted already.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxDraft } from '../../../src/store/store.js';
import { CONVERSATION, finished, makeRun } from '../support.js';
import { settableClock } from './fixtures.js';
import { STORES } from './stores.js';

const send = (text: string, runId: number | null = 1): OutboxDraft => ({
  conversationId: CONVERSATION,
  runId,
  kind: 'send',
  activity: { type: 'message', text },
});

describe.each(STORES)('$name store: outbox', (stores) => {
  afterEach(() => stores.cleanup());

  it('queues the messages of a saved run with it, and keeps both across a restart', async () => {
    const store = await stores.open(() => new Date('2026-11-23T02:00:00Z'));
    const run = makeRun(1, { status: 'running' });
    await store.saveRun(run, [
      send('step 1 started'),
      { ...send('card'), kind: 'update', activityId: 'card-1', onSent: { rememberAsCardOf: 1 } },
    ]);
    const queued = store.outbox();
    expect(queued).toEqual([
      { ...send('step 1 started'), id: queued[0]!.id, createdAt: '2026-11-23T02:00:00.000Z', attempts: 0 },
      {
        ...send('card'),
        kind: 'update',
        activityId: 'card-1',
        onSent: { rememberAsCardOf: 1 },
        id: queued[1]!.id,
        createdAt: '2026-11-23T02:00:00.000Z',
        attempts: 0,
      },
    ]);
    expect(queued[1]!.id).toBeGreaterThan(queued[0]!.id);
    // The final save and its summary go together too.
    await store.saveRun(finished(run, 'succeeded'), [send('run 1 succeeded')]);
    await store.close();

    const again = await stores.reopen();
    expect(again.outbox()).toEqual([...queued, expect.objectContaining(send('run 1 succeeded'))]);
    expect((await again.findRun(1))?.status).toBe('succeeded');
  });

  it('counts attempts, forgets what Teams took, and keeps the rest across a restart', async () => {
    const store = await stores.open(() => new Date('2026-11-23T02:00:00Z'));
    const first = await store.enqueue(send('a'));
    const second = await store.enqueue(send('b', null));
    expect(first).toEqual({ ...send('a'), id: first.id, createdAt: '2026-11-23T02:00:00.000Z', attempts: 0 });
    expect(second.id).toBeGreaterThan(first.id);
    expect(store.outbox()).toEqual([first, second]);

    await store.touchOutbox(first.id, 3);
    await store.completeOutbox(second.id);
    expect(store.outbox()).toEqual([{ ...first, attempts: 3 }]);
    await store.close();

    const again = await stores.reopen();
    expect(again.outbox()).toEqual([{ ...first, attempts: 3 }]);
    // Ids are never given out twice, even after the message that had the highest is gone.
    expect((await again.enqueue(send('c'))).id).toBeGreaterThan(second.id);
  });

  it('records when a send started, and a restarted store still knows it', async () => {
    const time = settableClock('2026-11-23T02:00:00Z');
    const store = await stores.open(time);
    const item = await store.enqueue(send('summary'));
    const other = await store.enqueue(send('other'));
    time.set('2026-11-23T02:00:07Z');
    await store.markSending(item.id);
    expect(store.outbox()).toEqual([{ ...item, sendingSince: '2026-11-23T02:00:07.000Z' }, other]);
    await store.close();

    const again = await stores.reopen();
    const [found, untouched] = again.outbox();
    expect(found).toEqual({ ...item, sendingSince: '2026-11-23T02:00:07.000Z' });
    expect(untouched?.sendingSince).toBeUndefined();
  });

  it('lets an update replace an older unsent update of the same message only', async () => {
    const store = await stores.open(() => new Date('2026-11-23T02:00:00Z'));
    const base = { conversationId: CONVERSATION, runId: 7 } as const;
    const text = await store.enqueue({ ...base, kind: 'send', activity: { text: 'step 1 ok' } });
    await store.enqueue({ ...base, kind: 'update', activityId: 'card-7', activity: { v: 1 } });
    const otherCard = await store.enqueue({
      ...base,
      kind: 'update',
      activityId: 'card-8',
      activity: { v: 1 },
    });
    const latest = await store.enqueue({ ...base, kind: 'update', activityId: 'card-7', activity: { v: 2 } });
    expect(store.outbox()).toEqual([text, otherCard, latest]);
    await store.close();

    expect((await stores.reopen()).outbox()).toEqual([text, otherCard, latest]);
  });

  it('ignores completing, touching or marking a message that is gone', async () => {
    const store = await stores.open(() => new Date('2026-11-23T02:00:00Z'));
    const kept = await store.enqueue(send('kept'));
    await store.completeOutbox(kept.id + 41);
    await store.touchOutbox(kept.id + 41, 1);
    await store.markSending(kept.id + 41);
    expect(store.outbox()).toEqual([kept]);
  });

  it('hands out a copy of the queue, not the queue itself', async () => {
    const store = await stores.open(() => new Date('2026-11-23T02:00:00Z'));
    await store.enqueue(send('only'));
    store.outbox().pop();
    expect(store.outbox()).toHaveLength(1);
  });
});
