import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunnerRecord } from '../src/store/store.js';

/**
 * A bot under test in its own process (so latency and CPU figures are the bot's own, not shared with
 * the load generator), spoken to over Node's IPC channel. The child is started with this process's
 * execArgv, i.e. with tsx's loader, and answers the requests in ChildRequest.
 */

export type ChildRequest =
  | { type: 'usage' }
  | { type: 'state' }
  /** A run from the hot file or the archive (undefined if unknown). */
  | { type: 'run'; runId: number }
  /** Registers runners through the bot's own store (as lab mode does), whatever its file layout. */
  | { type: 'register-runners'; runners: RunnerRecord[] }
  | { type: 'stop' };

export type ChildHandlers = {
  [K in ChildRequest['type']]: (request: Extract<ChildRequest, { type: K }>) => Promise<unknown>;
};

/** Resource use as the child measures it. */
export interface ProcessUsage {
  /** process.cpuUsage(): user + system, microseconds since the child started. */
  cpuMicros: number;
  /** process.hrtime, microseconds: the wall clock to divide CPU time by. */
  wallMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

export interface ChildReady {
  type: 'ready';
  url: string;
}

export interface ChildAnswer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface BotProcess {
  readonly url: string;
  readonly pid: number;
  call<T>(request: ChildRequest): Promise<T>;
  /** Asks the child to stop cleanly; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function benchFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Starts `entry` (a bench/*.ts child entry) with one JSON argument and waits for it to listen. */
export async function startBotProcess(
  entry: string,
  options: unknown,
  startTimeoutMs = 30_000,
): Promise<BotProcess> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every bot child there (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = fork(benchFile(entry), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, '--no-deprecation', ...profile],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values())
      waiter.reject(new Error(`${entry} exited (${code ?? signal}) before answering`));
    pending.clear();
  });
  child.on('message', (message: ChildAnswer | ChildReady) => {
    if ('id' in message) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error ?? 'child request failed'));
    }
  });
  const url = await waitUntilReady(child, entry, startTimeoutMs);
  return {
    url,
    pid: child.pid ?? -1,
    call: <T>(request: ChildRequest) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, ...request });
      }),
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        child.send({ id: nextId++, type: 'stop' });
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitUntilReady(child: ChildProcess, entry: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not report ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: ChildReady | ChildAnswer) => {
      if ('type' in message && message.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message.url);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} while starting`));
    });
  });
}

/** Child side: measures this process. */
function memory(): Pick<ProcessUsage, 'rssBytes' | 'heapUsedBytes' | 'heapTotalBytes' | 'externalBytes'> {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed, heapTotalBytes: heapTotal, externalBytes: external };
}

export function ownUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    wallMicros: Number(process.hrtime.bigint() / 1000n),
    ...memory(),
  };
}

/** Child side: announces the url, then answers requests until 'stop'. */
export function serveParent(url: string, handlers: ChildHandlers): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ChildRequest & { id: number }) => {
    const handler = handlers[message.type] as (request: ChildRequest) => Promise<unknown>;
    handler(message)
      .then((value) => {
        process.send?.({ id: message.id, ok: true, value } satisfies ChildAnswer);
        if (message.type === 'stop') process.exit(0);
      })
      .catch((error: unknown) => {
        process.send?.({ id: message.id, ok: false, error: String(error) } satisfies ChildAnswer);
        if (message.type === 'stop') process.exit(1);
      });
  });
  process.send?.({ type: 'ready', url } satisfies ChildReady);
}

/** CPU share (cores) and latest RSS between two usage readings of one process. */
export function cpuShare(before: ProcessUsage, after: ProcessUsage): number {
  return (after.cpuMicros - before.cpuMicros) / Math.max(1, after.wallMicros - before.wallMicros);
}
