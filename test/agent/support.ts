import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import restify from 'restify';
import { mountRunnerApi, type RunnerApi } from '../../src/bot/runner-api.js';
import type { RegisteredRunner, RunnerBackend } from '../../src/bot/runner-backend.js';
import {
  BACKEND01,
  createLabServer,
  type CreateLabServerOptions,
  type LabServer,
  type LabServerSpec,
} from '../../src/lab/servers.js';
import { silentLogger } from '../../src/log.js';
import { planUpdate, type Plan } from '../../src/procedure/index.js';
import type { Heartbeat, HeartbeatAnswer, Job, StepResult } from '../../src/protocol/messages.js';
import { resultKey } from '../../src/protocol/validate-messages.js';
import { RunnerAgent, type RunnerAgentOptions } from '../../src/runner/agent.js';
import { BotClient } from '../../src/runner/client.js';
import { Executor } from '../../src/runner/executor.js';
import { Journal } from '../../src/runner/journal.js';
import { OutputLog } from '../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';

/** Real time per simulated time: a 45-second download takes about 20 ms. */
export const TIME_SCALE = 0.0005;

export const RUNNER = {
  id: 'runner-backend01',
  secret: 'agent-test-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  server: BACKEND01.profile.server,
};

/**
 * An in-memory RunnerBackend that keeps the real Dispatcher's promises: a queued job is offered
 * on every poll until the runner shows it holds it (a heartbeat naming the run, or a result);
 * waiting polls wake the moment a job is queued; cancel requests ride on heartbeat answers.
 */
export class AgentTestBackend implements RunnerBackend {
  /** Accepted results in arrival order. */
  readonly results: StepResult[] = [];
  readonly duplicates: StepResult[] = [];
  readonly beats: Heartbeat[] = [];
  /** Beats and accepted results, interleaved as they arrived. */
  readonly events: Array<{ kind: 'beat' | 'result'; runId: number | null; stepId: string | null }> = [];
  readonly cancel = new Set<number>();
  /** Times a job was handed to a poll. */
  offers = 0;
  /** Offer jobs again even after the runner holds them (a bot that lost that fact). */
  keepOffering = false;
  onHeartbeat: (beat: Heartbeat) => void = () => undefined;
  readonly #jobs: Array<{ job: Job; held: boolean }> = [];
  readonly #waiters = new Set<() => void>();

  queue(job: Job): void {
    this.#jobs.push({ job, held: false });
    for (const wake of [...this.#waiters]) wake();
  }

  resultsFor(runId: number): StepResult[] {
    return this.results.filter((r) => r.runId === runId);
  }

  async findRunner(runnerId: string): Promise<RegisteredRunner | null> {
    return runnerId === RUNNER.id ? { secret: RUNNER.secret, server: RUNNER.server } : null;
  }

  async waitForJob(_runnerId: string, signal: AbortSignal): Promise<Job | null> {
    for (;;) {
      const entry = this.#jobs.find((j) => !j.held || this.keepOffering);
      if (entry) {
        this.offers++;
        return entry.job;
      }
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.add(done);
        signal.addEventListener('abort', done);
      });
    }
  }

  async acceptResult(_runnerId: string, result: StepResult): Promise<'accepted' | 'duplicate' | 'forbidden'> {
    const entry = this.#jobs.find((j) => j.job.runId === result.runId);
    if (!entry) return 'forbidden';
    entry.held = true;
    if (this.results.some((r) => resultKey(r) === resultKey(result))) {
      this.duplicates.push(result);
      return 'duplicate';
    }
    this.results.push(result);
    this.events.push({ kind: 'result', runId: result.runId, stepId: result.stepId });
    return 'accepted';
  }

  async heartbeat(_runnerId: string, beat: Heartbeat): Promise<HeartbeatAnswer | 'forbidden'> {
    const entry = beat.runId === null ? null : this.#jobs.find((j) => j.job.runId === beat.runId);
    if (beat.runId !== null && !entry) return 'forbidden';
    if (entry) entry.held = true;
    this.beats.push(beat);
    this.events.push({ kind: 'beat', runId: beat.runId, stepId: beat.stepId });
    this.onHeartbeat(beat);
    return { cancel: [...this.cancel] };
  }
}

export interface TestBot {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The real restify server and runner API over `backend`; `port` to come back on the same one. */
export async function startBot(backend: RunnerBackend, port = 0): Promise<TestBot> {
  const logger = silentLogger();
  const server = restify.createServer({ log: logger as unknown as restify.ServerOptions['log'] });
  const api: RunnerApi = mountRunnerApi(server, { backend, logger, longPollMs: 1000 });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    async close() {
      await api.shutdown();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const dirs: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbot-agent-'));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function newLab(
  dir: string,
  options: Partial<CreateLabServerOptions> = {},
  spec = BACKEND01,
): LabServer {
  return createLabServer(spec, { timeScale: TIME_SCALE, ...options, dir: join(dir, 'lab') });
}

export function planOf(spec: LabServerSpec = BACKEND01): Plan {
  const planned = planUpdate({ server: spec.profile.server, edition: spec.edition }, spec.profile);
  if (!planned.ok) throw new Error(planned.error.message);
  return planned.value;
}

export function jobOf(runId: number, spec: LabServerSpec = BACKEND01, attempt = 1): Job {
  return {
    runId,
    attempt,
    server: spec.profile.server,
    request: { server: spec.profile.server, edition: spec.edition },
    steps: planOf(spec).steps.map((s) => s.id),
    startIndex: 0,
  };
}

/** Options for a client that gives up fast, so the agent's own backoff is what is exercised. */
export const FAST_CLIENT = {
  retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 40 },
  pollWaitMs: 1000,
  requestTimeoutMs: 3000,
};

export interface TestAgent {
  agent: RunnerAgent;
  journal: Journal;
  journalFile: string;
}

/** A real agent: BotClient -> bot URL, Executor -> lab server, Journal -> `journalFile`. */
export async function startAgent(args: {
  botUrl: string;
  lab: LabServer;
  journalFile: string;
  agent?: Partial<RunnerAgentOptions>;
}): Promise<TestAgent> {
  const logger = silentLogger();
  const journal = await Journal.open(args.journalFile, logger);
  const agent = new RunnerAgent({
    client: new BotClient({
      baseUrl: args.botUrl,
      runnerId: RUNNER.id,
      secret: RUNNER.secret,
      logger,
      ...FAST_CLIENT,
    }),
    executor: new Executor({
      profile: args.lab.profile,
      shell: args.lab.shell,
      modulePath: PATCHBOT_MODULE_PATH,
      journal,
      outputLog: new OutputLog(join(args.journalFile, '..', 'output'), logger),
      logger,
      stepTimeoutMs: () => 20_000,
      sessionStartTimeoutMs: 20_000,
    }),
    journal,
    info: { runnerId: RUNNER.id, version: '0.0.0-test', profile: args.lab.profile },
    logger,
    heartbeatIntervalMs: 100,
    backoff: { baseMs: 20, maxMs: 200 },
    stopGraceMs: 1000,
    ...args.agent,
  });
  await agent.start();
  return { agent, journal, journalFile: args.journalFile };
}

export async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
