import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_FILE } from './private-files.js';

/**
 * lowdb keeps the whole hot file in memory and rewrites it on each write, so a second process
 * writing the same file (say, an admin command while the bot runs) would be overwritten by the
 * bot's next write without anyone noticing. The lock file makes that a clear refusal instead.
 */
export class StoreLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holderPid: number,
  ) {
    super(
      `The store in ${path.dirname(lockFile)} is in use by process ${holderPid} (the bot, or another admin command). ` +
        `Only one process may open it at a time: stop that process and try again. ` +
        `If no such process runs, delete ${lockFile}.`,
    );
    this.name = 'StoreLockedError';
  }
}

export const LOCK_FILE_NAME = 'state.json.lock';

/** Lock files this process holds; given back when it exits (a crash leaves them stale, see takeLock). */
const heldByThisProcess = new Set<string>();
let releaseOnExit = false;

/**
 * Takes the data folder's lock for this process; a store reopened in the same process (tests
 * simulating a restart) shares it. The lock is held until the process exits, because a store
 * stays usable after close(). Resolves to a function that gives back a lock this call took,
 * for an open that failed.
 */
export async function lockDataDir(dir: string): Promise<() => void> {
  const lockFile = path.join(dir, LOCK_FILE_NAME);
  if (heldByThisProcess.has(lockFile)) return () => undefined;
  await takeLock(lockFile);
  heldByThisProcess.add(lockFile);
  if (!releaseOnExit) {
    releaseOnExit = true;
    process.once('exit', releaseAll);
  }
  return () => {
    heldByThisProcess.delete(lockFile);
    releaseOne(lockFile);
  };
}

function releaseAll(): void {
  for (const lockFile of heldByThisProcess) releaseOne(lockFile);
  heldByThisProcess.clear();
}

/** Synchronous: it runs in the process's exit handler, where nothing asynchronous completes. */
function releaseOne(lockFile: string): void {
  try {
    if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
  } catch {
    // Already gone, or taken over: nothing of ours to remove.
  }
}

async function takeLock(lockFile: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (await createLockFile(lockFile)) return;
    const holder = await readHolder(lockFile);
    // Our own pid is stale too: it was left by an earlier life of this pid (pid 1 in a restarted container).
    const held = holder !== null && holder !== process.pid && isAlive(holder);
    if (held || attempt > 0) throw new StoreLockedError(lockFile, holder ?? 0);
    await unlink(lockFile).catch(ignoreMissing);
  }
}

/** Creates the lock with its content in one step (link fails if it exists), so no reader sees it empty. */
async function createLockFile(lockFile: string): Promise<boolean> {
  const draft = `${lockFile}.${process.pid}.tmp`;
  await writeFile(draft, `${process.pid}\n`, PRIVATE_FILE);
  try {
    await link(draft, lockFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(draft).catch(ignoreMissing);
  }
}

async function readHolder(lockFile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(lockFile, 'utf8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    ignoreMissing(error);
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
