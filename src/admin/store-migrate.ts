import { readdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { lockDataDir } from '../store/lock.js';
import { causeOf, targetOf, type PgTarget } from '../store/pg/connection.js';
import { AdminRefusal, openBotStore, runCommand, UsageError, type CommandContext } from './cli-support.js';
import { importLowdbSource, STORE_TABLES, type ImportResult } from './store-import.js';
import { readLowdbSource } from './store-source.js';

export const STORE_MIGRATE_USAGE = `Usage:
  npm run store:migrate -- --to <postgres-url> [--from <data-folder>]

Copies the bot's file store into an empty PostgreSQL database, in one transaction: live runs,
the outbox, conversations, the run archive, the audit log, runners (with their secrets) and the
package catalog. Then it counts the rows of each table and prints them beside the source's.

Stop the bot first: the command takes the data folder's lock, and refuses while a bot holds it.
--from is the data folder (default: PATCHBOT_DATA_DIR). --to is the database's URL, for example
postgres://patchbot@db.example.com:5432/patchbot?sslmode=require (the password may come from
PGPASSWORD instead of the URL). A database that already holds the bot's data is refused.
The data folder is only read: keep it until the bot runs well on PostgreSQL.`;

export type StoreMigrateCommand =
  { kind: 'migrate'; to: string; from: string | undefined } | { kind: 'help' };

export function parseStoreMigrateArgs(argv: string[]): StoreMigrateCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        to: { type: 'string' },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };
  if (values.to === undefined) throw new UsageError('--to <postgres-url> is required.');
  // The value is never quoted back: it may hold a password.
  if (!isPostgresUrl(values.to))
    throw new UsageError('--to is not a PostgreSQL URL (postgres://user@host:5432/database).');
  if (values.from === '') throw new UsageError('--from needs a folder.');
  return { kind: 'migrate', to: values.to, from: values.from };
}

/** `npm run store:migrate`: returns the process exit code. */
export function runStoreMigrate(argv: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  return runCommand(io, STORE_MIGRATE_USAGE, async () => {
    const command = parseStoreMigrateArgs(argv);
    if (command.kind === 'help') {
      io.out(`${STORE_MIGRATE_USAGE}\n`);
      return;
    }
    const dataDir = command.from ?? context.dataDir;
    const target = targetOf(command.to);
    // Held while the folder is read: a bot started meanwhile refuses to start instead of writing.
    const release = await holdDataDir(dataDir);
    try {
      await mustHoldAStore(dataDir);
      const store = await openBotStore({ ...context, dataDir }, 'read');
      const source = await readLowdbSource(dataDir, store);
      const result = await withDatabase(command.to, target, (client) => importLowdbSource(client, source));
      io.out(formatResult(dataDir, target, result));
    } finally {
      release();
    }
  });
}

function isPostgresUrl(raw: string): boolean {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(raw).protocol);
  } catch {
    return false;
  }
}

/** Takes the data folder's lock (src/store/lock.ts): a running bot holds it, so the copy is refused. */
async function holdDataDir(dataDir: string): Promise<() => void> {
  try {
    return await lockDataDir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new AdminRefusal(`There is no store at ${dataDir}. Give the bot's data folder with --from.`);
    throw error;
  }
}

/** What the file store keeps in its folder: a folder with none of it is the wrong folder. */
const STORE_ENTRIES = ['state.json', 'archive', 'audit', 'runners', 'packages.json'];

async function mustHoldAStore(dataDir: string): Promise<void> {
  const entries = await readdir(dataDir);
  if (!STORE_ENTRIES.some((name) => entries.includes(name)))
    throw new AdminRefusal(
      `There is no store at ${dataDir} (no ${STORE_ENTRIES.join(', ')}). Give the bot's data folder with --from.`,
    );
}

/**
 * Runs `work` on one connection. A failure of the database becomes a one-line message that names
 * the server, never the password; nothing was committed (the copy is one transaction).
 */
async function withDatabase<T>(
  url: string,
  target: PgTarget,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: 'patch-bot store:migrate',
  });
  // A connection dropped while idle would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new AdminRefusal(
      `Cannot connect to PostgreSQL at ${target.label} (${causeOf(error, target)}): check the --to URL ` +
        'and that the server runs. Nothing was copied.',
    );
  }
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof AdminRefusal) throw error;
    throw new AdminRefusal(
      `The copy to PostgreSQL at ${target.label} failed (${causeOf(error, target)}); ` +
        'it was rolled back, nothing was copied.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function formatResult(dataDir: string, target: PgTarget, result: ImportResult): string {
  const width = Math.max(...STORE_TABLES.map((t) => t.length));
  const rows = STORE_TABLES.map(
    (table) =>
      `  ${table.padEnd(width)}  ${String(result.copied[table]).padStart(6)}  ${String(result.found[table]).padStart(8)}`,
  );
  const skipped =
    result.skippedLines > 0
      ? [
          `Left out ${result.skippedLines} unreadable line(s) of the archive and audit log ` +
            '(torn by a crash; the bot leaves them out too).',
        ]
      : [];
  return `${[
    `Copied the store in ${dataDir} to PostgreSQL at ${target.label}, in one transaction:`,
    '',
    `  ${'table'.padEnd(width)}  ${'source'.padStart(6)}  ${'database'.padStart(8)}`,
    ...rows,
    '',
    ...skipped,
    `Run numbers go on from ${result.lastRunId + 1}. Start the bot with PATCHBOT_DATABASE_URL set to this ` +
      'database; it no longer reads the data folder, so keep that as it is until you are satisfied.',
  ].join('\n')}\n`;
}
