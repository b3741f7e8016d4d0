/**
 * The real patch bot exactly as lab mode (src/main.ts) starts it: the composition root
 * (createApp), one runner agent per SIMULATED server (startLabFleet) and the Agents Playground
 * pointed at the bot, plus headless Chromium showing the playground. One per test file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { startLabFleet, type LabFleet } from '../../../src/lab/lab-fleet.js';
import { silentLogger } from '../../../src/log.js';
import type { RunRecord } from '../../../src/store/types.js';
import { startPlaygroundHarness, type PlaygroundHarness } from './playground-harness.js';
import { seedLabCatalog } from '../../bot/lab-catalog.js';

export interface PatchBotLabOptions {
  /** Extra bot environment, e.g. PATCHBOT_APPROVALS_REQUIRED; PORT, data dir and log level are set. */
  env?: Record<string, string>;
  /** Simulated durations times this; small keeps a whole run to a few seconds. */
  timeScale?: number;
  /** Start Chromium and open the playground in it; default true. */
  browser?: boolean;
}

export interface PatchBotLab {
  readonly app: App;
  readonly fleet: LabFleet;
  readonly harness: PlaygroundHarness;
  /** Stops Chromium, the playground, the runners (and their lab shells) and the bot; removes temp files. */
  stop(): Promise<void>;
}

const RUNNERS_READY_TIMEOUT_MS = 15_000;
/**
 * How long to wait for the page to show what the bot sent. The page re-renders every card of a
 * run as it changes; with other test runs sharing the two cores that can take many seconds.
 */
export const UI_TIMEOUT_MS = 20_000;

export async function startPatchBotLab(options: PatchBotLabOptions = {}): Promise<PatchBotLab> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchbot-e2e-'));
  // A step still running when the runners stop goes on writing its server's state for a moment.
  const cleanups: (() => Promise<void> | void)[] = [
    () => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }),
  ];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const config = loadConfig({
      PORT: '0',
      PATCHBOT_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'silent',
      ...options.env,
    });
    const app = await createApp(config, silentLogger(), { sweepIntervalMs: 200 });
    cleanups.push(() => app.stop());
    // As lab mode does at start: the lab runners take their packages from the bot's catalog.
    await seedLabCatalog(app.store);
    const fleet = await startLabFleet({
      botUrl: app.url,
      store: app.store,
      dir,
      logger: silentLogger(),
      timeScale: options.timeScale ?? 0.0005,
      heartbeatIntervalMs: 200,
    });
    cleanups.push(() => fleet.stop());
    await waitUntil(
      () => app.store.runners().every((runner) => runner.info !== null),
      RUNNERS_READY_TIMEOUT_MS,
      'every lab runner to report in',
    );
    const harness = await startPlaygroundHarness({
      botEndpoint: `${app.url}/api/messages`,
      ...(options.browser === undefined ? {} : { browser: options.browser }),
    });
    cleanups.push(() => harness.stop());
    return { app, fleet, harness, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves with the probe's first truthy value; polls every 50 ms. */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const FINISHED = new Set<RunRecord['status']>(['succeeded', 'failed', 'cancelled', 'aborted', 'interrupted']);

/** Waits until the run has ended one way or another, and returns it. */
export function waitForRunToFinish(app: App, runId: number, timeoutMs = 45_000): Promise<RunRecord> {
  return waitUntil(
    async () => {
      const run = await app.store.findRun(runId);
      return run !== undefined && FINISHED.has(run.status) ? run : undefined;
    },
    timeoutMs,
    `run #${runId} to finish`,
  );
}

/** Waits until the bot has delivered everything it queued for Teams (step replies, card updates). */
export async function waitForOutboxToDrain(app: App, timeoutMs = 15_000): Promise<void> {
  await app.notifier.idle();
  await waitUntil(() => app.store.outbox().length === 0, timeoutMs, 'the bot outbox to drain');
}
