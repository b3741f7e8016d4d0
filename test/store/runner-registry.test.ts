import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { registerRunner, removeRunner } from '../../src/admin/register-runner.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { RunnerAdminStore } from '../../src/store/runner-admin-store.js';
import { InvalidRunnerIdError, RUNNER_REGISTRY_DIR } from '../../src/store/runner-registry.js';
import type { RunnerRecord } from '../../src/store/store.js';
import { profile } from '../procedure/fixtures.js';
import { hotFile, tempDataDir } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');
const SECRET = 'TOP-SECRET-5f0c1d2e3b4a69788796a5b4c3d2e1f0';

const runner = (id: string, server: string, overrides: Partial<RunnerRecord> = {}): RunnerRecord => ({
  id,
  server,
  secret: `${SECRET}-${id}`,
  createdAt: '2026-11-23T01:00:00.000Z',
  lastSeenAt: null,
  info: null,
  ...overrides,
});

const seen = (id: string, server: string): Pick<RunnerRecord, 'lastSeenAt' | 'info'> => ({
  lastSeenAt: '2026-11-23T02:00:00.000Z',
  info: { runnerId: id, version: '0.1.0', profile: profile('sfb2019', server) },
});

function collectWarnings() {
  const warnings: { message: string; file: string }[] = [];
  return {
    warnings,
    warn: (message: string, { file }: { file: string }) => warnings.push({ message, file }),
  };
}

/** register-runner's own store: what the CLI opens beside the running bot. */
const adminStore = (dir: string) => RunnerAdminStore.open(dir, { warn: () => undefined });

describe('runner registry files', () => {
  it('keeps each identity in its own 0600 file and only the facts in the hot file', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.saveRunner(runner('rn-be01', 'be01', seen('rn-be01', 'be01')));

    const file = path.join(dir, RUNNER_REGISTRY_DIR, 'rn-be01.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      id: 'rn-be01',
      server: 'be01',
      secret: `${SECRET}-rn-be01`,
      createdAt: '2026-11-23T01:00:00.000Z',
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readdir(path.dirname(file))).toEqual(['rn-be01.json']);
    const hot = await readFile(path.join(dir, 'state.json'), 'utf8');
    expect(hot).not.toContain(SECRET);
    expect(JSON.parse(hot).runners).toEqual({ 'rn-be01': seen('rn-be01', 'be01') });
    expect(store.getRunner('rn-be01')).toEqual(runner('rn-be01', 'be01', seen('rn-be01', 'be01')));
    await store.close();
  });

  it('refuses ids that are not plain file names, and never looks them up', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    for (const id of ['../escape', 'a/b', '.hidden', '', 'x'.repeat(65)]) {
      await expect(store.saveRunner(runner(id, 'be01'))).rejects.toBeInstanceOf(InvalidRunnerIdError);
      expect(store.getRunner(id)).toBeUndefined();
    }
    expect(await readdir(dir)).not.toContain('escape.json');
    expect(store.runners()).toEqual([]);
    await store.close();
  });

  it('records heartbeats without ever registering a runner', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.saveRunner(runner('rn-be01', 'be01'));
    await store.noteRunnerSeen('rn-be01', seen('rn-be01', 'be01'));
    expect(store.getRunner('rn-be01')?.lastSeenAt).toBe('2026-11-23T02:00:00.000Z');

    await store.removeRunner('rn-be01');
    await store.noteRunnerSeen('rn-be01', seen('rn-be01', 'be01'));
    expect(store.getRunner('rn-be01')).toBeUndefined();
    expect((await hotFile(dir)) as unknown).toMatchObject({ runners: {} });
    await store.close();
  });
});

describe('registering while the bot holds the store', () => {
  it('the open store finds a runner the CLI registers, with getRunner at once and runners() soon', async () => {
    const dir = await tempDataDir();
    const bot = await LowdbStore.open(dir, clock, { runnerRecheckMs: 100 });
    await bot.saveRunner(runner('rn-be01', 'be01'));
    expect(bot.runners().map((r) => r.id)).toEqual(['rn-be01']);

    const { runner: added } = await registerRunner(await adminStore(dir), 'be02', { now: clock });
    await vi.waitFor(() => expect(bot.runners().map((r) => r.id)).toEqual(['rn-be01', added.id]), {
      timeout: 2_000,
    });
    const { runner: third } = await registerRunner(await adminStore(dir), 'be03', { now: clock });
    // An unknown id is looked up on disk at once: the runner's first request is accepted.
    expect(bot.getRunner(third.id)).toEqual(third);
    expect(bot.runners().map((r) => r.id)).toContain(third.id);

    expect((await bot.readAudit()).map((e) => [e.action, e.detail?.runnerId])).toEqual([
      ['runner-register', added.id],
      ['runner-register', third.id],
    ]);
    await bot.close();
  });

  it('refuses a runner the CLI removed within the recheck time, and --replace too', async () => {
    const dir = await tempDataDir();
    const bot = await LowdbStore.open(dir, clock, { runnerRecheckMs: 100 });
    const { runner: first } = await registerRunner(await adminStore(dir), 'be01', { now: clock });
    expect(bot.getRunner(first.id)?.secret).toBe(first.secret);
    await bot.noteRunnerSeen(first.id, seen(first.id, 'be01'));

    const { runner: second } = await registerRunner(await adminStore(dir), 'be01', {
      now: clock,
      replace: true,
    });
    await vi.waitFor(() => expect(bot.getRunner(first.id)).toBeUndefined(), { timeout: 1_000 });
    expect(bot.runners().map((r) => r.id)).toEqual([second.id]);

    await removeRunner(await adminStore(dir), second.id, clock);
    await vi.waitFor(() => expect(bot.getRunner(second.id)).toBeUndefined(), { timeout: 1_000 });
    expect(bot.runners()).toEqual([]);
    await bot.close();

    // The facts of runners removed elsewhere leave the hot file at the next start.
    await (await LowdbStore.open(dir, clock)).close();
    expect((await hotFile(dir)) as unknown).toMatchObject({ runners: {} });
  });

  it('the CLI sees what the bot heard from each runner, and never writes the hot file', async () => {
    const dir = await tempDataDir();
    const bot = await LowdbStore.open(dir, clock);
    await bot.saveRunner(runner('rn-be01', 'be01'));
    await bot.noteRunnerSeen('rn-be01', seen('rn-be01', 'be01'));
    const before = await readFile(path.join(dir, 'state.json'), 'utf8');

    const admin = await adminStore(dir);
    expect(admin.getRunner('rn-be01')).toEqual(runner('rn-be01', 'be01', seen('rn-be01', 'be01')));
    await registerRunner(admin, 'be02', { now: clock });
    await removeRunner(admin, 'rn-be01', clock);
    expect(await readFile(path.join(dir, 'state.json'), 'utf8')).toBe(before);
    await bot.close();
  });
});

