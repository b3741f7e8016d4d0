/** The configuration picks the store: PATCHBOT_DATABASE_URL set = PostgreSQL, unset = the data folder. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { LowdbStore } from '../../../src/store/lowdb-store.js';
import { describeStore, openStore } from '../../../src/store/open-store.js';
import { PgStore } from '../../../src/store/pg/pg-store.js';
import { tempDataDir } from '../support.js';
import { pgFixture } from './support.js';

const db = pgFixture('open');

describe('PATCHBOT_DATABASE_URL', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['  ', null],
    [
      'postgres://patchbot:pw@db.contoso.local:5432/patchbot',
      'postgres://patchbot:pw@db.contoso.local:5432/patchbot',
    ],
    [
      'postgresql://patchbot@db/patchbot?sslmode=require',
      'postgresql://patchbot@db/patchbot?sslmode=require',
    ],
  ])('%j gives %j', (raw, expected) => {
    expect(loadConfig({ PATCHBOT_DATABASE_URL: raw }).databaseUrl).toBe(expected);
  });

  it.each([
    ['mysql://u:hunter2@db/x', /must start with postgres:\/\/ or postgresql:\/\/ \(got mysql:\/\/\.\.\.\)/],
    ['db.contoso.local hunter2', /is not a URL/],
    ['postgres:///patchbot?password=hunter2', /names no host/],
  ])('refuses %j, without quoting it', (raw, message) => {
    const error = (() => {
      try {
        loadConfig({ PATCHBOT_DATABASE_URL: raw });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('hunter2');
  });

  it('reads PATCHBOT_HA_RETRY_MS, 2000 by default, within 200..60000', () => {
    expect(loadConfig({}).haRetryMs).toBe(2000);
    expect(loadConfig({ PATCHBOT_HA_RETRY_MS: '500' }).haRetryMs).toBe(500);
    expect(() => loadConfig({ PATCHBOT_HA_RETRY_MS: '100' })).toThrow(
      /PATCHBOT_HA_RETRY_MS must be a whole number from 200 to 60000/,
    );
    expect(() => loadConfig({ PATCHBOT_HA_RETRY_MS: '2.5' })).toThrow(ConfigError);
  });
});

describe('openStore', () => {
  it('opens PostgreSQL when a database URL is set, the data folder otherwise', async () => {
    const dataDir = await tempDataDir();
    const databaseUrl = await db.database();
    const pgStore = await openStore({ dataDir, databaseUrl });
    expect(pgStore).toBeInstanceOf(PgStore);
    await pgStore.close();
    const fileStore = await openStore({ dataDir, databaseUrl: null });
    expect(fileStore).toBeInstanceOf(LowdbStore);
    await fileStore.close();
  });

  it('describes where the store is without the password', () => {
    expect(describeStore({ dataDir: '/srv/patchbot', databaseUrl: null })).toBe('/srv/patchbot');
    expect(describeStore({ dataDir: '/srv/patchbot', databaseUrl: 'postgres://u:hunter2@db:6432/pb' })).toBe(
      'PostgreSQL db:6432/pb',
    );
  });
});
