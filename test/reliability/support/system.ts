import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startCaptureConnector,
  type CaptureConnector,
  type CaptureConnectorOptions,
} from '../../../src/lab/capture-connector.js';
import {
  createLabServer,
  type CreateLabServerOptions,
  type LabServer,
  type LabServerSpec,
} from '../../../src/lab/servers.js';
import { signRequest } from '../../../src/protocol/signing.js';
import { journalFileOf } from '../../../src/store/hot-journal.js';
import { replayHotState } from '../../../src/store/hot-replay.js';
import { parseHotState, type HotState } from '../../../src/store/hot-state.js';
import type { AuditEvent } from '../../../src/store/store.js';
import type { RunRecord, RunStatus } from '../../../src/store/types.js';
import { cardActions, cardOf, cardText } from '../../support/card-reading.js';
import { compiledLabHost } from '../../runner/compiled-host.js';
import {
  channelThread,
  createTeamsClient,
  type ConversationTarget,
  type TeamsClient,
} from '../../support/teams-client.js';
import type { BotExtras } from './bot-main.js';
import { killAll, spawnTs, REPO_ROOT, type TestProcess } from './processes.js';
import type { RunnerProcessConfig } from './runner-main.js';

const BOT_ENTRY = join(REPO_ROOT, 'test/reliability/support/bot-main.ts');
const RUNNER_ENTRY = join(REPO_ROOT, 'test/reliability/support/runner-main.ts');

/** A SIMULATED server with its runner process. */
export interface SimulatedServer {
  name: string;
  lab: LabServer;
  runnerId: string;
  secret: string;
  secretFile: string;
  journalDir: string;
  runner: TestProcess | null;
}

export interface SystemOptions {
  /** Temp folder prefix. */
  name: string;
  heartbeatTimeoutSeconds?: number;
  /** Extra bot environment (policy, log level...). */
  env?: Record<string, string>;
  connector?: CaptureConnectorOptions;
  sweepIntervalMs?: number;
  /** Runner heartbeat interval. */
  heartbeatIntervalMs?: number;
  /** In-process lab fleet of the bot (load test); it lives in fleetDir. */
  fleet?: Omit<NonNullable<BotExtras['fleet']>, 'dir'>;
}

/** A run requested and confirmed in a channel thread, as an admin does it in Teams. */
export interface RunHandle {
  runId: number;
  /** The thread's conversation id (`<channel>;messageid=<root>`). */
  thread: string;
  target: ConversationTarget;
  /** The message that shows the run (plan card, then progress card). */
  cardId: string;
}

/**
 * One whole system for a reliability test: the capture connector (Teams' stand-in) and a Teams
 * client in this process; the bot and each runner in processes of their own, on 127.0.0.1.
 */
export class ReliabilitySystem {
  readonly servers = new Map<string, SimulatedServer>();
  /** Runners registered with the bot that no process runs: the test signs as them itself. */
  readonly extraRunners: { id: string; server: string; secret: string }[] = [];
  bot: TestProcess | null = null;
  /** Every bot process started, in order (the first plus each restart). */
  readonly botProcesses: TestProcess[] = [];
  port = 0;
  url = '';
  teams!: TeamsClient;
  hostExecutable = '';

  private constructor(
    readonly options: SystemOptions,
    readonly dir: string,
    readonly connector: CaptureConnector,
  ) {
    mkdirSync(this.logDir, { recursive: true });
  }