describe('a damaged registry file', () => {
  it('is skipped with one warning that names the file but not the secret; the others still work', async () => {
    const dir = await tempDataDir();
    const { warnings, warn } = collectWarnings();
    const bot = await LowdbStore.open(dir, clock, { warn, runnerRecheckMs: 0 });
    await bot.saveRunner(runner('rn-be01', 'be01'));
    const registry = path.join(dir, RUNNER_REGISTRY_DIR);
    await writeFile(
      path.join(registry, 'rn-torn.json'),
      `{"id":"rn-torn","server":"be02","secret":"${SECRET}`,
    );
    await writeFile(
      path.join(registry, 'rn-other.json'),
      JSON.stringify({ id: 'rn-someone-else', server: 'be03', secret: SECRET, createdAt: 'x' }),
    );
    await writeFile(
      path.join(registry, 'rn-nosecret.json'),
      JSON.stringify({ id: 'rn-nosecret', server: 'be04' }),
    );
    await writeFile(path.join(registry, 'notes.txt'), 'not a runner');

    expect(bot.runners().map((r) => r.id)).toEqual(['rn-be01']);
    expect(bot.runners().map((r) => r.id)).toEqual(['rn-be01']);
    expect(bot.getRunner('rn-torn')).toBeUndefined();
    expect(bot.getRunner('rn-be01')?.server).toBe('be01');

    expect(warnings.map((w) => path.basename(w.file)).sort()).toEqual([
      'rn-nosecret.json',
      'rn-other.json',
      'rn-torn.json',
    ]);
    expect(warnings[0]?.message).toMatch(/rn-\w+\.json .*skipped.*--replace/);
    expect(JSON.stringify(warnings)).not.toContain(SECRET);
    await bot.close();
  });
});

describe('moving runners out of an older hot file', () => {
  const legacyState = (runners: Record<string, unknown>) =>
    JSON.stringify({
      version: 1,
      lastRunId: 0,
      lastOutboxId: 0,
      runs: {},
      runners,
      conversations: {},
      outbox: [],
    });

  it('moves identities to the registry on open: the runners keep working, the secrets leave the hot file', async () => {
    const dir = await tempDataDir();
    const be01 = runner('rn-be01', 'be01', seen('rn-be01', 'be01'));
    const be02 = runner('rn-be02', 'be02');
    await writeFile(path.join(dir, 'state.json'), legacyState({ [be01.id]: be01, [be02.id]: be02 }));

    // Before the bot starts, a read-only look (register-runner --list) sees them where they are.
    const reader = await LowdbStore.open(dir, clock, { readOnly: true });
    expect(reader.runners()).toEqual([be01, be02]);
    expect((await adminStore(dir)).hasLegacyRunners()).toBe(true);

    const store = await LowdbStore.open(dir, clock);
    expect(store.runners()).toEqual([be01, be02]);
    expect(store.getRunner(be01.id)).toEqual(be01);
    expect(await readFile(path.join(dir, 'state.json'), 'utf8')).not.toContain(SECRET);
    expect((await hotFile(dir)) as unknown).toMatchObject({ runners: { [be01.id]: seen(be01.id, 'be01') } });
    expect(await readdir(path.join(dir, RUNNER_REGISTRY_DIR))).toEqual(['rn-be01.json', 'rn-be02.json']);
    expect((await adminStore(dir)).hasLegacyRunners()).toBe(false);
    await store.close();
  });

  it('keeps what the registry already holds (a crash after the move began)', async () => {
    const dir = await tempDataDir();
    await mkdir(path.join(dir, RUNNER_REGISTRY_DIR));
    const registered = runner('rn-be01', 'be01', { secret: 'the-registry-one' });
    await writeFile(
      path.join(dir, RUNNER_REGISTRY_DIR, 'rn-be01.json'),
      JSON.stringify({ ...registered, lastSeenAt: undefined, info: undefined }),
    );
    await writeFile(path.join(dir, 'state.json'), legacyState({ 'rn-be01': runner('rn-be01', 'be01') }));

    const store = await LowdbStore.open(dir, clock);
    expect(store.getRunner('rn-be01')).toEqual(registered);
    await store.close();
  });
});
