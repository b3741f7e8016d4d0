import { compareVersions, type ProductFamily } from '../procedure/index.js';
import type { CatalogPackage } from '../store/package-catalog.js';
import type { RunnerRecord } from '../store/store.js';
import type { RunSummary } from '../store/server-history.js';
import { packageToPlan, type PackageOrigin } from './package-for.js';

/** behind: a newer package waits; current: runs it; ahead: newer than anything catalogued; unknown: not reported. */
export type Standing = 'behind' | 'current' | 'ahead' | 'unknown';

/** One server on the `versions` card. */
export interface FleetRow {
  server: string;
  product: ProductFamily | null;
  installedVersion: string | null;
  /** The package a plan would use now (runner override or newest catalogued), null when none. */
  target: { version: string; origin: PackageOrigin } | null;
  standing: Standing;
  /** Its newest finished update run (check runs left out), if any. */
  lastRun: RunSummary | null;
}

export function standingOf(installed: string | null, target: string | null): Standing {
  if (installed === null || target === null) return 'unknown';
  let order: number;
  try {
    order = compareVersions(installed, target);
  } catch {
    return 'unknown';
  }
  return order < 0 ? 'behind' : order === 0 ? 'current' : 'ahead';
}

/** Pure: one row per runner from its facts, the catalog and its last run. */
export function fleetRow(
  runner: Pick<RunnerRecord, 'server' | 'info' | 'facts'>,
  catalog: readonly CatalogPackage[],
  lastRun: RunSummary | null,
): FleetRow {
  const chosen = packageToPlan(runner, catalog);
  const installedVersion = runner.facts?.installedVersion ?? null;
  const target = chosen ? { version: chosen.package.version, origin: chosen.origin } : null;
  return {
    server: runner.server,
    product: runner.info?.profile.product ?? runner.facts?.product ?? null,
    installedVersion,
    target,
    standing: standingOf(installedVersion, target?.version ?? null),
    lastRun,
  };
}

/** Reads the fleet from the store: every runner, the catalog, each server's last update run (from the index). */
export function fleetRows(store: {
  runners(): RunnerRecord[];
  packages(): CatalogPackage[];
  recentRuns(server: string): RunSummary[];
}): FleetRow[] {
  const catalog = store.packages();
  return store
    .runners()
    .map((runner) => fleetRow(runner, catalog, store.recentRuns(runner.server)[0] ?? null));
}