  static async start(options: SystemOptions): Promise<ReliabilitySystem> {
    const dir = await mkdtemp(join(tmpdir(), `patchbot-rel-${options.name}-`));
    const connector = await startCaptureConnector({ teamsLimits: 'observe', ...options.connector });
    const system = new ReliabilitySystem(options, dir, connector);
    system.hostExecutable = await compiledLabHost();
    return system;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The in-process lab fleet's servers and runner journals. */
  get fleetDir(): string {
    return join(this.dir, 'fleet');
  }

  get logDir(): string {
    return join(this.dir, 'logs');
  }

  /** Creates a SIMULATED server and its runner's registration (call before startBot). */
  addServer(spec: LabServerSpec, lab: Partial<CreateLabServerOptions> = {}): SimulatedServer {
    const name = spec.profile.server;
    const serverDir = join(this.dir, 'servers', name);
    const labServer = createLabServer(spec, {
      timeScale: 0.0002,
      ...lab,
      dir: serverDir,
      hostExecutable: this.hostExecutable,
    });
    const secret = randomBytes(32).toString('base64url');
    const secretFile = join(serverDir, 'runner.secret');
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
    const server: SimulatedServer = {
      name,
      lab: labServer,
      runnerId: `rn-${name}`,
      secret,
      secretFile,
      journalDir: join(serverDir, 'runner'),
      runner: null,
    };
    this.servers.set(name, server);
    return server;
  }

  server(name: string): SimulatedServer {
    const server = this.servers.get(name);
    if (!server) throw new Error(`no simulated server ${name}`);
    return server;
  }

  /** Starts the bot (on the port of the previous start, so runners find it again). */
  async startBot(extra: Partial<BotExtras> = {}): Promise<TestProcess> {
    const extras: BotExtras = {
      runners: [
        ...[...this.servers.values()].map((s) => ({ id: s.runnerId, server: s.name, secret: s.secret })),
        ...this.extraRunners,
      ],
      sweepIntervalMs: this.options.sweepIntervalMs ?? 200,
      fleet: this.options.fleet && { ...this.options.fleet, dir: this.fleetDir },
      ...extra,
    };
    const bot = spawnTs({
      name: 'bot',
      entry: BOT_ENTRY,
      logDir: this.logDir,
      env: {
        PORT: String(this.port),
        HOST: '127.0.0.1',
        PATCHBOT_DATA_DIR: this.dataDir,
        LOG_LEVEL: 'debug',
        PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS: String(this.options.heartbeatTimeoutSeconds ?? 5),
        PATCHBOT_LONG_POLL_SECONDS: '2',
        RELIABILITY_BOT: JSON.stringify(extras),
        ...this.options.env,
      },
    });
    this.bot = bot;
    this.botProcesses.push(bot);
    const ready = await bot.waitForLine((line) => line.includes('"reliability":"ready"'), 60_000);
    const { url } = JSON.parse(ready) as { url: string };
    this.url = url;
    this.port = Number(new URL(url).port);
    this.teams ??= createTeamsClient({ botEndpoint: `${url}/api/messages`, serviceUrl: this.connector.url });
    return bot;
  }

  async killBot(): Promise<void> {
    await this.bot?.kill();
    this.bot = null;
  }

  async startRunner(name: string): Promise<TestProcess> {
    const server = this.server(name);
    const config: RunnerProcessConfig = {
      botUrl: this.url,
      runnerId: server.runnerId,
      secretFile: server.secretFile,
      profile: server.lab.profile,
      shell: server.lab.shell,
      journalDir: server.journalDir,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 250,
      logLevel: 'debug',
    };
    const runner = spawnTs({
      name: `runner-${name}`,
      entry: RUNNER_ENTRY,
      logDir: this.logDir,
      env: { RELIABILITY_RUNNER: JSON.stringify(config) },
    });
    server.runner = runner;
    await runner.waitForLine((line) => line.includes('"reliability":"ready"'), 60_000);
    return runner;
  }

  async killRunner(name: string): Promise<void> {
    const server = this.server(name);
    await server.runner?.kill();
    server.runner = null;
  }

  /** POSTs `body` to the runner API, signed as a registered runner (or with the headers given). */
  async runnerCall(
    path: string,
    body: unknown,
    runner: { id: string; secret: string },
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const bytes = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body) ?? 'null');
    const signed = signRequest({
      runnerId: runner.id,
      secret: runner.secret,
      method: 'POST',
      path,
      body: bytes,
    });
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed, ...headers },
      body: new Uint8Array(bytes),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON.
    }
    return { status: response.status, body: parsed };
  }

  /**
   * The bot's hot state as it is on disk now: the hot file (written by temp file and rename, so
   * never half) with the deliveries its outbox log records since the hot file was last written.
   */
  state(): HotState | null {
    const file = join(this.dataDir, 'state.json');
    if (!existsSync(file)) return null;
    // state.json with its journal replayed: what a restart would read.
    const journal = journalFileOf(file);
    const state = replayHotState(
      readFileSync(file, 'utf8'),
      existsSync(journal) ? readFileSync(journal) : null,
      (text) => parseHotState(text, file),
      journal,
    ).state!;
    const log = join(this.dataDir, 'outbox.log');
    const delivered = existsSync(log)
      ? new Set([...readFileSync(log, 'utf8').matchAll(/^(\d+) done$/gm)].map((m) => Number(m[1])))
      : new Set<number>();
    state.outbox = state.outbox.filter((item) => !delivered.has(item.id));
    return state;
  }

  /** A run from the hot file or, once finished, the newest copy in the archive. */
  run(runId: number): RunRecord | undefined {
    const live = this.state()?.runs[String(runId)];
    if (live) return live;
    return readJsonl<RunRecord>(join(this.dataDir, 'archive'))
      .filter((r) => r.id === runId)
      .at(-1);
  }

  /** Several runs with one read of the hot file and the archive (for large stores). */
  runs(runIds: readonly number[]): (RunRecord | undefined)[] {
    const live = this.state()?.runs ?? {};
    const archived = new Map<number, RunRecord>();
    if (runIds.some((id) => !live[String(id)]))
      for (const run of readJsonl<RunRecord>(join(this.dataDir, 'archive'))) archived.set(run.id, run);
    return runIds.map((id) => live[String(id)] ?? archived.get(id));
  }

  audit(): AuditEvent[] {
    return readJsonl<AuditEvent>(join(this.dataDir, 'audit'));
  }

  async waitForRunnersOnline(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      () => {
        const state = this.state();
        return [...this.servers.values()].every((s) => state?.runners[s.runnerId]?.info);
      },
      timeoutMs,
      'every runner to report in',
    );
  }

  async waitForRun(runId: number, statuses: readonly RunStatus[], timeoutMs: number): Promise<RunRecord> {
    return waitUntil(
      () => {
        const run = this.run(runId);
        return run && statuses.includes(run.status) ? run : undefined;
      },
      timeoutMs,
      `run #${runId} to become ${statuses.join(' or ')} (is ${this.run(runId)?.status ?? 'unknown'})`,
    );
  }

  /** Waits until the bot's outbox is empty on disk: everything it had to say, Teams took. */
  async waitForOutboxDrained(timeoutMs = 20_000): Promise<void> {
    await waitUntil(() => this.state()?.outbox.length === 0, timeoutMs, 'the outbox to drain', 200);
  }

  /** `update <server> <edition>` (or `text`) posted in a new channel thread; the plan card is shown. */
  async planRun(
    server: string,
    edition: string,
    from = 'Alex',
    extra = '',
    text?: string,
  ): Promise<RunHandle> {
    const user = this.teams.user(from);
    const post = await this.teams.postInChannel(text ?? `update ${server} ${edition}${extra}`, {
      from: user,
    });
    if (post.status !== 200) throw new Error(`update answered ${post.status}`);
    const thread = (post.activity!.conversation as { id: string }).id;
    const target = channelThread(post.activity!.id);
    const plan = await waitUntil(
      () => this.connector.messages(thread).find((m) => cardActions(cardOf(m.activity)).length > 0),
      20_000,
      `the plan card (thread says: ${this.connector
        .messages(thread)
        .map((m) => String(m.activity.text ?? ''))
        .join(' / ')})`,
    );
    const confirm = cardActions(cardOf(plan.activity)).find((a) => a.verb === 'plan.confirm');
    if (!confirm) throw new Error(`no Confirm on the plan card: ${cardText(cardOf(plan.activity))}`);
    return { runId: confirm.data.runId as number, thread, target, cardId: plan.id };
  }

  /** Confirm on the plan card, as `from` (the requester, for it to count). */
  async confirm(run: RunHandle, from = 'Alex'): Promise<void> {
    const answer = await this.teams.pressCardButton({
      conversation: run.target,
      replyToId: run.cardId,
      verb: 'plan.confirm',
      data: { runId: run.runId },
      from: this.teams.user(from),
    });
    if (answer.status !== 200) throw new Error(`confirm answered ${answer.status}`);
  }

  /** `update <server> <edition>` posted in a new channel thread, then Confirm on the plan card. */
  async requestRun(server: string, edition: string, from = 'Alex', extra = ''): Promise<RunHandle> {
    const run = await this.planRun(server, edition, from, extra);
    await this.confirm(run, from);
    return run;
  }

  async close(): Promise<void> {
    // The bot gets to shut down properly (its runners stop with it); anything left is killed.
    if (this.bot?.alive) await this.bot.stop(5_000);
    await killAll();
    await this.connector.close();
    if (process.env.RELIABILITY_KEEP !== '1') await rm(this.dir, { recursive: true, force: true });
  }
}

