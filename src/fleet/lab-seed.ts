import type { UpdatePackage, ProductFamily } from '../procedure/index.js';
import { packageKey } from '../store/package-catalog.js';
import type { Store } from '../store/store.js';

/** The lab's catalog seeder, as it appears in the audit log and on the packages card. */
export const LAB_SEEDER = { id: 'patchbot-lab', name: 'Lab mode (simulated servers)' } as const;

/**
 * Lab mode only: puts each simulated server's target package into the catalog, so lab runs work
 * without typing `package add`. Entries already there are left alone; each one added is audited.
 */
export async function seedLabCatalog(
  store: Store,
  packages: readonly { product: ProductFamily; package: UpdatePackage }[],
  now: () => Date = () => new Date(),
): Promise<number> {
  let added = 0;
  for (const { product, package: pkg } of packages) {
    const key = packageKey(product, pkg.version);
    if (store.packages().some((p) => packageKey(p.product, p.version) === key)) continue;
    const at = now().toISOString();
    const change = await store.savePackageChange({
      id: 0,
      action: 'add',
      product,
      version: pkg.version,
      entry: { ...pkg },
      proposedBy: { ...LAB_SEEDER },
      proposedAt: at,
      conversationId: '',
      locale: 'en-US',
      approvalsRequired: 0,
      decisions: [],
      expiresAt: at,
      status: 'applied',
      cardActivityId: null,
    });
    await store.appendAudit({
      at,
      action: 'package-add',
      actor: { system: true },
      detail: { change: change.id, product, ...pkg, why: 'lab-seed' },
    });
    added += 1;
  }
  return added;
}
