import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from './private-files.js';

const RENAME_ATTEMPTS = 10;
const RENAME_RETRY_MS = 100;

/** Writes and flushes to the disk, so a power cut after the rename finds the new contents. */
export async function writeDurably(file: string, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or a new file's name durable where the platform allows it (not on Windows: no folder handles). */
export async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows and some file systems refuse to open or sync a folder; the rename still happened.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** As lowdb's own writer does: a virus scanner or indexer may hold the file for a moment on Windows. */
export async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      if (attempt >= RENAME_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, RENAME_RETRY_MS));
    }
  }
}

/** The file's contents, or null when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    const handle = await open(file, 'r');
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Which file a name points to and how it looked: a rename or a rewrite changes it. */
export async function fileStamp(file: string): Promise<string> {
  try {
    const { ino, size, mtimeMs } = await stat(file);
    return `${ino}:${size}:${mtimeMs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}
