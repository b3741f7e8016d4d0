import { labPackage, LAB_PACKAGE_VERSIONS } from '../../src/lab/package.js';
import type { ProductFamily } from '../../src/procedure/index.js';
import type { Store } from '../../src/store/store.js';

/**
 * Puts the lab's update (the second version of each product the lab fleet runs) into the bot's
 * package catalog, as an applied `package add` would, unless it is there already. The lab runners
 * report no package of their own, so the bot plans with the catalog.
 */
export async function seedLabCatalog(store: Store, now = new Date()): Promise<void> {
  for (const product of ['sfb2019', 'lync2013'] as const satisfies readonly ProductFamily[]) {
    const version = LAB_PACKAGE_VERSIONS[product][1]!;
    if (store.packages().some((p) => p.product === product && p.version === version)) continue;
    await store.savePackageChange({
      id: 0,
      action: 'add',
      product,
      version,
      entry: labPackage(product, version),
      proposedBy: { id: '29:lab-user-bea', name: 'Bea' },
      proposedAt: now.toISOString(),
      conversationId: 'lab-seed',
      locale: 'en-US',
      approvalsRequired: 0,
      decisions: [],
      expiresAt: new Date(now.getTime() + 60 * 60_000).toISOString(),
      status: 'applied',
      cardActivityId: null,
    });
  }
}
