import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { ConversationRecord } from '../../src/store/store.js';
import { finished, hotFile, makeRun, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');
const conversation = (id: string, locale: string | null = null): ConversationRecord => ({
  conversationId: id,
  reference: { conversation: { id } },
  locale,
});

describe('conversation records', () => {
  it('are dropped once nothing needs them: no language, no live run, nothing queued', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
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
    expect(Object.keys((await hotFile(dir)).conversations).sort()).toEqual(kept);
    await store.close();
  });

  it('keep a conversation whose finished run still has a message to deliver', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
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
    await store.close();

    // Delivered, then restarted: now nothing needs it.
    const reopened = await LowdbStore.open(dir, clock);
    await reopened.completeOutbox(reopened.outbox()[0]!.id);
    await reopened.close();
    const again = await LowdbStore.open(dir, clock);
    expect(again.getConversation('thread-1')).toBeUndefined();
    expect((await hotFile(dir)).conversations).toEqual({});
    await again.close();
  });
});
