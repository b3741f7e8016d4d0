/**
 * The bot as `npm start` runs it (src/main.ts: loadConfig, createApp), minus the Agents
 * Playground, in a process of its own so the reliability tests can SIGKILL and restart it.
 * Configured by the usual environment variables plus RELIABILITY_BOT (JSON, BotExtras below):
 * runners to register, the sweep interval, and optionally an in-process lab fleet. Prints one
 * JSON line {"reliability":"ready","url":...} on stdout once it listens.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createApp, type App } from '../../../src/app.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { startLabFleet, type LabFleet } from '../../../src/lab/lab-fleet.js';
import { seedLabCatalog } from '../../../src/fleet/lab-seed.js';
import { LAB_FLEET, type LabServerSpec } from '../../../src/lab/servers.js';
import { createLogger } from '../../../src/log.js';
import { LowdbStore } from '../../../src/store/lowdb-store.js';
import type { AuditEvent } from '../../../src/store/store.js';
import type { RunRecord } from '../../../src/store/types.js';

/**
 * A point where this bot process SIGKILLs itself, right after a store call has reached the disk:
 * 'appendAudit' after the step-result audit of `step`, 'saveRun' after the first save in which
 * `step` has a result. The crash is noted in `crashLog` (one line, written synchronously) first.
 */
export interface CrashPoint {
  name: string;
  after: 'appendAudit' | 'saveRun';
  step: string;
}

export interface BotExtras {
  crashPoints?: CrashPoint[];
  crashLog?: string;
  /** Runners registered in the store at start (runner processes of the test). */
  runners?: { id: string; server: string; secret: string }[];
  sweepIntervalMs?: number;
  /**
   * A file holding milliseconds to add to the bot's clock; read at start and on SIGUSR2, so a
   * test can let an hour pass at once (approval expiry).
   */
  clockFile?: string;
  /** Lab runners inside this process (startLabFleet), as lab mode has them. */
  fleet?: {
    dir: string;
    specs: LabServerSpec[];
    timeScale: number;
    heartbeatIntervalMs: number;
    /** The lab host to drive instead of src/lab/bin/lab-powershell (the compiled copy). */
    hostExecutable?: string;
  };
}

function armCrashPoints(points: CrashPoint[], crashLog: string): void {
  const settled = (run: RunRecord, step: string) =>
    run.steps.some((s) => s.stepId === step && !['pending', 'running'].includes(s.status));
  const matches: Record<CrashPoint['after'], (point: CrashPoint, arg: unknown) => boolean> = {
    appendAudit: (point, arg) =>
      (arg as AuditEvent).action === 'step-result' && (arg as AuditEvent).detail?.step === point.step,
    saveRun: (point, arg) => settled(arg as RunRecord, point.step),
  };
  const proto = LowdbStore.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['appendAudit', 'saveRun'] as const) {
    const original = proto[method]!;
    proto[method] = async function (this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      const point = points.find((p) => p.after === method && matches[method](p, args[0]));
      if (point) {
        appendFileSync(crashLog, `${point.name}\n`);
        process.kill(process.pid, 'SIGKILL');
      }
      return result;
    };
  }
}

async function main(): Promise<number> {
  const extras = JSON.parse(process.env.RELIABILITY_BOT ?? '{}') as BotExtras;
  if (extras.crashPoints?.length && extras.crashLog) armCrashPoints(extras.crashPoints, extras.crashLog);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  let clockOffsetMs = 0;
  const { clockFile } = extras;
  if (clockFile) {
    const readOffset = () => {
      clockOffsetMs = Number(readFileSync(clockFile, 'utf8').trim()) || 0;
    };
    readOffset();
    process.on('SIGUSR2', () => {
      readOffset();
      process.stdout.write(`${JSON.stringify({ reliability: 'clock', offsetMs: clockOffsetMs })}\n`);
    });
  }
  let app: App;
  try {
    app = await createApp(config, logger, {
      sweepIntervalMs: extras.sweepIntervalMs ?? 250,
      ...(clockFile ? { now: () => new Date(Date.now() + clockOffsetMs) } : {}),
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  for (const runner of extras.runners ?? []) {
    const known = app.store.getRunner(runner.id);
    if (known?.secret === runner.secret && known.server === runner.server) continue;
    await app.store.saveRunner({
      id: runner.id,
      server: runner.server,
      secret: runner.secret,
      createdAt: known?.createdAt ?? new Date().toISOString(),
      lastSeenAt: known?.lastSeenAt ?? null,
      info: known?.info ?? null,
    });
  }
  let fleet: LabFleet | undefined;
  if (extras.fleet) {
    const { hostExecutable } = extras.fleet;
    // As lab mode does at start: the lab runners take their packages from the bot's catalog.
    await seedLabCatalog(
      app.store,
      (extras.fleet.specs ?? LAB_FLEET).map((spec) => ({
        product: spec.profile.product,
        package: spec.profile.package,
      })),
    );
    fleet = await startLabFleet({
      botUrl: app.url,
      store: app.store,
      dir: extras.fleet.dir,
      logger,
      timeScale: extras.fleet.timeScale,
      specs: extras.fleet.specs,
      heartbeatIntervalMs: extras.fleet.heartbeatIntervalMs,
      serverOptions: () => (hostExecutable ? { hostExecutable } : {}),
    });
  }
  logger.info({ url: app.url, lab: config.lab }, 'patch bot listening');
  process.stdout.write(`${JSON.stringify({ reliability: 'ready', url: app.url, pid: process.pid })}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await fleet?.stop();
  await app.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
