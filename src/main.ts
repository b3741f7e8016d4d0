import path from 'node:path';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startLabFleet, type LabFleet } from './lab/lab-fleet.js';
import { defaultLabEngine, describeLabEngine, LAB_FLEET, type LabEngine } from './lab/servers.js';
import { seedLabCatalog } from './fleet/lab-seed.js';
import { PlaygroundStartError, startPlayground, type RunningPlayground } from './lab/playground.js';
import { createLogger, type Logger } from './log.js';

/**
 * `npm start`. With Bot Framework credentials: the production bot. Without (lab mode): the bot,
 * one runner per simulated server and the Agents Playground, all on this machine.
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
  let app: App;
  try {
    app = await createApp(config, logger);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  logger.info({ url: app.url, lab: config.lab }, 'patch bot listening');

  let fleet: LabFleet | undefined;
  let playground: RunningPlayground | undefined;
  if (config.lab) {
    const labDir = path.resolve(config.dataDir, '..');
    // Each simulated server's target package goes into the catalog, so lab runs need no `package add`.
    await seedLabCatalog(
      app.store,
      LAB_FLEET.map((spec) => ({ product: spec.profile.product, package: spec.profile.package })),
    );
    fleet = await startLabFleet({
      botUrl: app.url,
      store: app.store,
      dir: labDir,
      logger,
      timeScale: config.labTimeScale,
      // Real pwsh with the real PatchBot.psm1 where it is installed, else the TypeScript stand-in.
      engine: defaultLabEngine(),
    });
    try {
      playground = await startPlayground({
        botEndpoint: `${app.url}/api/messages`,
        port: config.playgroundPort,
        dataDir: path.join(labDir, 'playground'),
        logger,
      });
    } catch (error) {
      // A taken PLAYGROUND_PORT and the like: the message says what to do, no stack needed.
      console.error(error instanceof PlaygroundStartError ? error.message : error);
      await fleet.stop();
      await app.stop();
      return 1;
    }
    printLabBanner(playground.url, config, fleet.engine);
  }

  await stopSignal(logger);
  await playground?.stop();
  await fleet?.stop();
  await app.stop();
  return 0;
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

function stopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
