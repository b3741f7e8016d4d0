import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { ServerProfile } from '../procedure/index.js';
import type { ReportedProfile } from '../protocol/messages.js';
import { RunnerAgent } from './agent.js';
import { BotClient } from './client.js';
import { Executor } from './executor.js';
import { ServerFactsReader } from './facts.js';
import { Journal } from './journal.js';
import { OutputLog } from './output.js';
import type { ShellSpec } from './shell.js';
import { PATCHBOT_MODULE_PATH } from './shell-config.js';

export interface RunnerParts {
  botUrl: string;
  runnerId: string;
  secret: string;
  version: string;
  /** Its package, when present, is the local override: the only one this runner installs. */
  profile: ReportedProfile;
  /** Allowed package source prefixes for the bot's packages (PATCHBOT_PACKAGE_SOURCES); none by default. */
  packageSources?: readonly string[];
  /** How often the server facts are read between jobs (default 60 min). */
  factsIntervalMs?: number;
  shell: ShellSpec;
  /** Folder of the local journal and the full step output logs. */
  journalDir: string;
  logger: Logger;
  heartbeatIntervalMs?: number;
  backoff?: { baseMs: number; maxMs: number };
}

/** Builds one runner (client + executor + journal + agent); the Windows service and lab mode share it. */
export async function assembleRunner(parts: RunnerParts): Promise<RunnerAgent> {
  const { logger } = parts;
  const journal = await Journal.open(join(parts.journalDir, 'journal.json'), logger);
  const facts = new ServerFactsReader({
    shell: parts.shell,
    modulePath: PATCHBOT_MODULE_PATH,
    product: parts.profile.product,
    stagingDir: parts.profile.stagingDir,
    logger: logger.child({ component: 'facts' }),
  });
  return new RunnerAgent({
    client: new BotClient({ baseUrl: parts.botUrl, runnerId: parts.runnerId, secret: parts.secret, logger }),
    executor: new Executor({
      profile: parts.profile,
      packagePolicy: { sources: parts.packageSources ?? [] },
      facts: () => facts.latest,
      shell: parts.shell,
      modulePath: PATCHBOT_MODULE_PATH,
      journal,
      outputLog: new OutputLog(join(parts.journalDir, 'output'), logger),
      logger,
    }),
    journal,
    info: { runnerId: parts.runnerId, version: parts.version, profile: parts.profile },
    logger,
    heartbeatIntervalMs: parts.heartbeatIntervalMs,
    backoff: parts.backoff,
    facts,
    factsIntervalMs: parts.factsIntervalMs,
  });
}

/** Where lab runners take packages from: the simulated update server, with no local override. */
export const LAB_PACKAGE_SOURCES: readonly string[] = ['https://updates.contoso.local/'];

/**
 * A lab server's runner settings: its profile without a package and the lab's package source, so
 * a package added to the bot's catalog reaches every lab runner untouched, as on a real fleet.
 */
export function labRunnerSettings(profile: ServerProfile): {
  profile: ReportedProfile;
  packageSources: readonly string[];
} {
  const { package: _ignored, ...withoutPackage } = profile;
  return { profile: withoutPackage, packageSources: LAB_PACKAGE_SOURCES };
}
