/**
 * Starts the Microsoft 365 Agents Playground (a local Teams-like web client) against a bot
 * endpoint, with the lab's mock tenant, and stops it again. Used by lab mode and the
 * end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { LAB_TENANT, renderTenantYaml, type PlaygroundTenant } from './playground-tenant.js';

export * from './playground-tenant.js';

export interface StartPlaygroundOptions {
  /** The bot's messaging endpoint, e.g. `http://127.0.0.1:3978/api/messages`. */
  botEndpoint: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  /** Where the tenant config and the playground's log file are written. */
  dataDir: string;
  logger: Logger;
  tenant?: PlaygroundTenant;
  /** How long to wait for the playground to listen and answer; default 20 s. */
  startTimeoutMs?: number;
}

export interface RunningPlayground {
  /** Base address of the web UI and of the REST/WebSocket APIs. */
  readonly url: string;
  readonly port: number;
  readonly tenant: PlaygroundTenant;
  readonly logFile: string;
  /** Stops the playground and everything it started; safe to call more than once. */
  stop(): Promise<void>;
}

export class PlaygroundStartError extends Error {
  override readonly name = 'PlaygroundStartError';
}

const LISTENING_LINE = /Listening on (\d+)/;
// With stdout not a terminal, the playground reports failures (a bad config file included)
// only in its log file, as lines starting with "error".
const LOG_ERROR_LINE = /^error\s/m;
const STOP_GRACE_MS = 3_000;

export function playgroundCliPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@microsoft/m365agentsplayground/cli.js');
}

export async function startPlayground(options: StartPlaygroundOptions): Promise<RunningPlayground> {
  const tenant = options.tenant ?? LAB_TENANT;
  const logger = options.logger.child({ component: 'playground' });
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const wanted = options.port ?? 0;
  // A port chosen on purpose is that port or nothing: the playground must not come up elsewhere
  // while the banner and the docs point at the chosen one.
  if (wanted !== 0) await ensurePortFree(wanted);
  await mkdir(options.dataDir, { recursive: true });
  const configFile = path.join(options.dataDir, 'playground-tenant.yml');
  const logFile = path.join(options.dataDir, 'playground.log');
  await writeFile(configFile, renderTenantYaml(tenant));
  await writeFile(logFile, '');

  const args = [
    playgroundCliPath(),
    'start',
    '--app-endpoint',
    options.botEndpoint,
    '--channel-id',
    'msteams',
    '--disable-telemetry',
    '--port',
    String(options.port ?? 0),
  ];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none',
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: configFile,
      M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() can end the playground together with its children.
    detached: true,
  });
  const stop = stopper(child, logger);
  const exitedEarly = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(
        new PlaygroundStartError(`The playground exited during start-up (code ${code}, signal ${signal})`),
      ),
    );
    child.once('error', (error) =>
      reject(new PlaygroundStartError(`Cannot run the playground: ${error.message}`)),
    );
  });
  exitedEarly.catch(() => undefined);

  try {
    const port = await Promise.race([
      listeningPort(child, logger),
      exitedEarly,
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new PlaygroundStartError(`The playground did not report a port within ${timeoutMs} ms`);
      }),
    ]);
    if (wanted !== 0 && port !== wanted)
      throw new PlaygroundStartError(
        `The playground came up on port ${port} instead of PLAYGROUND_PORT ${wanted}; stopped it. ` +
          `Free port ${wanted} or set PLAYGROUND_PORT to another port (0 = any free port).`,
      );
    const url = `http://127.0.0.1:${port}`;
    await Promise.race([waitForPing(url, timeoutMs), exitedEarly]);
    if ((await loggedErrors(logFile)).length > 0) {
      throw new PlaygroundStartError('The playground logged errors during start-up');
    }
    logger.info({ url, botEndpoint: options.botEndpoint }, 'playground ready');
    return { url, port, tenant, logFile, stop };
  } catch (error) {
    await stop();
    const reasons = await loggedErrors(logFile);
    if (error instanceof PlaygroundStartError && reasons.length > 0) {
      throw new PlaygroundStartError(`${error.message}\n${reasons.join('\n')}`);
    }
    throw error;
  }
}

/** Throws a PlaygroundStartError naming the port when another program listens on it. */
async function ensurePortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'is already in use by another program'
          : `cannot be used (${error.message})`;
      reject(
        new PlaygroundStartError(
          `PLAYGROUND_PORT ${port} ${why}. Stop that program or set PLAYGROUND_PORT to another port (0 = any free port).`,
        ),
      );
    });
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

function listeningPort(child: ChildProcess, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() !== '') logger.debug({ stream: 'stdout' }, line);
        const port = LISTENING_LINE.exec(line)?.[1];
        if (port !== undefined) resolve(Number(port));
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') logger.warn({ stream: 'stderr' }, line);
    });
  });
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/_debug/ping`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok && (await response.text()).includes('pong')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new PlaygroundStartError(`The playground at ${url} did not answer /_debug/ping`);
    await sleep(100);
  }
}

async function loggedErrors(logFile: string): Promise<string[]> {
  const logged = await readFile(logFile, 'utf8').catch(() => '');
  return logged.split('\n').filter((line) => LOG_ERROR_LINE.test(line));
}

function stopper(child: ChildProcess, logger: Logger): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  // A test runner that exits without calling stop() must not leave the playground behind.
  const killOnExit = (): void => killGroup('SIGKILL');
  process.once('exit', killOnExit);

  return () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      killGroup('SIGTERM');
      const stoppedInTime = await Promise.race([
        exited.then(() => true),
        sleep(STOP_GRACE_MS, undefined, { ref: false }).then(() => false),
      ]);
      // Children may outlive the main process; clean up the whole group either way.
      killGroup('SIGKILL');
      if (!stoppedInTime) await exited;
      child.stdout?.destroy();
      child.stderr?.destroy();
      logger.debug({ pid: child.pid, stoppedInTime }, 'playground stopped');
    })();
    return stopping;
  };
}
