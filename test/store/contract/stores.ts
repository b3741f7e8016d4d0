/**
 * The Store implementations the contract suite runs against. Each factory opens a store on
 * backing storage of its own (a temp folder, a fresh database), opens it again as a restarted
 * bot would, and removes everything after the test. Every contract test runs once per entry of
 * STORES (describe.each), so a behaviour one store has and another lacks shows as a failure
 * named after the store.
 */
import { rm } from 'node:fs/promises';
import { LowdbStore } from '../../../src/store/lowdb-store.js';
import { PgStore } from '../../../src/store/pg/pg-store.js';
import type { Store } from '../../../src/store/store.js';
import { createTestDatabase, dropTestDatabase } from '../../support/postgres.js';
import { tempDataDir } from '../support.js';

export type Clock = () => Date;

export interface StoreFactory {
  readonly name: string;
  /** A new, empty store on new backing storage; replaces whatever the previous open used. */
  open(now: Clock): Promise<Store>;
  /**
   * Another store on the same backing storage, as after a restart: close the old one first for
   * a clean stop, or leave it open to stand for a bot that was killed.
   */
  reopen(now?: Clock): Promise<Store>;
  /** Closes every store it opened and removes the backing storage. */
  cleanup(): Promise<void>;
}

/** Registry warnings are the lowdb store's own business; contract tests do not read them. */
const quiet = () => undefined;

/**
 * What every factory shares: remembering the stores to close and the clock to reopen with.
 * `backing` makes new storage and says how to open a store on it and how to remove it.
 */
function factory(
  name: string,
  backing: () => Promise<{ open(now: Clock): Promise<Store>; remove(): Promise<void> }>,
): StoreFactory {
  let current: Awaited<ReturnType<typeof backing>> | undefined;
  let clock: Clock = () => new Date();
  const opened: Store[] = [];
  const track = async (store: Promise<Store>) => {
    opened.push(await store);
    return opened[opened.length - 1]!;
  };
  return {
    name,
    async open(now) {
      current = await backing();
      clock = now;
      return track(current.open(now));
    },
    reopen(now) {
      if (!current) throw new Error('reopen() before open()');
      clock = now ?? clock;
      return track(current.open(clock));
    },
    async cleanup() {
      // A store the test closed already may refuse a second close; nothing to keep from it.
      for (const store of opened.splice(0)) await store.close().catch(() => undefined);
      await current?.remove();
      current = undefined;
    },
  };
}

const lowdb = factory('lowdb', async () => {
  const dir = await tempDataDir('patchbot-contract-');
  return {
    open: (now) => LowdbStore.open(dir, now, { warn: quiet }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
});

const postgres = factory('postgres', async () => {
  const url = await createTestDatabase('contract');
  return {
    open: (now) => PgStore.open(url, now, { warn: quiet }),
    remove: () => dropTestDatabase(url),
  };
});

export const STORES: readonly StoreFactory[] = [lowdb, postgres];
