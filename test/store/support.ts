import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HotFile } from '../../src/store/hot-file.js';
import { parseHotState, type HotState } from '../../src/store/hot-state.js';
import { planUpdate, type Edition, type ProductFamily } from '../../src/procedure/index.js';
import type { Person, RunRecord, RunStatus } from '../../src/store/types.js';
import { profile } from '../procedure/fixtures.js';

export const ALEX: Person = { id: '29:alex', name: 'Alex Admin', aadObjectId: 'aad-alex' };
export const CONVERSATION = '19:patching@thread.tacv2';

export async function tempDataDir(prefix = 'patchbot-store-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** A run with a real plan from the procedure, as the run service would record it. */
export function makeRun(
  id: number,
  overrides: Partial<RunRecord> & { product?: ProductFamily; edition?: Edition } = {},
): RunRecord {
  const server = overrides.server ?? 'backend01';
  const product = overrides.product ?? 'sfb2019';
  const edition = overrides.edition ?? 'standard';
  const request =
    edition === 'standard'
      ? { server, edition }
      : { server, edition, sqlServerFqdn: 'sql01.contoso.local', collocated: false };
  const plan = planUpdate(request, profile(product, server, { edition }));
  if (!plan.ok) throw new Error(`fixture plan failed: ${plan.error.message}`);
  return {
    id,
    server,
    product,
    edition,
    plan: plan.value,
    status: 'queued',
    requestedBy: ALEX,
    requestedAt: '2026-11-23T02:00:00.000Z',
    conversationId: CONVERSATION,
    locale: 'en-US',
    approvalsRequired: 0,
    decisions: [],
    expiresAt: null,
    attempt: 1,
    steps: plan.value.steps.map((step, index) => ({ stepId: step.id, index, status: 'pending', attempt: 1 })),
    startedAt: null,
    endedAt: null,
    downtimeStartedAt: null,
    downtimeEndedAt: null,
    cancelRequested: null,
    cardActivityId: null,
    ...overrides,
  };
}

export function finished(run: RunRecord, status: RunStatus, endedAt = '2026-11-23T03:00:00.000Z'): RunRecord {
  return { ...run, status, endedAt };
}

/** A live process that is not this one, to stand for the bot holding the store. */
export async function withOtherProcess<T>(use: (pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    return await use(child.pid!);
  } finally {
    child.kill();
  }
}

/** Archived runs as written, oldest first, with the file each came from. */
export async function archivedLines(dataDir: string): Promise<{ file: string; run: RunRecord }[]> {
  const dir = path.join(dataDir, 'archive');
  const out: { file: string; run: RunRecord }[] = [];
  for (const file of (await readdir(dir).catch(() => [])).sort()) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (line.trim()) out.push({ file, run: JSON.parse(line) as RunRecord });
    }
  }
  return out;
}

/** The hot state on disk as a restart would read it: state.json with its journal replayed. */
export async function hotFile(dataDir: string): Promise<HotState> {
  const file = path.join(dataDir, 'state.json');
  const state = await new HotFile(file, (text) => parseHotState(text, file)).read();
  if (!state) throw new Error(`no hot file in ${dataDir}`);
  return state;
}

/**
 * Makes every write of the hot file fail for real by putting folders where the store's lowdb
 * adapter writes: its temp file, `.state.json.tmp`, and its journal (moved aside meanwhile). The
 * write fails with EISDIR, as root too.
 */
export async function blockHotFileWrites(dataDir: string): Promise<() => Promise<void>> {
  const blocker = path.join(dataDir, '.state.json.tmp');
  const journal = path.join(dataDir, 'state.journal.jsonl');
  const hadJournal = existsSync(journal);
  await mkdir(blocker);
  if (hadJournal) await rename(journal, `${journal}.blocked`);
  await mkdir(journal);
  return async () => {
    await rmdir(blocker);
    await rmdir(journal);
    if (hadJournal) await rename(`${journal}.blocked`, journal);
  };
}

export interface UnwritableDir {
  dir: string;
  /** How the folder was made unwritable, for the test's name and failure messages. */
  technique: string;
  makeUnwritable(): Promise<void>;
  makeWritable(): Promise<void>;
  cleanUp(): Promise<void>;
}

/**
 * A data folder that can be made unwritable. chmod 500 works for ordinary users; root ignores
 * permissions, so as root the folder is a small tmpfs that is remounted read-only (EROFS), and
 * where mount is not allowed the temp file's path is occupied instead.
 */
export async function unwritableDataDir(): Promise<UnwritableDir> {
  const dir = await tempDataDir('patchbot-unwritable-');
  if (await chmodStopsWrites(dir)) {
    return {
      dir,
      technique: 'chmod 500 (journal 400)',
      // The journal is appended to, which a read-only folder alone does not stop.
      makeUnwritable: async () => {
        await chmod(dir, 0o500);
        await chmod(path.join(dir, 'state.journal.jsonl'), 0o400).catch(() => undefined);
      },
      makeWritable: async () => {
        await chmod(dir, 0o700);
        await chmod(path.join(dir, 'state.journal.jsonl'), 0o600).catch(() => undefined);
      },
      cleanUp: async () => {
        await chmod(dir, 0o700);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  if (tryRun('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=700', 'tmpfs', dir])) {
    return {
      dir,
      technique: 'read-only tmpfs',
      makeUnwritable: async () => run('mount', ['-o', 'remount,ro', dir]),
      makeWritable: async () => run('mount', ['-o', 'remount,rw', dir]),
      cleanUp: async () => {
        tryRun('umount', [dir]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  let unblock: (() => Promise<void>) | undefined;
  return {
    dir,
    technique: 'temp file path occupied',
    makeUnwritable: async () => void (unblock = await blockHotFileWrites(dir)),
    makeWritable: async () => unblock?.(),
    cleanUp: () => rm(dir, { recursive: true, force: true }),
  };
}

async function chmodStopsWrites(dir: string): Promise<boolean> {
  await chmod(dir, 0o500);
  try {
    await writeFile(path.join(dir, 'probe'), 'x');
    await rm(path.join(dir, 'probe'));
    return false;
  } catch {
    return true;
  } finally {
    await chmod(dir, 0o700);
  }
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: 'pipe' });
}

function tryRun(command: string, args: string[]): boolean {
  try {
    run(command, args);
    return true;
  } catch {
    return false;
  }
}
