/**
 * Conversation records: how the bot messages a conversation later. Every channel thread is a
 * conversation of its own, so a record nothing needs (no language chosen, no live run, nothing
 * queued for it) is dropped when a run finishes or the store opens; the next message saves it again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { finished, makeRun } from '../support.js';
import { conversation } from './fixtures.js';
import { STORES } from './stores.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

describe.each(STORES)('$name store: conversations', (stores) => {
  afterEach(() => stores.cleanup());

  it('saves, replaces and finds conversations, also after a restart', async () => {
    const store = await stores.open(clock);
    await store.saveConversation(conversation('thread-a', 'de-DE'));
    await store.saveConversation(conversation('thread-b', 'fr-FR'));
    await store.saveConversation(conversation('thread-b', null));
    await store.saveRun(makeRun(1, { conversationId: 'thread-b' }));
    expect(store.getConversation('thread-a')).toEqual(conversation('thread-a', 'de-DE'));
    expect(store.getConversation('thread-b')).toEqual(conversation('thread-b', null));
    expect(store.getConversation('thread-x')).toBeUndefined();
    await store.close();

    const again = await stores.reopen();
    expect(again.getConversation('thread-a')).toEqual(conversation('thread-a', 'de-DE'));
    expect(again.getConversation('thread-b')).toEqual(conversation('thread-b', null));
  });

  it('drops the ones nothing needs when a run finishes: no language, no live run, nothing queued', async () => {
    const store = await stores.open(clock);
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
    await store.close();

    const again = await stores.reopen();
    for (const id of kept) expect(again.getConversation(id)).toBeDefined();
    expect(again.getConversation('thread-done')).toBeUndefined();
  });

  it('keeps one whose finished run still has a message to deliver, until a restart after delivery', async () => {
    const store = await stores.open(clock);
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

    const reopened = await stores.reopen();
    expect(reopened.getConversation('thread-1')).toBeDefined();
    await reopened.completeOutbox(reopened.outbox()[0]!.id);
    await reopened.close();
    const again = await stores.reopen();
    expect(again.getConversation('thread-1')).toBeUndefined();
  });
});
