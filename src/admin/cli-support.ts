import { stat } from 'node:fs/promises';
import { StoreLockedError } from '../store/lock.js';
import { LowdbStore } from '../store/lowdb-store.js';
import { describeStore } from '../store/open-store.js';
import { PgSchemaError, PgStoreConnectError } from '../store/pg/connection.js';
import { PgRunnerAdmin } from '../store/pg/pg-runner-admin.js';
import { PgStore } from '../store/pg/pg-store.js';
import { RunnerAdminStore, type RunnerAdmin } from '../store/runner-admin-store.js';
import { InvalidRunnerIdError, type RegistryWarn } from '../store/runner-registry.js';
import { StoreCorruptError, StoreWriteError, type Store } from '../store/store.js';

/** Where an admin command writes: stdout for results, stderr for everything else. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  /** The bot's data folder (PATCHBOT_DATA_DIR, read by src/config.ts). */
  dataDir: string;
  /** The bot's PostgreSQL store (PATCHBOT_DATABASE_URL); when set, commands use it, not dataDir. */
  databaseUrl?: string | null | undefined;
  io: CommandIo;
  now?: () => Date;
}

/** Exit codes of the admin commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The command line was wrong: the message and the usage are shown, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command was understood but refused (unknown runner, server already registered, ...). */
export class AdminRefusal extends Error {
  override readonly name = 'AdminRefusal';
}

/**
 * Opens the bot's store. Commands that only look open it read-only, so they work while the bot
 * runs; commands that change the hot file take the lock, so they refuse while the bot runs
 * instead of having their change overwritten by the bot's next write.
 */
export async function openBotStore(context: CommandContext, mode: 'read' | 'write'): Promise<LowdbStore> {
  if (mode === 'read') await mustExist(context.dataDir);
  return LowdbStore.open(context.dataDir, context.now, {
    readOnly: mode === 'read',
    warn: warnOn(context.io),
  });
}

/**
 * Opens the store the bot uses, to read it beside the running bot: the PostgreSQL store when
 * PATCHBOT_DATABASE_URL is set (read-only, never migrated), else the data folder read-only.
 */
export async function openStoreToRead(context: CommandContext): Promise<Store> {
  if (!context.databaseUrl) return openBotStore(context, 'read');
  return PgStore.open(context.databaseUrl, context.now, { readOnly: true, warn: warnOn(context.io) });
}

/** Where the command's store is, for its messages: the folder, or the database without its password. */
export function storeLocation(context: CommandContext): string {
  return describeStore({ dataDir: context.dataDir, databaseUrl: context.databaseUrl ?? null });
}

/**
 * Opens the runners of the PostgreSQL store when PATCHBOT_DATABASE_URL is set (PgRunnerAdmin:
 * the runners table, with a NOTIFY the bot instances act on at once); otherwise the runners of
 * the bot's data folder, without the lock: the runner registry and the
 * audit log may be written while the bot runs (see RunnerAdminStore). Before a change, runners
 * a bot not yet upgraded keeps in its hot file are moved to the registry first, which takes
 * the lock (until the command exits); once the upgraded bot has started, they are already moved.
 */
export async function openRunnerAdmin(
  context: CommandContext,
  mode: 'read' | 'change',
): Promise<RunnerAdmin & { close?(): Promise<void> }> {
  if (context.databaseUrl) return PgRunnerAdmin.open(context.databaseUrl, mode);
  if (mode === 'read') await mustExist(context.dataDir);
  const open = () => RunnerAdminStore.open(context.dataDir, { warn: warnOn(context.io) });
  const store = await open();
  if (mode === 'read' || !store.hasLegacyRunners()) return store;
  try {
    await (await openBotStore(context, 'write')).close();
  } catch (error) {
    if (!(error instanceof StoreLockedError)) throw error;
    throw new AdminRefusal(
      `${error.message}\nThat bot is an older version: its runners are still in state.json. ` +
        'Start the new version of the bot once (it moves them to runners/), then try again.',
    );
  }
  return open();
}

/** Registry problems go to stderr; the text never holds a secret. */
function warnOn(io: CommandIo): RegistryWarn {
  return (message) => io.err(`Warning: ${message}\n`);
}

async function mustExist(dataDir: string): Promise<void> {
  if (!(await isDirectory(dataDir))) {
    throw new AdminRefusal(
      `There is no store at ${dataDir}. Set PATCHBOT_DATA_DIR to the bot's data folder.`,
    );
  }
}

/** Runs a command body, turning expected failures into a message and an exit code. */
export async function runCommand(io: CommandIo, usage: string, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${usage}\n`);
      return EXIT.usage;
    }
    // Expected failures speak for themselves; anything else is a bug and keeps its stack.
    const expected = [
      AdminRefusal,
      StoreCorruptError,
      StoreWriteError,
      StoreLockedError,
      InvalidRunnerIdError,
      PgStoreConnectError,
      PgSchemaError,
    ].some((kind) => error instanceof kind);
    io.err(
      `${expected ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
