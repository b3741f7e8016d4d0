import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real child processes for the reliability suite: each is started in a process group of its own
 * (detached), so SIGKILL reaches it and everything it started (a runner's PowerShell stand-in)
 * at once, as a power cut would. Stdout and stderr go to log files the secrets test scans, and
 * are kept in memory for the readiness line. Every child started here is killed by killAll().
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TestProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Every stdout and stderr line so far. */
  readonly lines: readonly string[];
  readonly exited: Promise<ChildExit>;
  readonly alive: boolean;
  /** Resolves with the first line (from now on or already seen) the predicate accepts. */
  waitForLine(accept: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGKILL to the whole process group; resolves once the child is gone. */
  kill(): Promise<ChildExit>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<ChildExit>;
}

const running = new Set<TestProcess>();
let exitHookInstalled = false;

export interface SpawnOptions {
  name: string;
  /** A TypeScript entry, run with tsx. */
  entry: string;
  env: Record<string, string>;
  logDir: string;
}

export function spawnTs(options: SpawnOptions): TestProcess {
  installExitHook();
  const env: Record<string, string> = {};
  // Only what a process needs from the test's environment: no inherited bot or runner settings.
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS'])
    if (process.env[key] !== undefined) env[key] = process.env[key]!;
  const profile =
    process.env.RELIABILITY_PROFILE === options.name
      ? ['--cpu-prof', `--cpu-prof-dir=${options.logDir}`]
      : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', options.entry], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, NODE_NO_WARNINGS: '1', ...options.env },
  });
  const logFile = join(options.logDir, `${options.name}.${child.pid ?? 'x'}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let alive = true;
  const onData = (stream: 'out' | 'err') => {
    let partial = '';
    return (chunk: Buffer) => {
      log.write(chunk);
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(stream === 'err' ? `[stderr] ${line}` : line);
        for (const listener of listeners) listener(line);
      }
    };
  };
  child.stdout?.on('data', onData('out'));
  child.stderr?.on('data', onData('err'));
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      running.delete(handle);
      // Let the pipes drain into the log before it is closed.
      setTimeout(() => log.end(), 50);
      resolve({ code, signal });
    });
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (!alive || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const handle: TestProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    logFile,
    lines,
    exited,
    get alive() {
      return alive;
    },
    waitForLine(accept, timeoutMs) {
      const seen = lines.find(accept);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `${options.name}: no expected output within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`,
            ),
          );
        }, timeoutMs);
        const listener = (line: string) => {
          if (!accept(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        void exited.then(() => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`${options.name} exited; last lines:\n${lines.slice(-15).join('\n')}`));
        });
      });
    },
    async kill() {
      killGroup('SIGKILL');
      return exited;
    },
    async stop(graceMs = 5000) {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      // Whatever the process started and left behind (a PowerShell stand-in) goes too.
      killGroupQuietly(handle.pid);
      return exit;
    },
  };
  running.add(handle);
  return handle;
}

function killGroupQuietly(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing left.
  }
}

/** Kills every child this test file started that is still alive (and its process group). */
export async function killAll(): Promise<void> {
  const all = [...running];
  await Promise.all(all.map((p) => p.kill()));
  for (const p of all) killGroupQuietly(p.pid);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of running) killGroupQuietly(p.pid);
  });
}
