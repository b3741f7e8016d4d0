import path from 'node:path';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startLabFleet, type LabFleet } from './lab/lab-fleet.js';
import { defaultLabEngine, describeLabEngine, LAB_FLEET, type LabEngine } from './lab/servers.js';
import { seedLabCatalog } from './fleet/lab-seed.js';
import { PlaygroundStartError, startPlayground, type RunningPlayground } from './lab/playground.js';
import { runActivePassive, type Serving } from './ha/active-passive.js';
import { createLogger, type Logger } from './log.js';

/**
 * `npm start`. With Bot Framework credentials: the production bot. Without (lab mode): the bot,
 * one runner per simulated server and the Agents Playground, all on this machine. With
 * PATCHBOT_DATABASE_URL: one of several instances on a shared PostgreSQL store; it serves only
 * while it leads (src/ha/), and exits 75 the moment it stops leading (the service manager starts
 * it again, as a standby), or 69 when the database cannot be reached at start.
 */
async function main(): Promise<number> {
  // Whatever this process creates (the store's files are private by their own modes; this also
  // covers anything else, such as a log file a service manager does not create itself) is for
  // this account only. No effect on Windows, where the data folder's ACL does this.
  if (process.platform !== 'win32') process.umask(0o077);
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 78;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const stopRequested = stopSignal(logger);
  try {
    if (config.databaseUrl) {
      // Active/passive: this instance serves only while it holds the database's leader lock.
      return await runActivePassive({
        databaseUrl: config.databaseUrl,
        host: config.host,
        port: config.port,
        retryMs: config.haRetryMs,
        logger,
        stopRequested,
        lead: (port) => serve({ ...config, port }, logger),
        exit: (code) => process.exit(code),
        printError: (line) => console.error(line),
      });
    }
    const serving = await serve(config, logger);
    if (!stopRequested.aborted)
      await new Promise((resolve) => stopRequested.addEventListener('abort', resolve, { once: true }));
    await serving.stop();
    return 0;
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    console.error(error.message);
    return 1;
  }
}

/** A start-up failure whose message says what to do: printed without a stack. */
class StartError extends Error {}

/**
 * The bot, and in lab mode the simulated fleet and the Agents Playground. With a database
 * (PATCHBOT_DATABASE_URL) this runs only in the leader, so in lab mode the fleet and the
 * Playground move with the leadership: a standby starts them when it takes over.
 */
async function serve(config: Config, logger: Logger): Promise<Serving> {
  let app: App;
  try {
    app = await createApp(config, logger);
  } catch (error) {
    throw new StartError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  logger.info({ url: app.url, lab: config.lab }, 'patch bot listening');
  if (!config.lab) return { stop: () => app.stop() };

  const labDir = path.resolve(config.dataDir, '..');
  // Each simulated server's target package goes into the catalog, so lab runs need no `package add`.
  await seedLabCatalog(
    app.store,
    LAB_FLEET.map((spec) => ({ product: spec.profile.product, package: spec.profile.package })),
  );
  const fleet: LabFleet = await startLabFleet({
    botUrl: app.url,
    store: app.store,
    dir: labDir,
    logger,
    timeScale: config.labTimeScale,
    // Real pwsh with the real PatchBot.psm1 where it is installed, else the TypeScript stand-in.
    engine: defaultLabEngine(),
  });
  let playground: RunningPlayground;
  try {
    playground = await startPlayground({
      botEndpoint: `${app.url}/api/messages`,
      port: config.playgroundPort,
      dataDir: path.join(labDir, 'playground'),
      logger,
    });
  } catch (error) {
    await fleet.stop();
    await app.stop();
    // A taken PLAYGROUND_PORT and the like: the message says what to do, no stack needed.
    if (error instanceof PlaygroundStartError) throw new StartError(error.message, { cause: error });
    throw error;
  }
  printLabBanner(playground.url, config, fleet.engine);
  return {
    stop: async () => {
      await playground.stop();
      await fleet.stop();
      await app.stop();
    },
  };
}

function printLabBanner(url: string, config: Config, engine: LabEngine): void {
  console.log(
    [
      '',
      'Patch bot lab mode: the servers below are SIMULATED (no real Lync/Skype for Business server is touched).',
      '  backend01  Skype for Business Server 2019, Standard Edition',
      '  be01       Skype for Business Server 2019, Enterprise Edition, SQL sql01.contoso.local',
      '  lyncbe01   Lync Server 2013, Enterprise Edition, collocated databases',
      `PowerShell on them: ${describeLabEngine(engine)}.`,
      '',
      `Open ${url} and type:  update backend01 standard`,
      `(simulated durations x${config.labTimeScale}; Ctrl-C stops everything)`,
      '',
    ].join('\n'),
  );
}

/** Aborted by the first SIGINT or SIGTERM. */
function stopSignal(logger: Logger): AbortSignal {
  const controller = new AbortController();
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    controller.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return controller.signal;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
