import { seedLabCatalog as seedCatalog } from '../../src/fleet/lab-seed.js';
import { LAB_FLEET } from '../../src/lab/servers.js';
import type { Store } from '../../src/store/store.js';

/**
 * Puts each lab server's target package into the bot's catalog, as lab mode does at start
 * (src/main.ts): the lab runners report no package of their own, so the bot plans with the catalog.
 */
export async function seedLabCatalog(store: Store): Promise<void> {
  await seedCatalog(
    store,
    LAB_FLEET.map((spec) => ({ product: spec.profile.product, package: spec.profile.package })),
  );
}
