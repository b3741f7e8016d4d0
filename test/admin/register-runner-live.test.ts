import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runRegisterRunner } from '../../src/admin/register-runner-command.js';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { BotClient, RunnerApiError } from '../../src/runner/client.js';
import { RUNNER_RECHECK_MS } from '../../src/store/runner-identities.js';
import { RUNNER_REGISTRY_DIR } from '../../src/store/runner-registry.js';
import { tempDataDir } from '../store/support.js';
import { capturedLogger, heartbeat } from '../transport/harness.js';
import { captureIo } from './support.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function startBot(dataDir: string, logger = silentLogger()): Promise<App> {
  app = await createApp(loadConfig({ PORT: '0', PATCHBOT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), logger);
  return app;
}

/** `npm run register-runner -- <server>` against the running bot's data folder. */
async function register(
  dataDir: string,
  server: string,
): Promise<{ id: string; secret: string; output: string }> {
  const cli = captureIo();
  expect(await runRegisterRunner([server], { dataDir, io: cli.io }), cli.err()).toBe(0);
  const id = /Runner id: +(\S+)/.exec(cli.out())?.[1];
  const secret = /Secret: +(\S+)/.exec(cli.out())?.[1];
  if (!id || !secret) throw new Error(`no id or secret in:\n${cli.out()}`);
  return { id, secret, output: cli.out() + cli.err() };
}

function clientFor(bot: App, runner: { id: string; secret: string }, logger = silentLogger()): BotClient {
  return new BotClient({
    baseUrl: bot.url,
    runnerId: runner.id,
    secret: runner.secret,
    logger,
    retry: { maxAttempts: 1 },
  });
}

describe('register-runner beside the running bot', () => {
  it('the bot accepts a runner registered after it started, and refuses it soon after removal', async () => {
    const dataDir = await tempDataDir();
    const botLog = capturedLogger();
    const runnerLog = capturedLogger();
    const bot = await startBot(dataDir, botLog.logger);

    const be01 = await register(dataDir, 'backend01');
    const client = clientFor(bot, be01, runnerLog.logger);
    // The very first signed request of the new runner.
    expect(await client.heartbeat(heartbeat({ id: be01.id, server: 'backend01' }))).toEqual({ cancel: [] });
    expect(bot.store.getRunner(be01.id)).toMatchObject({
      server: 'backend01',
      lastSeenAt: expect.any(String),
    });
    expect(bot.store.runners().map((r) => r.id)).toEqual([be01.id]);

    const cli = captureIo();
    expect(await runRegisterRunner(['--remove', be01.id], { dataDir, io: cli.io }), cli.err()).toBe(0);
    const removedAt = Date.now();
    await vi.waitFor(
      async () => {
        const refused = await client
          .heartbeat(heartbeat({ id: be01.id, server: 'backend01' }))
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(RunnerApiError);
        expect((refused as RunnerApiError).status).toBe(401);
      },
      { timeout: RUNNER_RECHECK_MS + 2_000, interval: 100 },
    );
    expect(Date.now() - removedAt).toBeLessThan(RUNNER_RECHECK_MS + 1_000);
    expect(bot.store.runners()).toEqual([]);

    const everything = [botLog.text(), runnerLog.text()].join('\n');
    expect(everything).toContain('runner request refused');
    expect(everything).not.toContain(be01.secret);
  });

  it('a damaged registry file is logged without its secret and does not stop the other runners', async () => {
    const dataDir = await tempDataDir();
    const botLog = capturedLogger();
    const bot = await startBot(dataDir, botLog.logger);
    const be01 = await register(dataDir, 'backend01');
    const leaked = 'sEcReT-that-must-never-be-logged-0123456789';
    await writeFile(
      path.join(dataDir, RUNNER_REGISTRY_DIR, 'rn-damaged-00000000.json'),
      `{"id":"rn-damaged-00000000","server":"backend02","secret":"${leaked}`,
    );

    const damaged = clientFor(bot, { id: 'rn-damaged-00000000', secret: leaked });
    const refused = await damaged
      .heartbeat(heartbeat({ id: 'rn-damaged-00000000', server: 'backend02' }))
      .catch((e: unknown) => e);
    expect((refused as RunnerApiError).status).toBe(401);
    expect(await clientFor(bot, be01).heartbeat(heartbeat({ id: be01.id, server: 'backend01' }))).toEqual({
      cancel: [],
    });
    expect(bot.store.runners().map((r) => r.id)).toEqual([be01.id]);

    const warning = botLog
      .text()
      .split('\n')
      .find((line) => line.includes('rn-damaged-00000000.json'));
    expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 40, area: 'store' });
    expect(warning).toMatch(/is not valid JSON; it is skipped/);
    expect(botLog.text()).not.toContain(leaked);
    expect(botLog.text()).not.toContain(be01.secret);
  });
});
