import { LowdbStore } from './lowdb-store.js';
import { PgStore, type PgOpenOptions } from './pg/pg-store.js';
import type { Store } from './store.js';

export interface StoreLocation {
  /** The lowdb store's folder (PATCHBOT_DATA_DIR). */
  dataDir: string;
  /** PostgreSQL (PATCHBOT_DATABASE_URL); null = the lowdb store in dataDir. */
  databaseUrl: string | null;
}

/**
 * The store the configuration names: PostgreSQL when a database URL is set (several instances
 * share it), else the lowdb file store in the data folder (one instance). Both keep the same
 * contract (src/store/store.ts); poolSize concerns PostgreSQL only.
 */
export function openStore(
  location: StoreLocation,
  now: () => Date = () => new Date(),
  options: PgOpenOptions = {},
): Promise<Store> {
  return location.databaseUrl
    ? PgStore.open(location.databaseUrl, now, options)
    : LowdbStore.open(location.dataDir, now, options);
}

/** Where the store is, for messages: the folder, or the database without its password. */
export function describeStore(location: StoreLocation): string {
  if (!location.databaseUrl) return location.dataDir;
  const url = new URL(location.databaseUrl);
  return `PostgreSQL ${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`;
}
