import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { ServerProfile } from '../procedure/index.js';
import { RunnerAgent } from './agent.js';
import { BotClient } from './client.js';
import { Executor } from './executor.js';
import { Journal } from './journal.js';
import { OutputLog } from './output.js';
import type { ShellSpec } from './shell.js';
import { PATCHBOT_MODULE_PATH } from './shell-config.js';

export interface RunnerParts {
  botUrl: string;
  runnerId: string;
  secret: string;
  version: string;
  profile: ServerProfile;
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
  return new RunnerAgent({
    client: new BotClient({ baseUrl: parts.botUrl, runnerId: parts.runnerId, secret: parts.secret, logger }),
    executor: new Executor({
      profile: parts.profile,
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
  });
}
