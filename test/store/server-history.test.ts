/**
 * The per-server index of finished runs (server-history.json) on real files: what predicted
 * downtime and `versions` read instead of the archive.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { predictedDowntimeFor } from '../../src/fleet/downtime.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { StoreCorruptError } from '../../src/store/store.js';
import type { RunRecord } from '../../src/store/types.js';
import { makeRun, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T04:00:00Z');
const stores: LowdbStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});
async function openStore(dir: string) {
  const store = await LowdbStore.open(dir, clock, { warn: () => undefined });
  stores.push(store);
  return store;
}

/** A run of `server` that ended at minute `end` after `down` minutes of downtime. */
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

describe('server history index', () => {
  it('answers from the index alone: the archive is not read', async () => {
    const dir = await tempDataDir();
    const store = await openStore(dir);
    await store.saveRun(done(1, 'backend01', 60, 8));
    await store.saveRun(done(2, 'backend01', 120, 12));
    await rm(path.join(dir, 'archive'), { recursive: true });
    expect(await predictedDowntimeFor(store, 'backend01')).toEqual({
      samples: 2,
      medianMs: 600_000,
      worstMs: 720_000,
    });
  });

  it('survives a restart, is rebuilt from the archive when missing, and catches up with the newest month', async () => {
    const dir = await tempDataDir();
    const store = await openStore(dir);
    await store.saveRun(done(1, 'backend01', 60, 8));
    await store.saveRun(done(2, 'lyncbe01', 90, 20));
    await store.close();
    stores.splice(0);

    expect((await openStore(dir)).recentRuns('backend01').map((r) => r.id)).toEqual([1]);
    await stores.splice(0)[0]!.close();

    await rm(path.join(dir, 'server-history.json'));
    const rebuilt = await openStore(dir);
    expect(rebuilt.recentRuns('lyncbe01').map((r) => r.id)).toEqual([2]);
    await rebuilt.close();
    stores.splice(0);

    // As after a crash between the archive append and the index write: the index lacks run 2.
    const file = path.join(dir, 'server-history.json');
    const data = JSON.parse(await readFile(file, 'utf8')) as { servers: Record<string, unknown[]> };
    delete data.servers.lyncbe01;
    await writeFile(file, JSON.stringify(data));
    expect((await openStore(dir)).recentRuns('lyncbe01').map((r) => r.id)).toEqual([2]);
  });

  it('stops on a damaged index and names it', async () => {
    const dir = await tempDataDir();
    await (await openStore(dir)).close();
    stores.splice(0);
    await writeFile(path.join(dir, 'server-history.json'), '{"version":1,"servers":{"x":5}}');
    await expect(LowdbStore.open(dir, clock, { warn: () => undefined })).rejects.toBeInstanceOf(
      StoreCorruptError,
    );
  });
});
