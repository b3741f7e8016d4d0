/**
 * `npm run store:migrate`: a real lowdb data folder copied into a fresh PostgreSQL database, and
 * the database read back through the PostgreSQL store, as the bot would read it after the move.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStoreMigrateArgs, runStoreMigrate } from '../../src/admin/store-migrate.js';
import { LOCK_FILE_NAME } from '../../src/store/lock.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, dropTestDatabase, TEST_PG_PORT } from '../support/postgres.js';
import { tempDataDir } from '../store/support.js';
import { captureIo, withOtherProcess } from './support.js';
import { buildDataDir, type Fixture } from './store-migrate-fixture.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function database(): Promise<string> {
  const url = await createTestDatabase('migrate');
  cleanups.push(() => dropTestDatabase(url));
  return url;
}

async function migrate(argv: string[], dataDir = '/nonexistent/default') {
  const captured = captureIo();
  const code = await runStoreMigrate(argv, { dataDir, io: captured.io });
  return { code, out: captured.out(), err: captured.err() };
}

async function openPg(url: string): Promise<Store> {
  const store = await PgStore.open(url, () => new Date('2026-12-01T00:00:00Z'), { runnerRecheckMs: 0 });
  cleanups.push(() => store.close());
  return store;
}

/** Rows per table of the database (every table, meta and the migration ledger too), straight from SQL. */
async function rowCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`);
      counts[name] = Number(rows[0]!.n);
    }
    return counts;
  } finally {
    await client.end();
  }
}

/** What the data folder holds, as the lowdb store shows it at its next start. */
async function lowdbView(dir: string, fixture: Fixture) {
  const store = await LowdbStore.open(dir, () => new Date('2026-12-01T00:00:00Z'), { warn: () => undefined });
  cleanups.push(() => store.close());
  return view(store, fixture);
}

async function view(store: Store, fixture: Fixture) {
  return {
    live: store.liveRuns().sort((a, b) => a.id - b.id),
    finished: await store.finishedRuns({ limit: 1000 }),
    found: await Promise.all(fixture.runIds.map((id) => store.findRun(id))),
    recent: fixture.servers.map((server) => store.recentRuns(server)),
    outbox: store.outbox(),
    conversations: fixture.conversationIds.map((id) => store.getConversation(id)),
    runners: store.runners(),
    packages: store.packages(),
    changes: store.pendingPackageChanges(),
    audit: await store.readAudit(),
  };
}

describe('store:migrate', () => {
  it('copies a lowdb store into an empty database, and the PostgreSQL store finds all of it', async () => {
    const dir = await tempDataDir('patchbot-migrate-');
    const fixture = await buildDataDir(dir);
    const url = await database();

    const result = await migrate(['--to', url, '--from', dir]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    for (const [table, count] of Object.entries(fixture.counts))
      expect(result.out).toMatch(new RegExp(`^  ${table} +${count} +${count}$`, 'm'));
    expect(result.out).toContain(`Run numbers go on from ${fixture.lastRunId + 1}`);

    const store = await openPg(url);
    const expected = await lowdbView(dir, fixture);
    expect(await view(store, fixture)).toEqual(expected);
    // Spot checks on what the comparison relies on: the fixture holds what the test is about.
    expect(expected.live).toHaveLength(2);
    expect(new Set(expected.finished.map((r) => r.endedAt?.slice(0, 7)))).toEqual(
      new Set(['2026-10', '2026-11']),
    );
    expect(expected.outbox.find((item) => item.id === fixture.sendingId)?.sendingSince).toBe(
      fixture.sendingSince,
    );
    expect(expected.outbox.some((item) => item.id === fixture.deliveredId)).toBe(false);
    expect(expected.audit).toHaveLength(fixture.counts.audit);
    // A runner's secret still authenticates: the record is the same, secret included.
    for (const runner of fixture.runners) expect(store.getRunner(runner.id)).toEqual(runner);
    expect(await store.nextRunId()).toBe(fixture.lastRunId + 1);
    const change = await store.savePackageChange({ ...fixture.pendingChange, id: 0 });
    expect(change.id).toBeGreaterThan(fixture.lastPackageChangeId);
  });

  it('refuses a database that already holds data, and writes nothing', async () => {
    const dir = await tempDataDir('patchbot-migrate-');
    await buildDataDir(dir);
    const url = await database();
    expect((await migrate(['--to', url, '--from', dir])).code).toBe(0);
    const before = await rowCounts(url);

    const again = await migrate(['--to', url, '--from', dir]);
    expect(again.code).toBe(1);
    expect(again.out).toBe('');
    expect(again.err.trim().split('\n')).toHaveLength(1);
    expect(again.err).toMatch(/already holds the bot's data \(runs: 2, archived_runs: \d+/);
    expect(await rowCounts(url)).toEqual(before);
  });

  it('says so in one line when the database cannot be reached or does not exist, without the password', async () => {
    const dir = await tempDataDir('patchbot-migrate-');
    await buildDataDir(dir);
    const unreachable = await migrate([
      '--to',
      'postgres://patchbot:Sekr3t-pw@127.0.0.1:1/patchbot',
      '--from',
      dir,
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(
      /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/patchbot \(.*ECONNREFUSED\).*Nothing was copied\.\n$/,
    );

    const missing = `postgres://patchbot:Sekr3t-pw@127.0.0.1:${TEST_PG_PORT}/patchbot_no_such_db`;
    const noDatabase = await migrate(['--to', missing, '--from', dir]);
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.err).toMatch(/patchbot_no_such_db.*does not exist/);
    for (const run of [unreachable, noDatabase]) {
      expect(run.err + run.out).not.toContain('Sekr3t-pw');
      expect(run.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses while a bot holds the data folder, before touching the database', async () => {
    const dir = await tempDataDir('patchbot-migrate-');
    await writeFile(
      path.join(dir, 'state.json'),
      JSON.stringify({
        version: 1,
        lastRunId: 0,
        lastOutboxId: 0,
        runs: {},
        runners: {},
        conversations: {},
        outbox: [],
      }),
    );
    const url = await database();
    await withOtherProcess(async (pid) => {
      await writeFile(path.join(dir, LOCK_FILE_NAME), `${pid}\n`);
      const result = await migrate(['--to', url, '--from', dir]);
      expect(result.code).toBe(1);
      expect(result.err).toContain(`in use by process ${pid}`);
    });
    expect(await rowCounts(url)).toEqual({});
  });

  it('refuses a folder with no store, and a command line without a PostgreSQL URL', async () => {
    const url = await database();
    const nowhere = await migrate(['--to', url, '--from', path.join(await tempDataDir(), 'missing')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.err).toMatch(/^There is no store at .*missing/);
    const empty = await migrate(['--to', url, '--from', await tempDataDir()]);
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/^There is no store at .*\(no state\.json, archive/);

    expect((await migrate([])).code).toBe(2);
    const notUrl = await migrate(['--to', 'host=db password=Sekr3t-pw']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.err).not.toContain('Sekr3t-pw');
    expect(parseStoreMigrateArgs(['--to', url])).toEqual({ kind: 'migrate', to: url, from: undefined });
  });
});
