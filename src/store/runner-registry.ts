import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { RUNNER_ID_PATTERN } from '../protocol/signing.js';
import { StoreWriteError, type RunnerRecord } from './store.js';

/** Who a runner is: what registration creates and only registration changes. */
export type RunnerIdentity = Pick<RunnerRecord, 'id' | 'server' | 'secret' | 'createdAt'>;

/** The registry's folder inside the data folder: one `<runner id>.json` per runner. */
export const RUNNER_REGISTRY_DIR = 'runners';

/** Reports a registry file that is skipped. The text names the file and the problem, never its contents. */
export type RegistryWarn = (message: string, details: { file: string }) => void;

/**
 * The ids the runner protocol accepts (letters, digits, `.`, `_`, `-`; a letter or digit first):
 * no path separators and no leading dot, so an id is always a plain file name.
 */
export function isSafeRunnerId(id: string): boolean {
  return RUNNER_ID_PATTERN.test(id);
}

export class InvalidRunnerIdError extends Error {
  override readonly name = 'InvalidRunnerIdError';
  constructor(id: string) {
    super(
      `"${id}" is not a valid runner id (letters, digits, ".", "_" and "-", at most 64, a letter or digit first).`,
    );
  }
}

/**
 * Runner identities, one small JSON file each (mode 0600, in a 0700 folder: they hold the HMAC
 * secrets). Each file is written whole to a temp file and renamed over, and removed by deleting
 * it, so any process may change the registry while the bot runs and a reader never sees half a
 * file. The bot does not own these files: it reads them (see RunnerIdentities) and writes only
 * what it registers itself (lab mode, tests). Reads are synchronous: a file is a few hundred bytes.
 */
export class RunnerRegistry {
  readonly dir: string;
  /** Files already warned about, with the problem: one warning per file and problem, not one per read. */
  private readonly warned = new Map<string, string>();

  constructor(
    dataDir: string,
    private readonly warn: RegistryWarn,
  ) {
    this.dir = path.join(dataDir, RUNNER_REGISTRY_DIR);
  }

  fileOf(id: string): string {
    if (!isSafeRunnerId(id)) throw new InvalidRunnerIdError(id);
    return path.join(this.dir, `${id}.json`);
  }

  /** The runner's identity; undefined when it has no file, or a file that cannot be used (warned). */
  read(id: string): RunnerIdentity | undefined {
    if (!isSafeRunnerId(id)) return undefined;
    const file = this.fileOf(id);
    // Most lookups of an unknown id find nothing: a stat is far cheaper than a failed open's error.
    if (!existsSync(file)) {
      this.warned.delete(file);
      return undefined;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') this.warned.delete(file);
      else this.warnOnce(file, `cannot be read (${code ?? 'unknown error'})`);
      return undefined;
    }
    const identity = parseIdentity(text, id);
    if (typeof identity === 'string') {
      this.warnOnce(file, identity);
      return undefined;
    }
    this.warned.delete(file);
    return identity;
  }

  /** Ids that have a file, usable or not. Throws when the folder exists but cannot be listed. */
  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    // Temp files start with a dot and end in .tmp; anything else that is not <id>.json is not ours.
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter(isSafeRunnerId)
      .sort();
  }

  /** Writes the identity atomically; rejects with StoreWriteError naming the file. */
  async write(identity: RunnerIdentity): Promise<void> {
    const file = this.fileOf(identity.id);
    const { id, server, secret, createdAt } = identity;
    const text = `${JSON.stringify({ id, server, secret, createdAt }, null, 2)}\n`;
    const temp = path.join(this.dir, `.${id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        // The secret is printed once: make sure it survives a power cut before it is shown.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new StoreWriteError(file, error);
    }
  }

  /** Deletes the runner's file; false when there was none. */
  async remove(id: string): Promise<boolean> {
    if (!isSafeRunnerId(id)) return false;
    const file = this.fileOf(id);
    try {
      await unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new StoreWriteError(file, error);
    }
    this.warned.delete(file);
    return true;
  }

  /** Warns about the registry as a whole (it cannot be listed), once per problem. */
  warnAboutFolder(error: unknown): void {
    this.warnOnce(this.dir, `cannot be listed (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }

  private warnOnce(file: string, problem: string): void {
    if (this.warned.get(file) === problem) return;
    this.warned.set(file, problem);
    this.warn(
      `Runner registry file ${file} ${problem}; it is skipped, so that runner is refused until the file is ` +
        'fixed or the server is registered again (npm run register-runner -- <server> --replace).',
      { file },
    );
  }
}

/**
 * The identity in a registry file, or what is wrong with it. The problem never quotes the text:
 * JSON.parse's own message would, and the text holds the secret.
 */
function parseIdentity(text: string, id: string): RunnerIdentity | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'is not valid JSON';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'does not hold an object';
  const record = data as Record<string, unknown>;
  if (record.id !== id) return 'holds another runner id than its name';
  for (const field of ['server', 'secret', 'createdAt'] as const) {
    const value = record[field];
    if (typeof value !== 'string' || value === '') return `has no ${field}`;
  }
  return {
    id,
    server: record.server as string,
    secret: record.secret as string,
    createdAt: record.createdAt as string,
  };
}
