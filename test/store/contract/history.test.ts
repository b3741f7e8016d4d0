/** recentRuns: each server's newest finished update runs, which predicted downtime and `versions` read. */
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_HISTORY_RUNS } from '../../../src/store/server-history.js';
import type { RunRecord } from '../../../src/store/types.js';
import { makeRun } from '../support.js';
import { STORES } from './stores.js';

const clock = () => new Date('2026-11-23T04:00:00Z');

/** A run of `server` that ended at minute `end` of the day after `down` minutes of downtime. */
function done(id: number, server: string, end: number, down: number | null, over: Partial<RunRecord> = {}) {
  const at = (m: number) => new Date(Date.parse('2026-11-23T00:00:00Z') + m * 60_000).toISOString();
  return makeRun(id, {
    server,
    status: 'succeeded',
    startedAt: at(end - 30),
    endedAt: at(end),
    downtimeStartedAt: down === null ? null : at(end - down),
    downtimeEndedAt: down === null ? null : at(end),
    ...over,
  });
}

describe.each(STORES)('$name store: recent runs per server', (stores) => {
  afterEach(() => stores.cleanup());

  it('lists a server’s newest finished update runs, newest first, without check runs, capped', async () => {
    const store = await stores.open(clock);
    for (let i = 1; i <= SERVER_HISTORY_RUNS + 5; i++) await store.saveRun(done(i, 'backend01', i, 10));
    await store.saveRun(done(100, 'backend01', 200, null, { kind: 'check' }));
    await store.saveRun(done(101, 'be01', 201, 12, { status: 'aborted' }));
    await store.saveRun(makeRun(102, { server: 'be01', status: 'running' }));

    const recent = store.recentRuns('backend01');
    expect(recent.map((r) => r.id)).toEqual(
      Array.from({ length: SERVER_HISTORY_RUNS }, (_, i) => SERVER_HISTORY_RUNS + 5 - i),
    );
    expect(recent[0]).toEqual({
      id: SERVER_HISTORY_RUNS + 5,
      server: 'backend01',
      status: 'succeeded',
      kind: undefined,
      requestedAt: '2026-11-23T02:00:00.000Z',
      endedAt: '2026-11-23T00:25:00.000Z',
      downtimeStartedAt: '2026-11-23T00:15:00.000Z',
      downtimeEndedAt: '2026-11-23T00:25:00.000Z',
    });
    // A live run is not history yet; another server's runs are its own.
    expect(store.recentRuns('be01').map((r) => [r.id, r.status])).toEqual([[101, 'aborted']]);
    expect(store.recentRuns('nobody')).toEqual([]);
  });

  it('keeps the history across a restart', async () => {
    const store = await stores.open(clock);
    await store.saveRun(done(1, 'backend01', 60, 8));
    await store.saveRun(done(2, 'lyncbe01', 90, 20));
    await store.saveRun(done(3, 'backend01', 120, 12));
    await store.close();

    const again = await stores.reopen();
    expect(again.recentRuns('backend01').map((r) => r.id)).toEqual([3, 1]);
    expect(again.recentRuns('lyncbe01').map((r) => r.downtimeStartedAt)).toEqual([
      '2026-11-23T01:10:00.000Z',
    ]);
  });
});
