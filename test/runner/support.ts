import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLabServer,
  type CreateLabServerOptions,
  type LabServer,
  type LabServerSpec,
} from '../../src/lab/servers.js';
import { silentLogger } from '../../src/log.js';
import { planUpdate, type Plan, type ServerProfile, type UpdateRequest } from '../../src/procedure/index.js';
import type { Job, StepResult } from '../../src/protocol/messages.js';
import { Executor, type ExecutorOptions, type RunHooks, type RunReport } from '../../src/runner/executor.js';
import { Journal } from '../../src/runner/journal.js';
import { OutputLog } from '../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import { compiledLabHost } from './compiled-host.js';

/** Real time per simulated time in tests: an 8-minute install takes 0.1 s. */
export const TEST_TIME_SCALE = 0.0002;

export interface Fixture {
  dir: string;
  lab: LabServer;
  journal: Journal;
  outputLog: OutputLog;
  executor: Executor;
  newExecutor(journal: Journal, extra?: Partial<ExecutorOptions>): Executor;
  cleanup(): Promise<void>;
}

const dirs: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbot-test-'));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A simulated server, a journal on a temp file and an executor wired to them. */
export async function fixture(
  spec: LabServerSpec,
  options: Partial<CreateLabServerOptions> & { executor?: Partial<ExecutorOptions> } = {},
): Promise<Fixture> {
  const dir = await tempDir();
  const { executor: executorOptions, ...labOptions } = options;
  const lab = createLabServer(spec, { timeScale: TEST_TIME_SCALE, ...labOptions, dir: join(dir, 'lab') });
  const logger = silentLogger();
  const journal = await Journal.open(join(dir, 'journal.json'), logger);
  const outputLog = new OutputLog(join(dir, 'logs'), logger);
  const shell = { ...lab.shell, executable: await compiledLabHost() };
  const newExecutor = (j: Journal, extra: Partial<ExecutorOptions> = {}) =>
    new Executor({
      profile: spec.profile,
      shell,
      modulePath: PATCHBOT_MODULE_PATH,
      journal: j,
      outputLog,
      logger,
      stepTimeoutMs: () => 15_000,
      sessionStartTimeoutMs: 20_000,
      ...executorOptions,
      ...extra,
    });
  return {
    dir,
    lab,
    journal,
    outputLog,
    executor: newExecutor(journal),
    newExecutor,
    cleanup: () => journal.close(),
  };
}

export function requestFor(spec: LabServerSpec, edition = spec.edition): UpdateRequest {
  return {
    server: spec.profile.server,
    edition,
    sqlServerFqdn: spec.sqlServerFqdn ?? undefined,
    collocated: spec.collocatedStores,
  };
}

export function planFor(profile: ServerProfile, request: UpdateRequest): Plan {
  const planned = planUpdate(request, profile);
  if (!planned.ok) throw new Error(planned.error.message);
  return planned.value;
}

let nextRunId = 1000;

/** A job exactly as the bot would send it for this request. */
export function jobFor(spec: LabServerSpec, overrides: Partial<Job> = {}, request = requestFor(spec)): Job {
  const plan = planFor(spec.profile, request);
  return {
    runId: nextRunId++,
    attempt: 1,
    server: spec.profile.server,
    request,
    steps: plan.steps.map((s) => s.id),
    startIndex: 0,
    ...overrides,
  };
}

/** Hooks that record what the executor reported, in order. */
export function recordingHooks(
  extra: RunHooks = {},
): RunHooks & { started: string[]; results: StepResult[] } {
  const started: string[] = [];
  const results: StepResult[] = [];
  return {
    started,
    results,
    onStepStarted: (step) => void started.push(step.id),
    onStepResult: (result) => void results.push(result),
    ...extra,
  };
}

export function lastResult(report: RunReport): StepResult {
  const result = report.results.at(-1);
  if (!result) throw new Error(`no results (outcome ${report.outcome}: ${report.error?.message ?? ''})`);
  return result;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Live stand-in PowerShell processes of one lab server (Linux: their command line names its state file). */
export function labProcesses(stateFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf-8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (args.includes('-LabState') && args.includes(stateFile)) pids.push(Number(entry));
  }
  return pids;
}
