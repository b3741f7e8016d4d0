import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import type { RunnerRecord } from '../src/store/store.js';

/**
 * A bot under test in its own process (so latency and CPU figures are the bot's own, not shared with
 * the load generator), spoken to over Node's IPC channel; it answers the requests in ChildRequest.
 * By default the child runs under this process's execArgv, i.e. with tsx's loader. With
 * `production: true` it runs as `npm run start:prod` runs the bot: JavaScript compiled by tsc with
 * the project's compiler options, on plain node, with the node options and environment that
 * package.json's "start:prod" script gives (read from there, so the two cannot drift apart).
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
  /** Garbage collection pauses on the main thread since serveParent, microseconds (part of cpuMicros). */
  gcPauseMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** v8.getHeapSpaceStatistics(): per space (new_space, old_space, ...), committed and used bytes. */
  heapSpaces: Record<string, { sizeBytes: number; usedBytes: number }>;
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

export interface StartOptions {
  startTimeoutMs?: number;
  /** Compiled, on plain node, with start:prod's node options and environment (see above). */
  production?: boolean;
}

/** Starts `entry` (a bench/*.ts child entry) with one JSON argument and waits for it to listen. */
export async function startBotProcess(
  entry: string,
  options: unknown,
  { startTimeoutMs = 30_000, production = false }: StartOptions = {},
): Promise<BotProcess> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every bot child there (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const prod = production ? await productionLaunch() : undefined;
  const child = fork(prod ? await compiledEntry(entry) : benchFile(entry), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...(prod?.nodeOptions ?? process.execArgv), '--no-deprecation', ...profile],
    env: { ...process.env, ...prod?.env },
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

let gcPauseMs = 0;

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
    gcPauseMicros: Math.round(gcPauseMs * 1000),
    ...memory(),
    heapSpaces: Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .filter((space) => space.space_size > 0)
        .map((space) => [
          space.space_name,
          { sizeBytes: space.space_size, usedBytes: space.space_used_size },
        ]),
    ),
  };
}

/** Child side: announces the url, then answers requests until 'stop'. */
export function serveParent(url: string, handlers: ChildHandlers): void {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauseMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
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

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * What package.json's "start:prod" script gives the bot: its leading VAR=value assignments and the
 * node options between `node` and the entry script, e.g.
 * `NODE_ENV=production node --max-old-space-size=1024 dist/main.js`.
 */
export async function productionLaunch(): Promise<{ env: Record<string, string>; nodeOptions: string[] }> {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (pkg.scripts?.['start:prod'] ?? '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  let at = 0;
  for (; at < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at]!); at++) {
    const [name, ...value] = words[at]!.split('=');
    env[name!] = value.join('=');
  }
  if (words[at] !== 'node')
    throw new Error(`package.json "start:prod" does not run node (${pkg.scripts?.['start:prod']})`);
  const nodeOptions: string[] = [];
  for (at += 1; at < words.length && words[at]!.startsWith('--'); at++) nodeOptions.push(words[at]!);
  return { env, nodeOptions };
}

/**
 * Compiles bench/<entry> and what it imports (the bot's src/) with tsc and the project's compiler
 * options, as `npm run build` compiles src/, into dist/bench/ (git-ignored; incremental, so only
 * the first run pays the full compile). Returns the emitted JavaScript entry. Refuses a tree that
 * does not compile, as `npm run build` would.
 */
export async function compiledEntry(entry: string): Promise<string> {
  const outDir = path.join(ROOT, 'dist', 'bench');
  await mkdir(outDir, { recursive: true });
  const tsconfig = path.join(outDir, 'tsconfig.json');
  const config = {
    extends: '../../tsconfig.json',
    compilerOptions: {
      noEmit: false,
      rootDir: '../..',
      outDir: '.',
      incremental: true,
      tsBuildInfoFile: './tsconfig.tsbuildinfo',
    },
    files: [`../../bench/${entry}`],
    include: [],
  };
  await writeFile(tsconfig, `${JSON.stringify(config, null, 2)}\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/lib/tsc.js');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig], {
      cwd: ROOT,
      maxBuffer: 16 * 2 ** 20,
    });
  } catch (error) {
    const output = String((error as { stdout?: unknown }).stdout ?? error).trim();
    throw new Error(`tsc could not compile bench/${entry}: ${output.split('\n').slice(0, 5).join(' / ')}`);
  }
  const js = path.join(outDir, 'bench', entry.replace(/\.ts$/, '.js'));
  if (!existsSync(js)) throw new Error(`tsc wrote no ${path.relative(ROOT, js)}`);
  return js;
}
