import { stat } from 'node:fs/promises';
import { StoreLockedError } from '../store/lock.js';
import { LowdbStore } from '../store/lowdb-store.js';
import { StoreCorruptError, StoreWriteError } from '../store/store.js';

/** Where an admin command writes: stdout for results, stderr for everything else. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  /** The bot's data folder (PATCHBOT_DATA_DIR, read by src/config.ts). */
  dataDir: string;
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
 * runs; commands that change it take the lock, so they refuse while the bot runs instead of
 * having their change overwritten by the bot's next write.
 */
export async function openBotStore(context: CommandContext, mode: 'read' | 'write'): Promise<LowdbStore> {
  if (mode === 'read' && !(await isDirectory(context.dataDir))) {
    throw new AdminRefusal(
      `There is no store at ${context.dataDir}. Set PATCHBOT_DATA_DIR to the bot's data folder.`,
    );
  }
  return LowdbStore.open(context.dataDir, context.now, { readOnly: mode === 'read' });
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
    const expected = [AdminRefusal, StoreCorruptError, StoreWriteError, StoreLockedError].some(
      (kind) => error instanceof kind,
    );
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
