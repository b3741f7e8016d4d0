/** The package catalog and the changes to it that wait for approvals. */
import { afterEach, describe, expect, it } from 'vitest';
import { ALEX } from '../support.js';
import { packageChange } from './fixtures.js';
import { STORES } from './stores.js';

const clock = () => new Date('2026-11-23T02:30:00Z');
const BEA = { id: '29:bea', name: 'Bea Approver' };

describe.each(STORES)('$name store: package catalog', (stores) => {
  afterEach(() => stores.cleanup());

  it('gives a new change its id and keeps it pending, also after a restart', async () => {
    const store = await stores.open(clock);
    expect(store.packages()).toEqual([]);
    expect(store.pendingPackageChanges()).toEqual([]);
    const first = await store.savePackageChange(packageChange());
    const second = await store.savePackageChange(packageChange({ version: '7.0.2046.540' }));
    expect(first).toEqual({ ...packageChange(), id: first.id });
    expect(first.id).toBeGreaterThan(0);
    expect(second.id).toBeGreaterThan(first.id);
    // An approval is recorded on the pending change.
    const decided = {
      ...second,
      decisions: [{ by: BEA, decision: 'approved' as const, at: '2026-11-23T02:20:00.000Z' }],
    };
    await store.savePackageChange(decided);
    expect(store.pendingPackageChanges()).toEqual([first, decided]);
    expect(store.getPackageChange(second.id)).toEqual(decided);
    await store.close();

    const again = await stores.reopen();
    expect(again.pendingPackageChanges()).toEqual([first, decided]);
    expect(again.getPackageChange(first.id)).toEqual(first);
    expect(again.getPackageChange(first.id + 100)).toBeUndefined();
    expect((await again.savePackageChange(packageChange({ version: '7.0.2046.550' }))).id).toBeGreaterThan(
      second.id,
    );
  });

  it('applies an added package to the catalog in the same save, replacing one of the same version', async () => {
    const store = await stores.open(clock);
    const proposed = await store.savePackageChange(packageChange());
    const lync = await store.savePackageChange(
      packageChange({ product: 'lync2013', version: '5.0.8308.1182', status: 'applied' }),
    );
    expect(lync.status).toBe('applied');
    const applied = await store.savePackageChange({ ...proposed, status: 'applied' });
    expect(applied).toEqual({ ...proposed, status: 'applied' });

    expect(store.pendingPackageChanges()).toEqual([]);
    expect(store.getPackageChange(proposed.id)).toBeUndefined();
    const entry = {
      ...packageChange().entry!,
      product: 'sfb2019',
      addedAt: clock().toISOString(),
      addedBy: ALEX,
    };
    expect(store.packages()).toEqual([
      { ...entry, product: 'lync2013', version: '5.0.8308.1182' },
      { ...entry, version: '7.0.2046.530' },
    ]);

    // The same product and version again: the new entry replaces the old one.
    const newSource = { ...packageChange().entry!, source: 'https://files.contoso.local/cu2/x.exe' };
    await store.savePackageChange(packageChange({ entry: newSource, status: 'applied' }));
    expect(store.packages().map((p) => [p.product, p.version, p.source])).toEqual([
      ['lync2013', '5.0.8308.1182', entry.source],
      ['sfb2019', '7.0.2046.530', newSource.source],
    ]);
    await store.close();

    const again = await stores.reopen();
    expect(again.packages().map((p) => [p.product, p.version, p.source, p.addedBy])).toEqual([
      ['lync2013', '5.0.8308.1182', entry.source, ALEX],
      ['sfb2019', '7.0.2046.530', newSource.source, ALEX],
    ]);
  });

  it('applies a removal, and leaves the catalog alone for a rejected or expired change', async () => {
    const store = await stores.open(clock);
    await store.savePackageChange(packageChange({ status: 'applied' }));
    const removal = await store.savePackageChange(packageChange({ action: 'remove' }));
    expect(store.packages()).toHaveLength(1);
    await store.savePackageChange({ ...removal, status: 'applied' });
    expect(store.packages()).toEqual([]);

    const rejected = await store.savePackageChange(packageChange({ version: '7.0.2046.560' }));
    const expired = await store.savePackageChange(packageChange({ version: '7.0.2046.570' }));
    const waiting = await store.savePackageChange(packageChange({ version: '7.0.2046.580' }));
    await store.savePackageChange({ ...rejected, status: 'rejected' });
    await store.savePackageChange({ ...expired, status: 'expired' });
    expect(store.pendingPackageChanges()).toEqual([waiting]);
    expect(store.packages()).toEqual([]);
    await store.close();

    const again = await stores.reopen();
    expect(again.pendingPackageChanges()).toEqual([waiting]);
    expect(again.packages()).toEqual([]);
  });

  it('hands out copies: changing what it returned changes nothing stored', async () => {
    const store = await stores.open(clock);
    const pending = await store.savePackageChange(packageChange());
    await store.savePackageChange(packageChange({ version: '7.0.2046.540', status: 'applied' }));
    store.packages()[0]!.sha256 = 'tampered';
    store.pendingPackageChanges()[0]!.decisions.push({ by: BEA, decision: 'approved', at: 'x' });
    pending.status = 'rejected';
    expect(store.packages()[0]!.sha256).toBe('AB'.repeat(32));
    expect(store.getPackageChange(pending.id)).toEqual({ ...packageChange(), id: pending.id });
  });
});
