import { describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/pg/migrate.js';
import { MIGRATIONS } from '../../../src/store/pg/migrations.js';
import { PgStore } from '../../../src/store/pg/pg-store.js';
import { pgFixture } from './support.js';

const db = pgFixture('migrations');

describe('PostgreSQL schema migrations', () => {
  it('applies every migration to a fresh database, each once, and none again at the next open', async () => {
    const url = await db.database();
    await (await db.open(url)).close();
    const sql = await db.sql(url);
    const first = (
      await sql.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
    ).rows;
    expect(first.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = (
      await sql.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    ).rows.map((row) => row.table_name as string);
    expect(tables.sort()).toEqual(
      [
        'archived_runs',
        'audit',
        'conversations',
        'meta',
        'outbox',
        'package_changes',
        'packages',
        'runners',
        'runs',
        'schema_migrations',
      ].sort(),
    );

    await (await db.open(url)).close();
    const second = (
      await sql.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
    ).rows;
    expect(second).toEqual(first);
  });

  it('lets instances that start at once share the work: no error, each migration applied once', async () => {
    const url = await db.database();
    const stores = await Promise.all([1, 2, 3, 4].map(() => db.open(url)));
    expect(stores).toHaveLength(4);
    const sql = await db.sql(url);
    const { rows } = await sql.query(
      'SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version',
    );
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
  });

  it('applies a later migration to a database an earlier version created, in its own transaction', async () => {
    const url = await db.database();
    const sql = await db.sql(url);
    const later = { version: 2, name: 'test column', sql: 'ALTER TABLE meta ADD COLUMN note text' };
    expect((await migrate(sql, MIGRATIONS.slice(0, 1))).applied).toEqual([1]);
    expect(await migrate(sql, [...MIGRATIONS.slice(0, 1), later])).toEqual({ applied: [2], unknown: [] });

    // A migration that fails leaves nothing of itself behind.
    const broken = {
      version: 3,
      name: 'broken',
      sql: 'ALTER TABLE meta ADD COLUMN x text; SELECT * FROM nowhere',
    };
    await expect(migrate(sql, [...MIGRATIONS.slice(0, 1), later, broken])).rejects.toThrow(/nowhere/);
    const columns = (
      await sql.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'meta'")
    ).rows.map((row) => row.column_name as string);
    expect(columns.sort()).toEqual(['key', 'note', 'value']);
    expect(await migrate(sql, MIGRATIONS.slice(0, 1))).toEqual({ applied: [], unknown: [2] });
  });

  it('warns about migrations a newer version applied, and still opens', async () => {
    const url = await db.database();
    await (await db.open(url)).close();
    const sql = await db.sql(url);
    await sql.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
    const warnings: string[] = [];
    const store = await db.open(url, undefined, { warn: (message) => warnings.push(message) });
    expect(store.health()).toEqual({ ok: true });
    expect(warnings).toEqual([expect.stringContaining('(999)')]);
  });

  it('refuses a read-only open of a database without the schema, and creates nothing', async () => {
    const url = await db.database();
    await expect(PgStore.open(url, undefined, { readOnly: true })).rejects.toThrow(
      /has no patch-bot tables yet: start the bot once/,
    );
    const sql = await db.sql(url);
    const { rows } = await sql.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(rows[0].n).toBe(0);
  });
});
