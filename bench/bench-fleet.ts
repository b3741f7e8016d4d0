import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startCaptureConnector,
  type CaptureConnector,
  type TeamsLimitMode,
} from '../src/lab/capture-connector.js';
import type { Job } from '../src/protocol/messages.js';
import { createTeamsClient, type TeamsClient } from '../test/support/teams-client.js';
import { requestAndConfirm, type ChatRun } from './chat.js';
import { startBotProcess, type BotProcess } from './child-process.js';
import { FakeRunner } from './fake-runner.js';
import { runConcurrently } from './load.js';
import type { PatchBotProcessOptions, PatchBotState } from './patch-bot-process.js';
import { benchRunner, benchServerName } from './seed-store.js';
import { waitFor } from './stats.js';

/**
 * What benchmarks 2, 5 and 6 share: the patch bot in a child process with `runnerCount` runners
 * registered (with the profile they report), the capture connector as Teams, a Teams client, and one
 * FakeRunner (real signed transport, no PowerShell) per registered runner.
 */
export interface BenchFleet {
  connector: CaptureConnector;
  bot: BotProcess;
  teams: TeamsClient;
  runners: FakeRunner[];
  stop(): Promise<void>;
}

export interface ActiveRun {
  run: ChatRun;
  runner: FakeRunner;
  job: Job;
}

export async function startBenchFleet(options: {
  runnerCount: number;
  teamsLimits: TeamsLimitMode;
  pollWaitMs?: number;
  /** The PostgreSQL store in this (empty) database instead of the lowdb store in a temp folder. */
  databaseUrl?: string;
  /** Run the bot as `npm run start:prod` does (compiled, its node options): see child-process.ts. */
  production?: boolean;
}): Promise<BenchFleet> {
  const dir = await mkdtemp(path.join(tmpdir(), 'patchbot-bench-fleet-'));
  const connector = await startCaptureConnector({ teamsLimits: options.teamsLimits });
  const seeded = Array.from({ length: options.runnerCount }, (_, i) => benchRunner(benchServerName(i + 1)));
  const bot = await startBotProcess(
    'patch-bot-process.ts',
    {
      dataDir: path.join(dir, 'data'),
      env: {
        // The sweep would mark runs interrupted whose fake runner stays quiet between scripted beats.
        PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS: '600',
        ...(options.databaseUrl ? { PATCHBOT_DATABASE_URL: options.databaseUrl } : {}),
      },
    } satisfies PatchBotProcessOptions,
    { production: options.production },
  );
  await bot.call({ type: 'register-runners', runners: seeded.map((r) => r.record) });
  const runners = seeded.map((r) => new FakeRunner(bot.url, r, { pollWaitMs: options.pollWaitMs }));
  return {
    connector,
    bot,
    teams: createTeamsClient({ botEndpoint: `${bot.url}/api/messages`, serviceUrl: connector.url }),
    runners,
    stop: async () => {
      for (const runner of runners) runner.stop();
      await bot.stop();
      await connector.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a run on each runner's server the way an admin does (update + Confirm in its own channel
 * thread); the runner takes the job and says it is running (heartbeat naming the run).
 */
export async function startRunsViaChat(
  fleet: BenchFleet,
  runners: readonly FakeRunner[],
  concurrency = 4,
  budgetMs = 90_000,
): Promise<ActiveRun[]> {
  const started: ActiveRun[] = [];
  for (const runner of runners) runner.startPolling();
  const outcome = await runConcurrently(runners.length, concurrency, budgetMs, async (i) => {
    const runner = runners[i]!;
    const run = await requestAndConfirm(fleet.teams, fleet.connector, runner.server);
    const job = await runner.job(30_000);
    if (job.runId !== run.runId)
      throw new Error(`${runner.server}: got job ${job.runId}, expected ${run.runId}`);
    await runner.heartbeat(job.runId, null);
    started.push({ run, runner, job });
  });
  if (outcome.timedOut) throw new Error(`only ${started.length} of ${runners.length} runs started in time`);
  return started;
}

/** Waits until the bot's outbox is empty (every queued Teams message delivered). */
export async function outboxDrained(bot: BotProcess, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => (await bot.call<PatchBotState>({ type: 'state' })).outbox === 0,
    timeoutMs,
    'the outbox to drain',
    50,
  );
}
