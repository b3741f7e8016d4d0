/**
 * One runner agent in a process of its own, put together as src/runner/main.ts does it but
 * driving a SIMULATED server (the lab host) instead of powershell.exe, which the production
 * entry refuses. The secret is read from a file, as in production. Configured by
 * RELIABILITY_RUNNER (JSON, RunnerProcessConfig); logs JSON lines on stdout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import type { ServerProfile } from '../../../src/procedure/index.js';
import { RunnerAgent } from '../../../src/runner/agent.js';
import { BotClient } from '../../../src/runner/client.js';
import { Executor } from '../../../src/runner/executor.js';
import { Journal } from '../../../src/runner/journal.js';
import { OutputLog } from '../../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import type { ShellSpec } from '../../../src/runner/shell.js';

export interface RunnerProcessConfig {
  botUrl: string;
  runnerId: string;
  secretFile: string;
  profile: ServerProfile;
  shell: ShellSpec;
  journalDir: string;
  heartbeatIntervalMs: number;
  logLevel: string;
}

const config = JSON.parse(process.env.RELIABILITY_RUNNER ?? '{}') as RunnerProcessConfig;
const secret = readFileSync(config.secretFile, 'utf8').trim();
const logger = createLogger({ level: config.logLevel });
const journal = await Journal.open(join(config.journalDir, 'journal.json'), logger);
const agent = new RunnerAgent({
  client: new BotClient({
    baseUrl: config.botUrl,
    runnerId: config.runnerId,
    secret,
    logger,
    // Give up on a call fast: the agent's own backoff is what carries it through an outage.
    retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 200 },
    pollWaitMs: 2000,
    requestTimeoutMs: 3000,
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
  info: { runnerId: config.runnerId, version: '0.0.0-reliability', profile: config.profile },
  logger,
  heartbeatIntervalMs: config.heartbeatIntervalMs,
  backoff: { baseMs: 100, maxMs: 500 },
  stopGraceMs: 2000,
});
await agent.start();
process.stdout.write(`${JSON.stringify({ reliability: 'ready', runnerId: config.runnerId })}\n`);
const stop = () => {
  void agent.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
