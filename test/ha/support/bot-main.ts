/**
 * One bot instance of the fail-over tests, in a process of its own: loadConfig, then the same
 * active/passive path as src/main.ts (runActivePassive: standby server, leader lock, createApp only
 * once leading, exit 75 on losing the lock, 69 when the database is unreachable at start), with the
 * app as createApp builds it and no lab fleet or Playground (the runners are processes of the test).
 * Configured by the usual environment variables (PATCHBOT_DATABASE_URL, PATCHBOT_HA_RETRY_MS...)
 * plus HA_BOT (JSON, HaBotExtras). Prints {"ha":"leader","url":...,"pid":...} once it serves.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createApp } from '../../../src/app.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { runActivePassive } from '../../../src/ha/active-passive.js';
import { createLogger } from '../../../src/log.js';
import type { AuditEvent, Store } from '../../../src/store/store.js';
import type { RunRecord } from '../../../src/store/types.js';

/**
 * A step boundary where the leader SIGKILLs itself, right after a store call committed:
 * 'appendAudit' after the step-result audit of `step`, 'saveRun' after the first save in which
 * `step` has a result. Each point fires once across all instances (the crash log says which
 * fired), and only while another instance is a ready standby (the test keeps `standbyFile`
 * up to date), so every kill is a hand-over and not a cold start.
 */
export interface CrashPoint {
  name: string;
  after: 'appendAudit' | 'saveRun';
  step: string;
}

export interface HaBotExtras {
  crashPoints?: CrashPoint[];
  /** One JSON line per kill: {"name","at","pid"}, written synchronously before the SIGKILL. */
  crashLog?: string;
  /** Holds the number of ready standby instances, written by the test. */
  standbyFile?: string;
  /** Runners registered in the store once this instance leads (runner processes of the test). */
  runners?: { id: string; server: string; secret: string }[];
  sweepIntervalMs?: number;
}

function fired(crashLog: string): string[] {
  if (!existsSync(crashLog)) return [];
  return readFileSync(crashLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { name: string }).name);
}

async function standbyReady(file: string | undefined): Promise<void> {
  if (!file) return;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (existsSync(file) && Number(readFileSync(file, 'utf8').trim()) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Wraps the store's two methods on this instance (the services call them through the same
 * object), before anything else can use it: createApp has just returned, with no await since.
 */
function armCrashPoints(store: Store, extras: HaBotExtras): void {
  const points = extras.crashPoints ?? [];
  const crashLog = extras.crashLog;
  if (points.length === 0 || !crashLog) return;
  const settled = (run: RunRecord, step: string) =>
    run.steps.some((s) => s.stepId === step && !['pending', 'running'].includes(s.status));
  const matches: Record<CrashPoint['after'], (point: CrashPoint, arg: unknown) => boolean> = {
    appendAudit: (point, arg) =>
      (arg as AuditEvent).action === 'step-result' && (arg as AuditEvent).detail?.step === point.step,
    saveRun: (point, arg) => settled(arg as RunRecord, point.step),
  };
  const target = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['appendAudit', 'saveRun'] as const) {
    const original = target[method]!.bind(store);
    target[method] = async (...args: unknown[]) => {
      const result = await original(...args);
      const candidates = points.filter((p) => p.after === method && matches[method](p, args[0]));
      const done = candidates.length > 0 ? fired(crashLog) : [];
      const point = candidates.find((p) => !done.includes(p.name));
      if (point) {
        await standbyReady(extras.standbyFile);
        appendFileSync(
          crashLog,
          `${JSON.stringify({ name: point.name, at: Date.now(), pid: process.pid })}\n`,
        );
        process.kill(process.pid, 'SIGKILL');
      }
      return result;
    };
  }
}

async function main(): Promise<number> {
  const extras = JSON.parse(process.env.HA_BOT ?? '{}') as HaBotExtras;
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
  if (!config.databaseUrl) throw new Error('the fail-over tests need PATCHBOT_DATABASE_URL');
  const logger = createLogger({ level: config.logLevel });
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  return runActivePassive({
    databaseUrl: config.databaseUrl,
    host: config.host,
    port: config.port,
    retryMs: config.haRetryMs,
    logger,
    stopRequested: stop.signal,
    exit: (code) => process.exit(code),
    printError: (line) => process.stderr.write(`${line}\n`),
    lead: async (port) => {
      const app = await createApp({ ...config, port }, logger, {
        sweepIntervalMs: extras.sweepIntervalMs ?? 250,
      });
      armCrashPoints(app.store, extras);
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
      process.stdout.write(
        `${JSON.stringify({ ha: 'leader', url: app.url, pid: process.pid, at: Date.now() })}\n`,
      );
      return { stop: () => app.stop() };
    },
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
