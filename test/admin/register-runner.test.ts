import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRegisterRunnerArgs, runRegisterRunner } from '../../src/admin/register-runner-command.js';
import {
  formatRegistration,
  listRunners,
  registerRunner,
  removeRunner,
  runnerIdFor,
} from '../../src/admin/register-runner.js';
import { AdminRefusal, UsageError } from '../../src/admin/cli-support.js';
import { RUNNER_ID_PATTERN } from '../../src/protocol/signing.js';
import { LOCK_FILE_NAME } from '../../src/store/lock.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { tempDataDir } from '../store/support.js';
import { captureIo, withOtherProcess } from './support.js';

const now = () => new Date('2026-11-23T09:00:00Z');

describe('registerRunner', () => {
  it('creates a runner with a fresh id and a 32-byte secret, and audits it without the secret', async () => {
    const store = await LowdbStore.open(await tempDataDir(), now);
    const { runner, replaced } = await registerRunner(store, 'BE01.contoso.local.', { now });

    expect(runner.server).toBe('be01.contoso.local');
    expect(runner.id).toMatch(/^rn-be01-[0-9a-f]{8}$/);
    expect(Buffer.from(runner.secret, 'base64url')).toHaveLength(32);
    expect(runner).toMatchObject({ createdAt: '2026-11-23T09:00:00.000Z', lastSeenAt: null, info: null });
    expect(replaced).toEqual([]);
    expect(store.getRunner(runner.id)).toEqual(runner);

    const audit = await store.readAudit();
    expect(audit).toEqual([
      {
        at: '2026-11-23T09:00:00.000Z',
        action: 'runner-register',
        actor: { system: true },
        server: 'be01.contoso.local',
        detail: { runnerId: runner.id, replaced: [] },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(runner.secret);
    await store.close();
  });

  it('refuses a second runner for the same server unless told to replace it', async () => {
    const store = await LowdbStore.open(await tempDataDir(), now);
    const first = await registerRunner(store, 'be01', { now });
    await expect(registerRunner(store, 'BE01', { now })).rejects.toThrow(AdminRefusal);
    await expect(registerRunner(store, 'be01', { now })).rejects.toThrow(/--replace/);

    const second = await registerRunner(store, 'be01', { now, replace: true });
    expect(second.replaced.map((r) => r.id)).toEqual([first.runner.id]);
    expect(store.runners()).toEqual([second.runner]);
    expect(second.runner.secret).not.toBe(first.runner.secret);
    expect((await store.readAudit()).at(-1)?.detail).toEqual({
      runnerId: second.runner.id,
      replaced: [first.runner.id],
    });
    await store.close();
  });

  it.each(['', 'be_01', 'be01..contoso', '-be01', 'a'.repeat(64)])(
    'refuses the server name %j',
    async (server) => {
      const store = await LowdbStore.open(await tempDataDir(), now);
      await expect(registerRunner(store, server, { now })).rejects.toBeInstanceOf(UsageError);
      expect(store.runners()).toEqual([]);
      await store.close();
    },
  );

  it('makes ids that keep to the runner id rules, even for long names', () => {
    const long = `${'a'.repeat(62)}b.contoso.local`;
    const id = runnerIdFor(long);
    expect(id).toMatch(RUNNER_ID_PATTERN);
    expect(id.length).toBeLessThanOrEqual(64);
  });
});

describe('listRunners and removeRunner', () => {
  it('lists runners without their secrets, and removes one with an audit event', async () => {
    const store = await LowdbStore.open(await tempDataDir(), now);
    const be02 = await registerRunner(store, 'be02', { now });
    const be01 = await registerRunner(store, 'be01', { now });
    expect(listRunners(store)).toEqual([
      {
        id: be01.runner.id,
        server: 'be01',
        createdAt: '2026-11-23T09:00:00.000Z',
        lastSeenAt: null,
        version: null,
      },
      {
        id: be02.runner.id,
        server: 'be02',
        createdAt: '2026-11-23T09:00:00.000Z',
        lastSeenAt: null,
        version: null,
      },
    ]);
    expect(JSON.stringify(listRunners(store))).not.toContain(be01.runner.secret);

    await removeRunner(store, be02.runner.id, now);
    expect(store.runners().map((r) => r.id)).toEqual([be01.runner.id]);
    expect((await store.readAudit()).at(-1)).toMatchObject({
      action: 'runner-remove',
      actor: { system: true },
      server: 'be02',
      detail: { runnerId: be02.runner.id },
    });
    await expect(removeRunner(store, 'rn-nobody-00000000', now)).rejects.toThrow(/no runner rn-nobody/);
    await store.close();
  });
});

describe('register-runner command', () => {
  it.each([
    [[], /Give a server/],
    [['be01', '--list'], /Give a server/],
    [['be01', 'be02'], /One server/],
    [['--replace', '--list'], /--replace goes with/],
    [['--remove'], /argument missing|requires|--remove/],
    [['--frobnicate'], /Unknown option/],
  ])('rejects %j as a usage error', (argv, message) => {
    expect(() => parseRegisterRunnerArgs(argv)).toThrow(message);
  });

  it('prints the secret only when registering, and exits 2 on a usage error', async () => {
    const dataDir = await tempDataDir();
    const register = captureIo();
    expect(await runRegisterRunner(['be01'], { dataDir, io: register.io, now })).toBe(0);
    const secret = /Secret: +(\S+)/.exec(register.out())?.[1];
    expect(secret).toHaveLength(43);

    const list = captureIo();
    expect(await runRegisterRunner(['--list'], { dataDir, io: list.io, now })).toBe(0);
    expect(list.out()).toMatch(/rn-be01-[0-9a-f]{8}\s+be01\s+2026-11-23T09:00:00.000Z\s+never/);
    expect(list.out() + list.err()).not.toContain(secret);

    const again = captureIo();
    expect(await runRegisterRunner(['be01'], { dataDir, io: again.io, now })).toBe(1);
    expect(again.out()).toBe('');
    expect(again.err()).toMatch(/already has a runner/);

    const usage = captureIo();
    expect(await runRegisterRunner([], { dataDir, io: usage.io, now })).toBe(2);
    expect(usage.err()).toMatch(/Usage:/);
  });

  it('registers, lists and removes while the bot holds the store, without touching its lock', async () => {
    const dataDir = await tempDataDir();
    await withOtherProcess(async (pid) => {
      const lockFile = path.join(dataDir, LOCK_FILE_NAME);
      await writeFile(lockFile, `${pid}\n`);
      const register = captureIo();
      expect(await runRegisterRunner(['be02'], { dataDir, io: register.io, now })).toBe(0);
      expect(register.err()).toBe('');
      expect(register.out()).toMatch(/no restart is needed/);
      const id = /Runner id: +(\S+)/.exec(register.out())?.[1];
      const secret = /Secret: +(\S+)/.exec(register.out())?.[1];

      const list = captureIo();
      expect(await runRegisterRunner(['--list'], { dataDir, io: list.io, now })).toBe(0);
      expect(list.out()).toContain(`${id}  be02`);
      expect(list.out() + list.err()).not.toContain(secret);

      const remove = captureIo();
      expect(await runRegisterRunner(['--remove', id!], { dataDir, io: remove.io, now })).toBe(0);
      expect(remove.out()).toMatch(/within 2 seconds/);
      expect(await readFile(lockFile, 'utf8')).toBe(`${pid}\n`);
      expect(await readFile(path.join(dataDir, 'state.json'), 'utf8').catch(() => 'none')).toBe('none');
      const audit = await readFile(path.join(dataDir, 'audit', 'audit-2026-11.jsonl'), 'utf8');
      expect(
        audit
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { action: string }).action),
      ).toEqual(['runner-register', 'runner-remove']);
      expect(audit).not.toContain(secret);
    });
  });

  it('moves runners an older bot kept in its hot file before a change, and explains while it runs', async () => {
    const dataDir = await tempDataDir();
    // Written directly: a store opened here would hold the lock for this process until it exits.
    const runners = {
      'rn-be01-00000001': {
        id: 'rn-be01-00000001',
        server: 'be01',
        secret: 'x'.repeat(43),
        createdAt: '2026-11-23T08:00:00.000Z',
        lastSeenAt: null,
        info: null,
      },
    };
    const state = {
      version: 1,
      lastRunId: 0,
      lastOutboxId: 0,
      runs: {},
      runners,
      conversations: {},
      outbox: [],
    };
    await writeFile(path.join(dataDir, 'state.json'), JSON.stringify(state));
    await withOtherProcess(async (pid) => {
      await writeFile(path.join(dataDir, LOCK_FILE_NAME), `${pid}\n`);
      const register = captureIo();
      expect(await runRegisterRunner(['be02'], { dataDir, io: register.io, now })).toBe(1);
      expect(register.err()).toMatch(new RegExp(`in use by process ${pid}`));
      expect(register.err()).toMatch(/older version.*Start the new version of the bot once/s);
      expect(register.out()).toBe('');

      const list = captureIo();
      expect(await runRegisterRunner(['--list'], { dataDir, io: list.io, now })).toBe(0);
      expect(list.out()).toContain('rn-be01-00000001  be01');
    });
    // The old bot stopped: the command moves its runners, then registers.
    await rm(path.join(dataDir, LOCK_FILE_NAME));
    const register = captureIo();
    expect(await runRegisterRunner(['be02'], { dataDir, io: register.io, now })).toBe(0);
    expect(await readdir(path.join(dataDir, 'runners'))).toContain('rn-be01-00000001.json');
    const again = captureIo();
    expect(await runRegisterRunner(['be01'], { dataDir, io: again.io, now })).toBe(1);
    expect(again.err()).toMatch(/be01 already has a runner \(rn-be01-00000001\)/);
  });

  it('says where it looked when there is no store to list', async () => {
    const dataDir = path.join(await tempDataDir(), 'missing');
    const list = captureIo();
    expect(await runRegisterRunner(['--list'], { dataDir, io: list.io })).toBe(1);
    expect(list.err()).toContain(`There is no store at ${dataDir}`);
  });

  it('formats a registration with the settings a runner needs', async () => {
    const text = formatRegistration(
      {
        runner: {
          id: 'rn-be01-0a1b2c3d',
          server: 'be01',
          secret: 'S3CRET',
          createdAt: '',
          lastSeenAt: null,
          info: null,
        },
        replaced: [],
      },
      '/var/lib/patchbot',
    );
    expect(text).toContain('Secret:    S3CRET');
    expect(text).toContain('PATCHBOT_RUNNER_ID=rn-be01-0a1b2c3d');
    expect(text).toContain('PATCHBOT_RUNNER_SECRET_FILE=');
    expect(text).toContain('PATCHBOT_BOT_URL=');
    expect(text).toContain('PATCHBOT_SERVER=be01');
    expect(text.split('S3CRET')).toHaveLength(2);
  });
});
