import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { PgStore, type PgOpenOptions } from '../../../src/store/pg/pg-store.js';
import { createTestDatabase, dropTestDatabase } from '../../support/postgres.js';

/**
 * A fresh database per call, stores that are closed after each test and databases dropped after
 * the file: each test file imports this once and asks for what it needs.
 */
export function pgFixture(label: string) {
  const databases: string[] = [];
  const stores: PgStore[] = [];
  const clients: pg.Client[] = [];

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
  });
  afterAll(async () => {
    for (const url of databases.splice(0)) await dropTestDatabase(url);
  });

  return {
    async database(): Promise<string> {
      const url = await createTestDatabase(label);
      databases.push(url);
      return url;
    },
    async open(url: string, now?: () => Date, options: PgOpenOptions = {}): Promise<PgStore> {
      const store = await PgStore.open(url, now, { warn: () => undefined, ...options });
      stores.push(store);
      return store;
    },
    /** A plain connection to the database, to look at the tables or change them behind the store. */
    async sql(url: string): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
  };
}

export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}
