import { compareVersions, type ProductFamily, type UpdatePackage } from '../procedure/index.js';
import type { RunnerRecord } from '../store/store.js';
import type { CatalogPackage } from '../store/package-catalog.js';

export type PackageOrigin = 'runner-override' | 'catalog';

export interface PackageToPlan {
  package: UpdatePackage;
  /** 'runner-override': the runner's own PATCHBOT_PACKAGE_* settings, which it insists on. */
  origin: PackageOrigin;
}

/** The newest catalog entry for a product (compareVersions), or undefined when it has none. */
export function newestPackage(
  catalog: readonly CatalogPackage[],
  product: ProductFamily,
): CatalogPackage | undefined {
  let newest: CatalogPackage | undefined;
  for (const entry of catalog) {
    if (entry.product !== product) continue;
    if (!newest || compareVersions(entry.version, newest.version) > 0) newest = entry;
  }
  return newest;
}

/**
 * The package to plan a server with: the runner's local override when it reports one (the
 * runner declines any other package), else the newest catalog entry for the server's product.
 * The product is the runner's profile's, or what the runner read on the server when it has no
 * profile yet. Null: nothing to plan with (no override, nothing catalogued for the product).
 */
export function packageToPlan(
  runner: Pick<RunnerRecord, 'info' | 'facts'> | undefined,
  catalog: readonly CatalogPackage[],
): PackageToPlan | null {
  const override = runner?.info?.profile.package;
  if (override) return { package: override, origin: 'runner-override' };
  const product = runner?.info?.profile.product ?? runner?.facts?.product;
  if (!product) return null;
  const newest = newestPackage(catalog, product);
  if (!newest) return null;
  const { source, fileName, sha256, version } = newest;
  return { package: { source, fileName, sha256, version }, origin: 'catalog' };
}