export function readJsonl<T>(dir: string): T[] {
  if (!existsSync(dir)) return [];
  const out: T[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // A torn last line after a crash.
      }
    }
  }
  return out;
}

export async function waitUntil<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | null | false;
    try {
      value = await probe();
    } catch {
      value = undefined;
    }
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A step-result reply as the thread shows it: which step (1-based) and which attempt. */
export interface StepReply {
  messageId: string;
  step: number;
  attempt: number;
  heading: string;
}

/** The step-result replies the capture connector accepted in a thread (cards headed "Step n of N"). */
export function stepReplies(connector: CaptureConnector, thread: string, runCardId: string): StepReply[] {
  const replies: StepReply[] = [];
  for (const message of connector.messages(thread)) {
    if (message.id === runCardId) continue;
    const card = cardOf(message.activity);
    const body = (card?.body ?? []) as {
      type?: string;
      text?: string;
      facts?: { title: string; value: string }[];
    }[];
    const heading = body[0]?.text ?? '';
    const match = /Step (\d+) of \d+:/.exec(heading);
    if (!match || cardActions(card).length > 0 || /halted/.test(heading)) continue;
    const facts = body.find((b) => b.type === 'FactSet')?.facts ?? [];
    const attempt = Number(facts.find((f) => f.title === 'Attempt')?.value ?? '0');
    replies.push({ messageId: message.id, step: Number(match[1]), attempt, heading });
  }
  return replies;
}
