/** What every Store promises about runs: ids, live runs, the move to the finished history. */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVE_STATUSES, FINAL_STATUSES, type RunStatus } from '../../../src/store/types.js';
import { finished, makeRun } from '../support.js';
import { settableClock } from './fixtures.js';
import { STORES } from './stores.js';

const clock = () => new Date('2026-11-23T03:00:00Z');

describe.each(STORES)('$name store: runs', (stores) => {
  afterEach(() => stores.cleanup());

  it('hands out run ids that only go up, also after a restart', async () => {
    const store = await stores.open(clock);
    const ids = [await store.nextRunId(), await store.nextRunId()];
    await store.close();
    const again = await stores.reopen();
    ids.push(await again.nextRunId());
    expect(ids[0]).toBeGreaterThan(0);
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    expect(ids[2]).toBeGreaterThan(ids[1]!);
  });

  it('gives concurrent callers different ids, all above the ones handed out before', async () => {
    const store = await stores.open(clock);
    const before = await store.nextRunId();
    const ids = await Promise.all(Array.from({ length: 25 }, () => store.nextRunId()));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids)).toBeGreaterThan(before);
    expect(await store.nextRunId()).toBeGreaterThan(Math.max(...ids));
  });

  it('keeps live runs, and the changes made to them, across a restart', async () => {
    const store = await stores.open(clock);
    const standard = makeRun(await store.nextRunId());
    const enterprise = makeRun(await store.nextRunId(), {
      server: 'be01',
      edition: 'enterprise',
      product: 'lync2013',
      status: 'awaiting-approval',
    });
    await store.saveRun(standard);
    await store.saveRun(enterprise);
    // Callers change the run they got and save it again (runs are shared objects).
    const running = store.getRun(standard.id)!;
    running.status = 'running';
    running.startedAt = '2026-11-23T02:10:00.000Z';
    running.steps[0]!.status = 'succeeded';
    await store.saveRun(running);
    const expected = store.getRun(standard.id);
    expect(expected?.status).toBe('running');
    await store.close();

    const again = await stores.reopen();
    expect(again.getRun(standard.id)).toEqual(expected);
    expect(again.getRun(enterprise.id)).toEqual(enterprise);
    expect(
      again
        .liveRuns()
        .map((r) => r.id)
        .sort((a, b) => a - b),
    ).toEqual([standard.id, enterprise.id]);
    expect(again.getRun(999)).toBeUndefined();
  });

  it.each(['planned', ...ACTIVE_STATUSES] as RunStatus[])('a %s run stays live', async (status) => {
    const store = await stores.open(clock);
    await store.saveRun(makeRun(1, { status }));
    expect(store.liveRuns().map((r) => r.id)).toEqual([1]);
    expect(store.getRun(1)?.status).toBe(status);
    expect(await store.finishedRuns({ limit: 10 })).toEqual([]);
  });

  it.each(FINAL_STATUSES)('a %s run leaves the live runs for the finished ones', async (status) => {
    const store = await stores.open(clock);
    const run = makeRun(1, { status: 'running' });
    await store.saveRun(run);
    await store.saveRun(makeRun(2, { server: 'be02' }));
    const done = finished(run, status);
    await store.saveRun(done);

    expect(store.liveRuns().map((r) => r.id)).toEqual([2]);
    expect(store.getRun(1)).toBeUndefined();
    expect(await store.findRun(1)).toEqual(done);
    expect(await store.finishedRuns({ limit: 10 })).toEqual([done]);
    await store.close();

    const again = await stores.reopen();
    expect(again.liveRuns().map((r) => r.id)).toEqual([2]);
    expect(await again.findRun(1)).toEqual(done);
  });

  it('lists finished runs newest first, filtered by server and limited, across months', async () => {
    const time = settableClock('2026-10-29T12:00:00Z');
    const store = await stores.open(time);
    const servers = ['be01', 'be02', 'be01', 'be01', 'be02', 'be01'];
    const made: number[] = [];
    for (const [index, server] of servers.entries()) {
      const run = makeRun(await store.nextRunId(), { server, status: 'running' });
      made.push(run.id);
      await store.saveRun(run);
      // One a day from October 29th: the history spans two months.
      const endedAt = new Date(Date.parse('2026-10-29T12:00:00Z') + index * 86_400_000).toISOString();
      time.set(endedAt);
      await store.saveRun(finished(run, index % 2 ? 'succeeded' : 'cancelled', endedAt));
    }
    await store.saveRun(makeRun(await store.nextRunId(), { server: 'be01' }));
    const [first, second, third, fourth, fifth, sixth] = made;

    const ids = (filter: { server?: string; limit: number }) =>
      store.finishedRuns(filter).then((runs) => runs.map((r) => r.id));
    expect(await ids({ limit: 10 })).toEqual([sixth, fifth, fourth, third, second, first]);
    expect(await ids({ server: 'be01', limit: 10 })).toEqual([sixth, fourth, third, first]);
    expect(await ids({ server: 'be01', limit: 2 })).toEqual([sixth, fourth]);
    expect(await ids({ limit: 3 })).toEqual([sixth, fifth, fourth]);
    expect(await ids({ server: 'nobody', limit: 5 })).toEqual([]);
    expect(await ids({ limit: 0 })).toEqual([]);
    await store.close();

    const again = await stores.reopen();
    expect((await again.finishedRuns({ server: 'be02', limit: 10 })).map((r) => r.id)).toEqual([
      fifth,
      second,
    ]);
  });

  it('shows a finished run saved again once, as last saved', async () => {
    const store = await stores.open(clock);
    const run = finished(makeRun(1), 'succeeded');
    await store.saveRun(run);
    await store.saveRun({ ...run, cardActivityId: 'card-2' });
    expect(await store.finishedRuns({ limit: 5 })).toEqual([{ ...run, cardActivityId: 'card-2' }]);
    expect((await store.findRun(1))?.cardActivityId).toBe('card-2');
  });

  it('finds live and finished runs after a restart, and nothing for an unknown id', async () => {
    const store = await stores.open(clock);
    const live = makeRun(1, { status: 'running' });
    await store.saveRun(live);
    await store.saveRun(finished(makeRun(2), 'expired'));
    await store.close();

    const again = await stores.reopen();
    expect(await again.findRun(1)).toEqual(live);
    expect((await again.findRun(2))?.status).toBe('expired');
    expect(await again.findRun(99)).toBeUndefined();
  });
});
