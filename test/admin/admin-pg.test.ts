/**
 * The admin commands with PATCHBOT_DATABASE_URL set: register-runner changes the runners table
 * (the running bot acts on its NOTIFY at once) and audit reads the audit table; the data folder is
 * not used at all.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { BotClient, RunnerApiError } from '../../src/runner/client.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { RUNNER_RECHECK_MS } from '../../src/store/runner-identities.js';
import { heartbeat } from '../transport/harness.js';
import { runAuditExport } from '../../src/admin/audit-export.js';
import { runRegisterRunner } from '../../src/admin/register-runner-command.js';
import type { AuditEvent } from '../../src/store/store.js';
import { TEST_PG_PORT } from '../support/postgres.js';
import { pgFixture, until } from '../store/pg/support.js';
import { captureIo } from './support.js';

const db = pgFixture('admin');
const now = () => new Date('2026-11-23T09:00:00.000Z');
/** A folder that does not exist: with a database URL the commands never look there. */
const dataDir = '/nonexistent/patchbot-data';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('register-runner with PostgreSQL', () => {
  it('registers, lists, replaces and removes runners the running bot acts on at once', async () => {
    const databaseUrl = await db.database();
    const bot = await db.open(databaseUrl, now, { runnerRecheckMs: 60_000 });
    const context = (io: ReturnType<typeof captureIo>['io']) => ({ dataDir, databaseUrl, io, now });

    const register = captureIo();
    expect(await runRegisterRunner(['be01'], context(register.io)), register.err()).toBe(0);
    const id = /PATCHBOT_RUNNER_ID=(\S+)/.exec(register.out())?.[1];
    const secret = /Secret: +(\S+)/.exec(register.out())?.[1];
    expect(register.out()).toContain(
      `in the store at PostgreSQL 127.0.0.1:${TEST_PG_PORT}${new URL(databaseUrl).pathname}.`,
    );
    await until(() => bot.getRunner(id!) !== undefined, 2_000);
    expect(bot.getRunner(id!)?.secret).toBe(secret);

    const list = captureIo();
    expect(await runRegisterRunner(['--list'], context(list.io))).toBe(0);
    expect(list.out()).toMatch(new RegExp(`${id}\\s+be01\\s+2026-11-23T09:00:00.000Z\\s+never`));
    expect(list.out() + list.err()).not.toContain(secret);

    const again = captureIo();
    expect(await runRegisterRunner(['be01'], context(again.io))).toBe(1);
    expect(again.err()).toMatch(/already has a runner/);

    const replace = captureIo();
    expect(await runRegisterRunner(['be01', '--replace'], context(replace.io))).toBe(0);
    const second = /PATCHBOT_RUNNER_ID=(\S+)/.exec(replace.out())?.[1];
    await until(() => bot.getRunner(id!) === undefined, 2_000);
    await until(() => bot.getRunner(second!) !== undefined, 2_000);

    const remove = captureIo();
    expect(await runRegisterRunner(['--remove', second!], context(remove.io)), remove.err()).toBe(0);
    await until(() => bot.runners().length === 0, 2_000);

    const unknown = captureIo();
    expect(await runRegisterRunner(['--remove', 'rn-nobody'], context(unknown.io))).toBe(1);
    expect(unknown.err()).toMatch(/There is no runner rn-nobody/);

    const audit = await bot.readAudit();
    expect(audit.map((e) => [e.action, e.detail?.runnerId])).toEqual([
      ['runner-register', id],
      ['runner-register', second],
      ['runner-remove', second],
    ]);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('registers before the bot ever started (creating the tables), and --list refuses a database without them', async () => {
    const databaseUrl = await db.database();
    const list = captureIo();
    expect(await runRegisterRunner(['--list'], { dataDir, databaseUrl, io: list.io, now })).toBe(1);
    expect(list.err()).toMatch(/has no patch-bot tables yet: no runner is registered there\.\n$/);

    const register = captureIo();
    expect(await runRegisterRunner(['be01'], { dataDir, databaseUrl, io: register.io, now })).toBe(0);
    const bot = await db.open(databaseUrl, now);
    expect(bot.runners().map((r) => r.server)).toEqual(['be01']);
  });

  it('says it cannot reach the database, naming host and port but not the password', async () => {
    const io = captureIo();
    const databaseUrl = 'postgres://patchbot:hunter2@127.0.0.1:55499/patchbot';
    expect(await runRegisterRunner(['--list'], { dataDir, databaseUrl, io: io.io, now })).toBe(1);
    expect(io.err()).toBe(
      'Cannot reach PostgreSQL at 127.0.0.1:55499 (connect ECONNREFUSED): check PATCHBOT_DATABASE_URL and that the server runs.\n',
    );
  });
});

describe('the bot on PostgreSQL with register-runner beside it', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('accepts a runner registered after it started, and refuses it soon after removal', async () => {
    const databaseUrl = await db.database();
    const config = loadConfig({ PORT: '0', PATCHBOT_DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
    app = await createApp({ ...config, dataDir }, silentLogger());
    expect(app.store).toBeInstanceOf(PgStore);
    expect(await (await fetch(`${app.url}/readyz`)).json()).toEqual({ status: 'ready' });

    const cli = captureIo();
    expect(await runRegisterRunner(['backend01'], { dataDir, databaseUrl, io: cli.io }), cli.err()).toBe(0);
    const runner = {
      id: /Runner id: +(\S+)/.exec(cli.out())![1]!,
      secret: /Secret: +(\S+)/.exec(cli.out())![1]!,
    };
    const client = new BotClient({
      baseUrl: app.url,
      runnerId: runner.id,
      secret: runner.secret,
      logger: silentLogger(),
      retry: { maxAttempts: 1 },
    });
    // The registration's NOTIFY reaches the bot in milliseconds (not synchronously, as a file would).
    const bot = app;
    await until(() => bot.store.getRunner(runner.id) !== undefined, 1_000);
    expect(await client.heartbeat(heartbeat({ id: runner.id, server: 'backend01' }))).toEqual({ cancel: [] });
    expect(app.store.getRunner(runner.id)?.lastSeenAt).toEqual(expect.any(String));

    const remove = captureIo();
    expect(await runRegisterRunner(['--remove', runner.id], { dataDir, databaseUrl, io: remove.io })).toBe(0);
    const removedAt = Date.now();
    await vi.waitFor(
      async () => {
        const refused = await client
          .heartbeat(heartbeat({ id: runner.id, server: 'backend01' }))
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(RunnerApiError);
        expect((refused as RunnerApiError).status).toBe(401);
      },
      { timeout: RUNNER_RECHECK_MS + 2_000, interval: 50 },
    );
    expect(Date.now() - removedAt).toBeLessThan(RUNNER_RECHECK_MS);
  });
});

describe('audit export with PostgreSQL', () => {
  it('reads the audit table beside the running bot, filtered as with the file store', async () => {
    const databaseUrl = await db.database();
    const bot = await db.open(databaseUrl, now);
    const events: AuditEvent[] = [
      {
        at: '2026-10-31T23:00:00.000Z',
        action: 'request',
        actor: { system: true },
        runId: 11,
        server: 'be01',
      },
      {
        at: '2026-11-01T00:05:00.000Z',
        action: 'approve',
        actor: { system: true },
        runId: 11,
        server: 'be01',
      },
      {
        at: '2026-11-15T10:00:00.000Z',
        action: 'request',
        actor: { system: true },
        runId: 13,
        server: 'be02',
      },
    ];
    for (const event of events) await bot.appendAudit(event);

    const all = captureIo();
    expect(
      await runAuditExport(['--since', '2026-10-01'], { dataDir, databaseUrl, io: all.io }),
      all.err(),
    ).toBe(0);
    expect(JSON.parse(all.out())).toEqual(events);

    const some = captureIo();
    const argv = ['--since', '2026-11-01', '--server', 'be01', '--jsonl'];
    expect(await runAuditExport(argv, { dataDir, databaseUrl, io: some.io })).toBe(0);
    expect(some.out()).toBe(`${JSON.stringify(events[1])}\n`);
    // Read-only: the bot's database was not changed by the export.
    expect(bot.health()).toEqual({ ok: true });
  });

  it('refuses a database without the tables instead of creating them', async () => {
    const databaseUrl = await db.database();
    const io = captureIo();
    expect(await runAuditExport(['--since', '2026-10-01'], { dataDir, databaseUrl, io: io.io })).toBe(1);
    expect(io.err()).toMatch(/has no patch-bot tables yet: start the bot once/);
  });
});

describe('admin scripts with PATCHBOT_DATABASE_URL, run for real', () => {
  it(
    'register-runner and audit use the database named in the environment',
    { timeout: 120_000 },
    async () => {
      const databaseUrl = await db.database();
      const run = (script: string, args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const env: NodeJS.ProcessEnv = {};
          for (const [name, value] of Object.entries(process.env))
            if (!name.startsWith('PATCHBOT_') && !name.startsWith('MicrosoftApp')) env[name] = value;
          Object.assign(env, { PATCHBOT_DATA_DIR: dataDir, PATCHBOT_DATABASE_URL: databaseUrl });
          execFile(
            'npx',
            ['tsx', path.join('scripts', script), ...args],
            { cwd: repoRoot, env },
            (error, stdout, stderr) =>
              resolve({
                code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
                stdout,
                stderr,
              }),
          );
        });
      const registered = await run('register-runner.ts', ['be01']);
      expect(registered.code, registered.stderr).toBe(0);
      const id = /PATCHBOT_RUNNER_ID=(\S+)/.exec(registered.stdout)?.[1];
      const audit = await run('audit.ts', ['--since', '2000-01-01']);
      expect(audit.code, audit.stderr).toBe(0);
      expect((JSON.parse(audit.stdout) as AuditEvent[]).map((e) => [e.action, e.detail?.runnerId])).toEqual([
        ['runner-register', id],
      ]);
    },
  );
});
