/**
 * Child entry: the patch bot (createApp, the composition root) in a process of its own, in lab
 * mode (no JWT), with the lowdb store in `dataDir`, or the PostgreSQL store when `env` names
 * PATCHBOT_DATABASE_URL. Started by child-process.ts; prints nothing.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { ownUsage, serveParent } from './child-process.js';

export interface PatchBotProcessOptions {
  dataDir: string;
  /** Extra environment for loadConfig (policy, heartbeat timeout, long-poll seconds). */
  env?: Record<string, string>;
  sweepIntervalMs?: number;
}

export interface PatchBotState {
  outbox: number;
  /** Registered runners that have reported their server profile. */
  runnersReported: number;
  /** Size of the lowdb store's hot file (state.json); 0 on PostgreSQL, which has none. */
  hotFileBytes: number;
  liveRuns: {
    id: number;
    server: string;
    status: string;
    conversationId: string;
    cardActivityId: string | null;
  }[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as PatchBotProcessOptions;
const config = loadConfig({
  PORT: '0',
  PATCHBOT_DATA_DIR: options.dataDir,
  LOG_LEVEL: 'silent',
  ...options.env,
});
const app = await createApp(config, silentLogger(), { sweepIntervalMs: options.sweepIntervalMs });

serveParent(app.url, {
  usage: async () => ownUsage(),
  state: async (): Promise<PatchBotState> => ({
    outbox: app.store.outbox().length,
    runnersReported: app.store.runners().filter((r) => r.info !== null).length,
    hotFileBytes: config.databaseUrl ? 0 : (await stat(path.join(options.dataDir, 'state.json'))).size,
    liveRuns: app.store.liveRuns().map((run) => ({
      id: run.id,
      server: run.server,
      status: run.status,
      conversationId: run.conversationId,
      cardActivityId: run.cardActivityId,
    })),
  }),
  run: ({ runId }) => app.store.findRun(runId),
  'register-runners': async ({ runners }) => {
    for (const runner of runners) await app.store.saveRunner(runner);
  },
  stop: async () => {
    await app.notifier.idle();
    await app.stop();
  },
});
