import { existsSync } from 'node:fs';
import { createLogger, type Logger } from '../log.js';
import { assembleRunner } from './assemble.js';
import { loadRunnerConfig, RunnerConfigError, type RunnerConfig } from './config.js';
import { PATCHBOT_MODULE_PARTS_DIR, PATCHBOT_MODULE_PATH } from './shell-config.js';

/**
 * The runner service on a Lync Server 2013 / Skype for Business Server machine:
 * `node dist/runner/main.js` (after `npm run build`) or `npx tsx src/runner/main.ts`.
 * Configured by environment variables only (runner.env.example); Install-PatchRunner.ps1 runs it
 * as a Windows service. Exit codes: 0 stopped, 1 failed, 78 configuration error.
 */

const EXIT_CONFIG = 78;

async function main(): Promise<number> {
  let config: RunnerConfig;
  try {
    config = loadRunnerConfig({ argv: process.argv.slice(2) });
  } catch (error) {
    if (!(error instanceof RunnerConfigError)) throw error;
    console.error(error.message);
    return EXIT_CONFIG;
  }
  const logger = createLogger({ level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);
  if (!existsSync(PATCHBOT_MODULE_PATH)) {
    logger.fatal(
      { modulePath: PATCHBOT_MODULE_PATH },
      'PatchBot.psm1 is missing next to the runner; reinstall it',
    );
    return EXIT_CONFIG;
  }
  if (!existsSync(PATCHBOT_MODULE_PARTS_DIR)) {
    logger.fatal(
      { modulePartsDir: PATCHBOT_MODULE_PARTS_DIR },
      'The PatchBot folder (the parts of PatchBot.psm1) is missing next to the runner; reinstall it',
    );
    return EXIT_CONFIG;
  }

  const agent = await assembleRunner({
    botUrl: config.botUrl,
    runnerId: config.runnerId,
    secret: config.secret,
    version: config.version,
    profile: config.profile,
    packageSources: config.packageSources,
    factsIntervalMs: config.factsIntervalMs,
    shell: config.shell,
    journalDir: config.journalDir,
    logger,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  });
  await agent.start();
  logger.info(
    {
      runnerId: config.runnerId,
      server: config.profile.server,
      product: config.profile.product,
      package: config.profile.package
        ? `local override ${config.profile.package.version}`
        : `from the bot, sources ${config.packageSources.join(', ')}`,
      bot: config.botUrl,
      version: config.version,
      secretFrom: config.secretSource,
      journalDir: config.journalDir,
    },
    'runner started',
  );
  await stopSignal(logger);
  await agent.stop();
  return 0;
}

/**
 * Ctrl+C (SIGINT) is how NSSM asks a console program to stop; SIGBREAK is Ctrl+Break. A second
 * signal ends the process at once.
 */
function stopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let asked = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (asked) process.exit(130);
      asked = true;
      logger.info({ signal }, 'stopping: no new step starts; results are flushed');
      resolve();
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const) process.on(signal, onSignal);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`runner failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
