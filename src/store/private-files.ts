import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The data folder holds user ids, names, conversation addresses, the audit trail and runner
 * secrets: only the bot's own account may read it. Every file the store creates is created with
 * PRIVATE_FILE_MODE and every folder with PRIVATE_DIR_MODE (the umask can only take bits away);
 * at start the bot also tightens what an older version left behind. POSIX modes mean nothing on
 * Windows, where the folder's ACL does the same job (docs/deploy.md says what to set).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

const POSIX = process.platform !== 'win32';

/** Options for appendFile/writeFile that create the file private. */
export const PRIVATE_FILE = { encoding: 'utf8', mode: PRIVATE_FILE_MODE } as const;

/** Creates the folder (and missing parents) private; an existing folder is made private too. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (POSIX) await chmod(dir, PRIVATE_DIR_MODE);
}

/**
 * Makes the data folder and everything in it private to this account: folders 0700, files 0600.
 * Returns how many entries it had to change, for the log.
 */
export async function tightenDataDir(dir: string): Promise<number> {
  if (!POSIX) return 0;
  let changed = 0;
  const visit = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        changed += await setMode(full, PRIVATE_DIR_MODE);
        await visit(full);
      } else if (entry.isFile()) {
        changed += await setMode(full, PRIVATE_FILE_MODE);
      }
    }
  };
  changed += await setMode(dir, PRIVATE_DIR_MODE);
  await visit(dir);
  return changed;
}

async function setMode(file: string, mode: number): Promise<number> {
  const current = (await stat(file)).mode & 0o777;
  if (current === mode) return 0;
  await chmod(file, mode);
  return 1;
}
