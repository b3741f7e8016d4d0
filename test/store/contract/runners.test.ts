/** Runners: who may connect (id, server, secret) and what the bot last heard from each. */
import { afterEach, describe, expect, it } from 'vitest';
import { beat, FACTS, runner } from './fixtures.js';
import { STORES } from './stores.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

describe.each(STORES)('$name store: runners', (stores) => {
  afterEach(() => stores.cleanup());

  it('registers runners, lists them by id, and keeps them (secrets too) across a restart', async () => {
    const store = await stores.open(clock);
    const be02 = runner('rn-be02', 'be02');
    const be01 = runner('rn-be01', 'be01', { ...beat('rn-be01', 'be01', '2026-11-23T01:30:00.000Z', FACTS) });
    await store.saveRunner(be02);
    await store.saveRunner(be01);
    expect(store.getRunner('rn-be01')).toEqual(be01);
    expect(store.runners()).toEqual([be01, be02]);
    expect(store.getRunner('rn-nobody')).toBeUndefined();
    await store.close();

    const again = await stores.reopen();
    expect(again.getRunner('rn-be02')).toEqual(be02);
    expect(again.runners()).toEqual([be01, be02]);
  });

  it('records heartbeats; a beat without facts keeps the facts reported before', async () => {
    const store = await stores.open(clock);
    await store.saveRunner(runner('rn-be01', 'be01'));
    await store.noteRunnerSeen('rn-be01', beat('rn-be01', 'be01', '2026-11-23T02:00:00.000Z', FACTS));
    expect(store.getRunner('rn-be01')).toEqual(
      runner('rn-be01', 'be01', beat('rn-be01', 'be01', '2026-11-23T02:00:00.000Z', FACTS)),
    );
    // Only the time moves: the store may hold it in memory, but close() must keep it.
    await store.noteRunnerSeen('rn-be01', beat('rn-be01', 'be01', '2026-11-23T02:00:05.000Z'));
    expect(store.getRunner('rn-be01')).toMatchObject({
      lastSeenAt: '2026-11-23T02:00:05.000Z',
      facts: FACTS,
    });
    const patched = { ...FACTS, installedVersion: '7.0.2046.530', readAt: '2026-11-23T02:10:00.000Z' };
    await store.noteRunnerSeen('rn-be01', beat('rn-be01', 'be01', '2026-11-23T02:10:00.000Z', patched));
    await store.noteRunnerSeen('rn-be01', beat('rn-be01', 'be01', '2026-11-23T02:10:05.000Z'));
    await store.close();

    const again = await stores.reopen();
    expect(again.getRunner('rn-be01')).toEqual(
      runner('rn-be01', 'be01', beat('rn-be01', 'be01', '2026-11-23T02:10:05.000Z', patched)),
    );
  });

  it('never registers a runner from a heartbeat', async () => {
    const store = await stores.open(clock);
    await store.noteRunnerSeen('rn-stranger', beat('rn-stranger', 'be09', '2026-11-23T02:00:00.000Z', FACTS));
    expect(store.getRunner('rn-stranger')).toBeUndefined();
    expect(store.runners()).toEqual([]);
  });

  it('revokes a runner at once and for good: a later heartbeat does not bring it back', async () => {
    const store = await stores.open(clock);
    await store.saveRunner(runner('rn-be01', 'be01'));
    await store.saveRunner(runner('rn-be02', 'be02'));
    await store.noteRunnerSeen('rn-be01', beat('rn-be01', 'be01', '2026-11-23T02:00:00.000Z'));
    await store.removeRunner('rn-be01');
    expect(store.getRunner('rn-be01')).toBeUndefined();
    await store.noteRunnerSeen('rn-be01', beat('rn-be01', 'be01', '2026-11-23T02:00:05.000Z'));
    expect(store.getRunner('rn-be01')).toBeUndefined();
    expect(store.runners().map((r) => r.id)).toEqual(['rn-be02']);
    await store.close();

    const again = await stores.reopen();
    expect(again.getRunner('rn-be01')).toBeUndefined();
    expect(again.runners().map((r) => r.id)).toEqual(['rn-be02']);
  });

  it('replaces a runner saved again under the same id (a new secret works, the old one not)', async () => {
    const store = await stores.open(clock);
    await store.saveRunner(runner('rn-be01', 'be01', { secret: 'old-secret' }));
    await store.saveRunner(runner('rn-be01', 'be01', { secret: 'new-secret' }));
    expect(store.getRunner('rn-be01')?.secret).toBe('new-secret');
    await store.close();
    expect((await stores.reopen()).getRunner('rn-be01')?.secret).toBe('new-secret');
  });
});
