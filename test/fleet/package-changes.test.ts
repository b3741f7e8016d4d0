/**
 * `package add/remove` under the approval policy, on a real store on disk: who may propose, who
 * may approve, how many approvals, expiry, replays and forged ids, and what the audit log keeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand, type PackageCommand } from '../../src/commands/index.js';
import { seedLabCatalog } from '../../src/fleet/lab-seed.js';
import { PackageChanges } from '../../src/fleet/package-changes.js';
import { labPackage } from '../../src/lab/package.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { Person } from '../../src/store/types.js';
import { tempDataDir } from '../store/support.js';

const ALEX: Person = { id: '29:alex', name: 'Alex Admin' };
const BEA: Person = { id: '29:bea', name: 'Bea Approver', aadObjectId: 'aad-bea' };
const CHEN: Person = { id: '29:chen', name: 'Chen Approver' };
const FAY: Person = { id: '29:fay', name: 'Fay Reader' };
const HERE = '19:patching@thread.tacv2;messageid=1';
const ELSEWHERE = '19:other@thread.tacv2';
const SHA = 'AB'.repeat(32);

let offsetMs = 0;
const now = () => new Date(Date.parse('2026-12-04T17:00:00Z') + offsetMs);
const stores: LowdbStore[] = [];
afterEach(async () => {
  offsetMs = 0;
  for (const s of stores.splice(0)) await s.close();
});

function command(text: string): PackageCommand {
  const parsed = parseCommand(text);
  if (!parsed.ok || parsed.value.name !== 'package' || !('action' in parsed.value)) throw new Error(text);
  return parsed.value;
}
const ADD = command(
  `package add sfb2019 7.0.2046.551 https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe sha256 ${SHA}`,
);
const REMOVE = command('package remove sfb2019 7.0.2046.551');

async function setup(approvalsRequired: number, dir?: string) {
  const store = await LowdbStore.open(dir ?? (await tempDataDir()), now, { warn: () => undefined });
  stores.push(store);
  const changes = new PackageChanges({
    store,
    now,
    policy: { approvers: ['29:alex', 'aad-bea', '29:chen'], approvalsRequired, approvalExpiryMinutes: 60 },
  });
  return { store, changes };
}
const actor = (person: Person, conversationId = HERE) => ({ person, conversationId, locale: 'en-US' });

describe('package changes', () => {
  it('without required approvals an approver changes the catalog at once, audited with who', async () => {
    const { store, changes } = await setup(0);
    const added = await changes.propose(ADD, actor(ALEX));
    expect(added).toMatchObject({ ok: true, value: { status: 'applied' } });
    expect(store.packages()).toEqual([
      expect.objectContaining({ product: 'sfb2019', version: '7.0.2046.551', sha256: SHA, addedBy: ALEX }),
    ]);
    expect(await changes.propose(REMOVE, actor(ALEX))).toMatchObject({
      ok: true,
      value: { status: 'applied' },
    });
    expect(store.packages()).toEqual([]);
    const audit = await store.readAudit();
    expect(audit.map((e) => [e.action, (e.actor as Person).id])).toEqual([
      ['package-add', '29:alex'],
      ['package-remove', '29:alex'],
    ]);
    expect(audit[0]!.detail).toMatchObject({ product: 'sfb2019', version: '7.0.2046.551', sha256: SHA });
  });

  it('refuses non-approvers, duplicates, unknown removals and a second change of the same entry', async () => {
    const { store, changes } = await setup(1);
    expect(await changes.propose(ADD, actor(FAY))).toMatchObject({
      ok: false,
      refusal: { key: 'package.not-allowed' },
    });
    expect(await changes.propose(REMOVE, actor(ALEX))).toMatchObject({
      ok: false,
      refusal: { key: 'package.not-found' },
    });
    const pending = await changes.propose(ADD, actor(ALEX));
    expect(pending).toMatchObject({ ok: true, value: { status: 'awaiting-approval', id: 1 } });
    expect(await changes.propose(ADD, actor(CHEN))).toMatchObject({
      ok: false,
      refusal: { key: 'package.pending', params: { id: 1 } },
    });
    expect(store.packages()).toEqual([]);
    await changes.decide(1, actor(BEA), 'approved');
    expect(await changes.propose(ADD, actor(CHEN))).toMatchObject({
      ok: false,
      refusal: { key: 'package.exists' },
    });
    const refusals = (await store.readAudit()).filter((e) => e.action === 'refuse').map((e) => e.detail?.why);
    expect(refusals).toEqual(['not-approver', 'not-found', 'pending', 'exists']);
  });

  it('waits for the required approvals of other approvers, once each, then applies', async () => {
    const { store, changes } = await setup(2);
    const proposed = await changes.propose(ADD, actor(ALEX));
    if (!proposed.ok) throw new Error('not proposed');
    const id = proposed.value.id;
    expect(await changes.decide(id, actor(ALEX), 'approved')).toMatchObject({
      refusal: { key: 'package.self-approval' },
    });
    expect(await changes.decide(id, actor(FAY), 'approved')).toMatchObject({
      refusal: { key: 'package.not-allowed' },
    });
    // Bea is named by her AAD object id; her Teams id differs.
    expect(await changes.decide(id, actor(BEA), 'approved')).toMatchObject({
      ok: true,
      value: { status: 'awaiting-approval' },
    });
    expect(await changes.decide(id, actor(BEA), 'approved')).toMatchObject({
      refusal: { key: 'package.already-decided' },
    });
    expect(store.packages()).toEqual([]);
    const done = await changes.decide(id, actor(CHEN), 'approved');
    expect(done).toMatchObject({ ok: true, value: { status: 'applied' } });
    expect(store.packages().map((p) => p.version)).toEqual(['7.0.2046.551']);
    // A replayed click on the old card finds nothing open.
    expect(await changes.decide(id, actor(CHEN), 'approved')).toMatchObject({
      refusal: { key: 'package.change-not-found' },
    });
    const actions = (await store.readAudit()).map((e) => e.action);
    expect(actions).toEqual([
      'package-propose',
      'refuse',
      'refuse',
      'package-approve',
      'refuse',
      'package-approve',
      'package-add',
      'refuse',
    ]);
  });

  it('a rejection ends the change; nothing reaches the catalog', async () => {
    const { store, changes } = await setup(1);
    await changes.propose(ADD, actor(ALEX));
    expect(await changes.decide(1, actor(CHEN), 'rejected', 'wrong hash')).toMatchObject({
      ok: true,
      value: { status: 'rejected' },
    });
    expect(store.packages()).toEqual([]);
    expect(store.pendingPackageChanges()).toEqual([]);
  });

  it('refuses forged ids, other conversations and expired changes', async () => {
    const { store, changes } = await setup(1);
    await changes.propose(ADD, actor(ALEX));
    for (const forged of ['1', -1, 1.5, 999, null, { id: 1 }]) {
      expect(await changes.decide(forged, actor(CHEN), 'approved')).toMatchObject({
        refusal: { key: 'package.change-not-found' },
      });
    }
    expect(await changes.decide(1, actor(CHEN, ELSEWHERE), 'approved')).toMatchObject({
      refusal: { key: 'package.change-not-found' },
    });
    offsetMs = 61 * 60_000;
    expect(await changes.decide(1, actor(CHEN), 'approved')).toMatchObject({
      refusal: { key: 'package.expired' },
    });
    expect(store.pendingPackageChanges()).toEqual([]);
    expect(store.packages()).toEqual([]);
  });

  it('the sweep expires undecided changes; a pending change survives a restart and can be approved after it', async () => {
    const dir = await tempDataDir();
    const first = await setup(1, dir);
    await first.changes.propose(ADD, actor(ALEX));
    await first.changes.propose(
      command(`package add lync2013 5.0.8308.1201 https://files.contoso.local/l.exe sha256 ${SHA}`),
      actor(ALEX),
    );
    await first.store.close();
    stores.splice(0);
    const second = await setup(1, dir);
    expect(second.store.pendingPackageChanges().map((c) => c.id)).toEqual([1, 2]);
    expect(await second.changes.decide(2, actor(CHEN), 'approved')).toMatchObject({
      ok: true,
      value: { status: 'applied' },
    });
    offsetMs = 2 * 60 * 60_000;
    expect((await second.changes.expireOld()).map((c) => c.id)).toEqual([1]);
    expect(second.store.pendingPackageChanges()).toEqual([]);
    expect(second.store.packages().map((p) => p.product)).toEqual(['lync2013']);
  });

  it('two approvals clicked at the same moment count once each, in order', async () => {
    const { store, changes } = await setup(2);
    await changes.propose(ADD, actor(ALEX));
    const [a, b] = await Promise.all([
      changes.decide(1, actor(BEA), 'approved'),
      changes.decide(1, actor(CHEN), 'approved'),
    ]);
    expect([a.ok && a.value.status, b.ok && b.value.status]).toEqual(['awaiting-approval', 'applied']);
    expect(store.packages()).toHaveLength(1);
  });

  it('lab mode seeds each lab server’s package once, audited as the system', async () => {
    const { store } = await setup(1);
    const seeds = [
      { product: 'sfb2019' as const, package: labPackage('sfb2019', '7.0.2046.530') },
      { product: 'lync2013' as const, package: labPackage('lync2013', '5.0.8308.1182') },
      { product: 'sfb2019' as const, package: labPackage('sfb2019', '7.0.2046.530') },
    ];
    expect(await seedLabCatalog(store, seeds, now)).toBe(2);
    expect(await seedLabCatalog(store, seeds, now)).toBe(0);
    expect(store.packages().map((p) => `${p.product} ${p.version}`)).toEqual([
      'sfb2019 7.0.2046.530',
      'lync2013 5.0.8308.1182',
    ]);
    expect((await store.readAudit()).map((e) => [e.action, e.actor])).toEqual([
      ['package-add', { system: true }],
      ['package-add', { system: true }],
    ]);
  });
});
