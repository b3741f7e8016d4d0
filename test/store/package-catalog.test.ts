/**
 * The package catalog and server facts on real files: what survives a restart, what a failed or
 * damaged file does, and that a heartbeat with unchanged facts does not rewrite the hot file.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFacts } from '../../src/procedure/index.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { PackageChange } from '../../src/store/package-catalog.js';
import { StoreCorruptError } from '../../src/store/store.js';
import { profile } from '../procedure/fixtures.js';
import { ALEX, hotFile, tempDataDir } from './support.js';

const clock = () => new Date('2026-12-04T17:00:00Z');
const SHA = 'AB'.repeat(32);
const open: LowdbStore[] = [];

async function openStore(dir: string): Promise<LowdbStore> {
  const store = await LowdbStore.open(dir, clock, { warn: () => undefined });
  open.push(store);
  return store;
}

afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
});

const change = (over: Partial<PackageChange> = {}): PackageChange => ({
  id: 0,
  action: 'add',
  product: 'sfb2019',
  version: '7.0.2046.530',
  entry: {
    source: 'https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe',
    fileName: 'SkypeServerUpdateInstaller.exe',
    sha256: SHA,
    version: '7.0.2046.530',
  },
  proposedBy: ALEX,
  proposedAt: clock().toISOString(),
  conversationId: '19:patching@thread.tacv2',
  locale: 'en-US',
  approvalsRequired: 1,
  decisions: [],
  expiresAt: '2026-12-04T18:00:00.000Z',
  status: 'awaiting-approval',
  cardActivityId: null,
  ...over,
});

const FACTS: ServerFacts = {
  readAt: '2026-12-04T16:59:00.000Z',
  product: 'sfb2019',
  installedVersion: '7.0.2046.520',
  components: [{ name: 'Core Components', version: '7.0.2046.520' }],
  edition: 'standard',
  poolFqdn: 'backend01.contoso.local',
  sqlServerFqdn: null,
  collocatedStores: null,
  mirrored: null,
  pendingRestart: false,
  freeSpaceGb: 40.2,
  powershellVersion: '5.1',
  csServiceCount: 12,
};

describe('package catalog on disk', () => {
  it('keeps a pending change and an applied entry across a restart, in a flat file', async () => {
    const dir = await tempDataDir();
    const store = await openStore(dir);
    expect(store.packages()).toEqual([]);
    const pending = await store.savePackageChange(change());
    expect(pending.id).toBe(1);
    const applied = await store.savePackageChange(
      change({
        product: 'lync2013',
        version: '5.0.8308.1182',
        entry: { ...change().entry!, version: '5.0.8308.1182' },
        status: 'applied',
      }),
    );
    expect(applied.id).toBe(2);
    await store.close();

    const file = JSON.parse(await readFile(path.join(dir, 'packages.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    // Names of the people who changed it: private to the bot's account, like the rest of the folder.
    if (process.platform !== 'win32')
      expect((await stat(path.join(dir, 'packages.json'))).mode & 0o777).toBe(0o600);
    expect(file).toMatchObject({ version: 1, lastChangeId: 2 });
    expect(Array.isArray(file.packages) && Array.isArray(file.changes)).toBe(true);

    const again = await openStore(dir);
    expect(again.packages()).toEqual([
      expect.objectContaining({ product: 'lync2013', version: '5.0.8308.1182', sha256: SHA, addedBy: ALEX }),
    ]);
    expect(again.pendingPackageChanges().map((c) => c.id)).toEqual([1]);
    expect(again.getPackageChange(2)).toBeUndefined();
  });

  it('stops on a damaged catalog file and leaves it as it was', async () => {
    const dir = await tempDataDir();
    await (await openStore(dir)).close();
    const file = path.join(dir, 'packages.json');
    await writeFile(file, '{"version":1,"lastChangeId":0,"packages":[{"product":"sfb2019"}],"changes":[]}');
    for (const store of open.splice(0)) await store.close().catch(() => undefined);
    await expect(LowdbStore.open(dir, clock, { warn: () => undefined })).rejects.toBeInstanceOf(
      StoreCorruptError,
    );
    expect(await readFile(file, 'utf8')).toContain('"packages":[{"product":"sfb2019"}]');
    await writeFile(file, 'not json');
    await expect(LowdbStore.open(dir, clock, { warn: () => undefined })).rejects.toThrow(
      /packages\.json is damaged/,
    );
  });
});

describe('server facts', () => {
  const seen = (at: string, facts?: ServerFacts) => ({
    lastSeenAt: at,
    info: { runnerId: 'r-backend01', version: '0.1.0', profile: profile('sfb2019', 'backend01') },
    ...(facts ? { facts } : {}),
  });

  it('persists the facts a heartbeat carries, keeps them through beats without facts, and survives a restart', async () => {
    const dir = await tempDataDir();
    const store = await openStore(dir);
    await store.saveRunner({
      id: 'r-backend01',
      server: 'backend01',
      secret: 's'.repeat(40),
      createdAt: clock().toISOString(),
      lastSeenAt: null,
      info: null,
    });
    await store.noteRunnerSeen('r-backend01', seen('2026-12-04T17:00:00.000Z', FACTS));
    expect(store.getRunner('r-backend01')?.facts).toEqual(FACTS);
    await store.noteRunnerSeen('r-backend01', seen('2026-12-04T17:00:05.000Z'));
    expect(store.getRunner('r-backend01')?.facts).toEqual(FACTS);
    await store.close();
    const again = await openStore(dir);
    expect(again.getRunner('r-backend01')?.facts).toEqual(FACTS);
  });

  it('writes the hot file when the facts change, not when only their reading time moves', async () => {
    const dir = await tempDataDir();
    const store = await openStore(dir);
    await store.saveRunner({
      id: 'r-backend01',
      server: 'backend01',
      secret: 's'.repeat(40),
      createdAt: clock().toISOString(),
      lastSeenAt: null,
      info: null,
    });
    await store.noteRunnerSeen('r-backend01', seen('2026-12-04T17:00:00.000Z', FACTS));
    const before = await hotFile(dir);
    await store.noteRunnerSeen(
      'r-backend01',
      seen('2026-12-04T17:00:05.000Z', { ...FACTS, readAt: '2026-12-04T17:00:04.000Z' }),
    );
    expect(await hotFile(dir)).toEqual(before);
    // In memory the newer reading time shows at once.
    expect(store.getRunner('r-backend01')?.facts?.readAt).toBe('2026-12-04T17:00:04.000Z');

    const patched = { ...FACTS, installedVersion: '7.0.2046.530', readAt: '2026-12-04T17:10:00.000Z' };
    await store.noteRunnerSeen('r-backend01', seen('2026-12-04T17:10:00.000Z', patched));
    const after = (await hotFile(dir)) as { runners: Record<string, { facts?: ServerFacts }> };
    expect(after.runners['r-backend01']?.facts?.installedVersion).toBe('7.0.2046.530');
  });
});
