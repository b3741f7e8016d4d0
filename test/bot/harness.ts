import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startCaptureConnector } from '../../src/lab/capture-connector.js';
import { startLabFleet, type LabFleet, type LabFleetOptions } from '../../src/lab/lab-fleet.js';
import { silentLogger } from '../../src/log.js';
import { createTeamsClient, type TeamsClient } from '../support/teams-client.js';
import { seedLabCatalog } from './lab-catalog.js';

export type Connector = Awaited<ReturnType<typeof startCaptureConnector>>;

export interface BotHarness {
  /** The running app; a new one after restart(). */
  readonly app: App;
  connector: Connector;
  teams: TeamsClient;
  fleet: LabFleet;
  dataDir: string;
  /**
   * Stops the bot and starts a fresh one (createApp) on the same data dir and the same port, so
   * the runner agents, which keep running, reconnect to it as they would after a real restart.
   * With `freshStore`, the new bot gets an empty data folder of its own (the runners, registered
   * in it again, keep their journals): a reset store, a move to another one.
   */
  restart(options?: { freshStore?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface BotHarnessOptions {
  /** The bot's clock (createApp's options.now); the runners keep real time. */
  now?: () => Date;
}

/** Real time plus an offset the test moves forward: expiries without waiting. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance: (ms) => {
      offsetMs += ms;
    },
  };
}

/**
 * The whole bot as in lab mode, over real HTTP on 127.0.0.1: the composition root (createApp),
 * real runner agents driving SIMULATED servers through node-powershell, and the capture
 * connector standing in for Teams' Bot Connector service.
 */
export async function startBotHarness(
  env: Record<string, string> = {},
  fleet: Partial<LabFleetOptions> = {},
  options: BotHarnessOptions = {},
): Promise<BotHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'patchbot-bot-'));
  const connector = await startCaptureConnector();
  let storeDir = path.join(dataDir, 'data');
  let stores = 0;
  const configOn = (port: string) =>
    loadConfig({
      PORT: port,
      PATCHBOT_DATA_DIR: storeDir,
      LOG_LEVEL: 'silent',
      ...env,
    });
  const appOptions = { sweepIntervalMs: 200, ...(options.now ? { now: options.now } : {}) };
  let app = await createApp(configOn('0'), silentLogger(), appOptions);
  // As lab mode does at start: the lab runners take their packages from the bot's catalog.
  await seedLabCatalog(app.store);
  const labFleet = await startLabFleet({
    botUrl: app.url,
    store: app.store,
    dir: dataDir,
    logger: silentLogger(),
    timeScale: 0.0002,
    heartbeatIntervalMs: 200,
    ...fleet,
  });
  const teams = createTeamsClient({ botEndpoint: `${app.url}/api/messages`, serviceUrl: connector.url });
  await waitUntil(() => app.store.runners().every((r) => r.info !== null), 10_000, 'runners to report in');
  return {
    get app() {
      return app;
    },
    connector,
    teams,
    fleet: labFleet,
    dataDir,
    restart: async (restartOptions = {}) => {
      const port = new URL(app.url).port;
      const runners = app.store.runners();
      await app.stop();
      if (restartOptions.freshStore) storeDir = path.join(dataDir, `data-${++stores}`);
      app = await createApp(configOn(port), silentLogger(), appOptions);
      if (restartOptions.freshStore) for (const runner of runners) await app.store.saveRunner(runner);
      if (restartOptions.freshStore) await seedLabCatalog(app.store);
    },
    stop: async () => {
      await labFleet.stop();
      await app.stop();
      await connector.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { cardActions, cardOf, cardText } from '../support/card-reading.js';
