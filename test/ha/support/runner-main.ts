/**
 * One runner agent in a process of its own for the fail-over tests: as
 * test/reliability/support/runner-main.ts (a SIMULATED server driven through node-powershell),
 * but with the production retry and backoff (BotClient's DEFAULT_RETRY, the agent's default
 * backoff), since how fast a runner finds the new leader is part of what these tests measure.
 * Only the long poll is shorter than production's 25 s. Configured by HA_RUNNER (JSON).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import { RunnerAgent } from '../../../src/runner/agent.js';
import { BotClient } from '../../../src/runner/client.js';
import { Executor } from '../../../src/runner/executor.js';
import { Journal } from '../../../src/runner/journal.js';
import { OutputLog } from '../../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import type { RunnerProcessConfig } from '../../reliability/support/runner-main.js';

const config = JSON.parse(process.env.HA_RUNNER ?? '{}') as RunnerProcessConfig;
const secret = readFileSync(config.secretFile, 'utf8').trim();
const logger = createLogger({ level: config.logLevel });
const journal = await Journal.open(join(config.journalDir, 'journal.json'), logger);
const agent = new RunnerAgent({
  client: new BotClient({
    baseUrl: config.botUrl,
    runnerId: config.runnerId,
    secret,
    logger,
    pollWaitMs: 2000,
  }),
  executor: new Executor({
    profile: config.profile,
    shell: config.shell,
    modulePath: PATCHBOT_MODULE_PATH,
    journal,
    outputLog: new OutputLog(join(config.journalDir, 'output'), logger),
    logger,
    sessionStartTimeoutMs: 30_000,
  }),
  journal,
  info: { runnerId: config.runnerId, version: '0.0.0-ha', profile: config.profile },
  logger,
  heartbeatIntervalMs: config.heartbeatIntervalMs,
  stopGraceMs: 2000,
});
await agent.start();
process.stdout.write(`${JSON.stringify({ ha: 'runner-ready', runnerId: config.runnerId })}\n`);
const stop = () => {
  void agent.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
