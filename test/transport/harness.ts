import { Writable } from 'node:stream';
import restify from 'restify';
import {
  mountRunnerApi,
  type RefusalEvent,
  type RunnerApi,
  type RunnerApiOptions,
} from '../../src/bot/runner-api.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import type { ServerProfile } from '../../src/procedure/index.js';
import type { Heartbeat, Job, StepResult } from '../../src/protocol/messages.js';
import { signRequest } from '../../src/protocol/signing.js';
import { BotClient, type BotClientOptions } from '../../src/runner/client.js';
import { FakeBackend } from './fake-backend.js';

export const RUNNER_A = {
  id: 'runner-a',
  secret: 'sEcReT-of-runner-a-5f0c1d2e3b4a69788796a5b4c3d2e1f0',
  server: 'backend01',
};
export const RUNNER_B = {
  id: 'runner-b',
  secret: 'sEcReT-of-runner-b-0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  server: 'backend02',
};

export function profile(server: string): ServerProfile {
  return {
    server,
    product: 'sfb2019',
    edition: 'standard',
    package: {
      source: 'https://updates.contoso.local/cu/SkypeServerUpdateInstaller.exe',
      fileName: 'SkypeServerUpdateInstaller.exe',
      sha256: 'B'.repeat(64),
      version: '7.0.2046.530',
    },
    stagingDir: 'C:\\PatchBot\\staging',
    minFreeGb: 10,
  };
}

export function job(runId: number, server = RUNNER_A.server): Job {
  return {
    runId,
    attempt: 1,
    server,
    request: { server, edition: 'standard' },
    steps: ['precheck.role', 'services.stop', 'services.start'],
    startIndex: 0,
  };
}

export function stepResult(runId: number, overrides: Partial<StepResult> = {}): StepResult {
  return {
    runId,
    attempt: 1,
    stepId: 'precheck.role',
    index: 0,
    status: 'succeeded',
    startedAt: '2025-01-01T10:00:00.000Z',
    endedAt: '2025-01-01T10:00:02.500Z',
    durationMs: 2500,
    exitCode: 0,
    stdout: 'CsAdministrator: yes',
    stderr: '',
    truncated: false,
    errorExcerpt: null,
    ...overrides,
  };
}

export function heartbeat(runner: { id: string; server: string }, runId: number | null = null): Heartbeat {
  return {
    info: { runnerId: runner.id, version: '0.1.0', profile: profile(runner.server) },
    runId,
    stepId: runId === null ? null : 'precheck.role',
  };
}

/** A pino logger that writes into memory, so tests can read every line that was logged. */
export function capturedLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level: 'trace', destination: sink }), text: () => chunks.join('') };
}

export interface TestBot {
  url: string;
  backend: FakeBackend;
  api: RunnerApi;
  refusals: RefusalEvent[];
  close(): Promise<void>;
}

export async function startBot(
  options: {
    logger?: Logger;
    api?: Partial<RunnerApiOptions>;
    globalBodyParser?: boolean;
    /** Runs before routing: lets a test play a flaky proxy in front of the real API. */
    before?: restify.RequestHandler;
  } = {},
): Promise<TestBot> {
  const logger = options.logger ?? silentLogger();
  const backend = new FakeBackend()
    .register(RUNNER_A.id, RUNNER_A.secret, RUNNER_A.server)
    .register(RUNNER_B.id, RUNNER_B.secret, RUNNER_B.server);
  // restify 11 logs through pino; @types/restify still describes restify 8's bunyan logger.
  const server = restify.createServer({ log: logger as unknown as restify.ServerOptions['log'] });
  if (options.before) server.pre(options.before);
  if (options.globalBodyParser) server.use(restify.plugins.bodyParser());
  const refusals: RefusalEvent[] = [];
  const api = mountRunnerApi(server, {
    backend,
    logger,
    onRefusal: (event) => refusals.push(event),
    ...options.api,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    backend,
    api,
    refusals,
    async close() {
      await api.shutdown();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function clientFor(
  bot: { url: string },
  runner: { id: string; secret: string },
  options: Partial<BotClientOptions> = {},
): BotClient {
  return new BotClient({
    baseUrl: bot.url,
    runnerId: runner.id,
    secret: runner.secret,
    logger: silentLogger(),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
}

export interface RawPostOptions {
  runner?: { id: string; secret: string };
  /** What the signature covers; defaults to what is sent. */
  signMethod?: string;
  signPath?: string;
  signBody?: string;
  timestamp?: number;
  nonce?: string;
  /** Replace or remove (undefined) individual headers after signing. */
  headers?: Record<string, string | undefined>;
}

/** A hand-made signed request, for the hostile cases the real client never produces. */
export async function rawPost(
  bot: { url: string },
  path: string,
  body: string | Buffer,
  options: RawPostOptions = {},
) {
  const runner = options.runner ?? RUNNER_A;
  const signed = signRequest({
    runnerId: runner.id,
    secret: runner.secret,
    method: options.signMethod ?? 'POST',
    path: options.signPath ?? path,
    body: options.signBody ?? body,
    timestamp: options.timestamp,
    nonce: options.nonce,
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries({ ...signed, ...options.headers })) {
    if (value !== undefined) headers[name] = value;
  }
  const payload = typeof body === 'string' ? body : new Uint8Array(body);
  const response = await fetch(`${bot.url}${path}`, { method: 'POST', headers, body: payload });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? null : (JSON.parse(text) as unknown),
  };
}

export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
