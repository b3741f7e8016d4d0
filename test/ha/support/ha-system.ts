import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaptureConnector, type CaptureConnector } from '../../../src/lab/capture-connector.js';
import {
  createLabServer,
  type CreateLabServerOptions,
  type LabServer,
  type LabServerSpec,
} from '../../../src/lab/servers.js';
import type { RunRecord, RunStatus } from '../../../src/store/types.js';
import { cardActions, cardOf, cardText } from '../../support/card-reading.js';
import { channelThread, createTeamsClient, type TeamsClient } from '../../support/teams-client.js';
import {
  killAll,
  REPO_ROOT,
  spawnTs,
  type ChildExit,
  type TestProcess,
} from '../../reliability/support/processes.js';
import type { RunHandle } from '../../reliability/support/system.js';
import { compiledLabHost } from '../../runner/compiled-host.js';
import type { RunnerProcessConfig } from '../../reliability/support/runner-main.js';
import { startBalancer, type Balancer } from './balancer.js';
import type { CrashPoint, HaBotExtras } from './bot-main.js';
import { DbView } from './db-view.js';
import { freePorts } from './ports.js';

export type { RunHandle };

const BOT_ENTRY = join(REPO_ROOT, 'test/ha/support/bot-main.ts');
const RUNNER_ENTRY = join(REPO_ROOT, 'test/ha/support/runner-main.ts');
const STANDBY_LINE = 'standby: answering /readyz 503';

export type Role = 'starting' | 'standby' | 'leader' | 'gone';

/** One of the bot instances: a port, and the process currently started on it. */
export interface Instance {
  readonly slot: number;
  readonly port: number;
  process: TestProcess | null;
  role: Role;
  /** When the current process printed that it leads (epoch ms). */
  ledAt: number | null;
}

/** A process end the service manager saw, and restarted. */
export interface Exit extends ChildExit {
  slot: number;
  pid: number;
  at: number;
  role: Role;
}

/** A kill the test (not a crash point) made: SIGKILL to the leader's process group. */
export interface Kill {
  name: string;
  at: number;
  pid: number;
}

export interface SimulatedServer {
  name: string;
  lab: LabServer;
  runnerId: string;
  secret: string;
  secretFile: string;
  journalDir: string;
  runner: TestProcess | null;
}

export interface HaSystemOptions {
  name: string;
  databaseUrl: string;
  /** PATCHBOT_HA_RETRY_MS of every instance (default 500). */
  retryMs?: number;
  /** How long the service manager waits before starting an ended instance again (default 250 ms). */
  restartDelayMs?: number;
  /** The balancer's health-probe interval (default 250 ms). */
  probeMs?: number;
  crashPoints?: CrashPoint[];
  heartbeatIntervalMs?: number;
}

/**
 * Two bot instances on one database behind a health-probing balancer, as production runs them:
 * the Teams stand-in (capture connector + Teams client) and the runner processes only know the
 * balancer's URL. A small service manager starts every instance that ends again (as systemd's
 * Restart=always or App Service would), so a killed leader comes back as a standby.
 */
export class HaSystem {
  readonly servers = new Map<string, SimulatedServer>();
  readonly instances: Instance[];
  readonly exits: Exit[] = [];
  readonly kills: Kill[] = [];
  /** Every bot process started, in order. */
  readonly botProcesses: TestProcess[] = [];
  readonly teams: TeamsClient;
  readonly db: DbView;
  #supervising = false;
  #supervisor: Promise<void> | null = null;
  #hostExecutable = '';

  private constructor(
    readonly options: HaSystemOptions,
    readonly dir: string,
    readonly connector: CaptureConnector,
    readonly balancer: Balancer,
    ports: number[],
  ) {
    mkdirSync(this.logDir, { recursive: true });
    this.instances = ports.map((port, slot) => ({ slot, port, process: null, role: 'gone', ledAt: null }));
    this.teams = createTeamsClient({
      botEndpoint: `${balancer.url}/api/messages`,
      serviceUrl: connector.url,
    });
    this.db = new DbView(options.databaseUrl);
    this.#writeStandbys();
  }

  static async start(options: HaSystemOptions): Promise<HaSystem> {
    const dir = await mkdtemp(join(tmpdir(), `patchbot-ha-${options.name}-`));
    const connector = await startCaptureConnector({ teamsLimits: 'observe' });
    const ports = await freePorts(2);
    const balancer = await startBalancer({ backends: ports, probeMs: options.probeMs ?? 250 });
    const system = new HaSystem(options, dir, connector, balancer, ports);
    system.#hostExecutable = await compiledLabHost();
    return system;
  }

  get logDir(): string {
    return join(this.dir, 'logs');
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get crashLog(): string {
    return join(this.dir, 'crashes.jsonl');
  }

  get standbyFile(): string {
    return join(this.dir, 'standbys');
  }

  /** Crash points that fired, with when (epoch ms) and in which process. */
  crashes(): Kill[] {
    if (!existsSync(this.crashLog)) return [];
    return readFileSync(this.crashLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Kill);
  }

  /** Every kill so far, crash points and the test's own, in time order. */
  allKills(): Kill[] {
    return [...this.crashes(), ...this.kills].sort((a, b) => a.at - b.at);
  }

  addServer(spec: LabServerSpec, lab: Partial<CreateLabServerOptions> = {}): SimulatedServer {
    const name = spec.profile.server;
    const serverDir = join(this.dir, 'servers', name);
    const labServer = createLabServer(spec, {
      timeScale: 0.002,
      ...lab,
      dir: serverDir,
      hostExecutable: this.#hostExecutable,
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

  /** Starts the instance on `slot`; resolves once it is a standby or the leader. */
  async startInstance(slot: number, env: Record<string, string> = {}): Promise<TestProcess> {
    const instance = this.instances[slot]!;
    const extras: HaBotExtras = {
      runners: [...this.servers.values()].map((s) => ({ id: s.runnerId, server: s.name, secret: s.secret })),
      sweepIntervalMs: 250,
      crashPoints: this.options.crashPoints ?? [],
      crashLog: this.crashLog,
      standbyFile: this.standbyFile,
    };
    const bot = spawnTs({
      name: `bot${slot}`,
      entry: BOT_ENTRY,
      logDir: this.logDir,
      env: {
        PORT: String(instance.port),
        HOST: '127.0.0.1',
        PATCHBOT_DATA_DIR: this.dataDir,
        PATCHBOT_DATABASE_URL: this.options.databaseUrl,
        PATCHBOT_HA_RETRY_MS: String(this.options.retryMs ?? 500),
        LOG_LEVEL: 'debug',
        PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS: '20',
        PATCHBOT_LONG_POLL_SECONDS: '2',
        HA_BOT: JSON.stringify(extras),
        ...env,
      },
    });
    instance.process = bot;
    instance.role = 'starting';
    instance.ledAt = null;
    this.botProcesses.push(bot);
    const current = () => instance.process === bot;
    const leader = bot
      .waitForLine((line) => line.includes('"ha":"leader"'), 3_600_000)
      .then((line) => {
        if (!current()) return;
        instance.role = 'leader';
        instance.ledAt = (JSON.parse(line) as { at: number }).at;
        this.#writeStandbys();
      });
    const standby = bot
      .waitForLine((line) => line.includes(STANDBY_LINE), 3_600_000)
      .then(() => {
        if (current() && instance.role === 'starting') instance.role = 'standby';
        this.#writeStandbys();
      });
    leader.catch(() => undefined);
    standby.catch(() => undefined);
    await Promise.race([standby, leader, bot.exited]);
    return bot;
  }

  /** When the first instance that started leading after `at` did so (epoch ms; NaN if none). */
  ledAfter(at: number): number {
    const times = this.botProcesses
      .flatMap((p) => p.lines.filter((line) => line.includes('"ha":"leader"')))
      .map((line) => (JSON.parse(line) as { at: number }).at)
      .filter((t) => t > at);
    return times.length > 0 ? Math.min(...times) : Number.NaN;
  }

  /** The instance that leads now, if any. */
  leader(): Instance | undefined {
    return this.instances.find((i) => i.role === 'leader' && i.process?.alive);
  }

  async waitForLeader(timeoutMs = 60_000): Promise<Instance> {
    return waitUntil(() => this.leader(), timeoutMs, 'an instance to lead');
  }

  /** SIGKILL to the leader (and its process group), as a power cut would; noted in `kills`. */
  async killLeader(name: string): Promise<Kill | null> {
    const leader = this.leader();
    if (!leader?.process) return null;
    const kill: Kill = { name, at: Date.now(), pid: leader.process.pid };
    this.kills.push(kill);
    await leader.process.kill();
    return kill;
  }

  /** Whether an instance other than the leader is a ready standby. */
  standbyReady(): boolean {
    return this.instances.some((i) => i.role === 'standby' && i.process?.alive);
  }

  /**
   * The service manager: every instance that ends is started again after restartDelayMs, whatever
   * its exit code. Runs until close().
   */
  supervise(): void {
    if (this.#supervising) return;
    this.#supervising = true;
    this.#supervisor = (async () => {
      while (this.#supervising) {
        for (const instance of this.instances) {
          const proc = instance.process;
          if (!proc || proc.alive) continue;
          const exit = await proc.exited;
          this.exits.push({
            ...exit,
            slot: instance.slot,
            pid: proc.pid,
            at: Date.now(),
            role: instance.role,
          });
          instance.process = null;
          instance.role = 'gone';
          this.#writeStandbys();
          if (!this.#supervising) break;
          await new Promise((r) => setTimeout(r, this.options.restartDelayMs ?? 250));
          if (this.#supervising) void this.startInstance(instance.slot).catch(() => undefined);
        }
        this.#writeStandbys();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }

  #writeStandbys(): void {
    const ready = this.instances.filter((i) => i.role === 'standby' && i.process?.alive).length;
    writeFileSync(this.standbyFile, String(ready));
  }

  async startRunner(name: string): Promise<TestProcess> {
    const server = this.server(name);
    const config: RunnerProcessConfig = {
      botUrl: this.balancer.url,
      runnerId: server.runnerId,
      secretFile: server.secretFile,
      profile: server.lab.profile,
      shell: server.lab.shell,
      journalDir: server.journalDir,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1000,
      logLevel: 'debug',
    };
    const runner = spawnTs({
      name: `runner-${name}`,
      entry: RUNNER_ENTRY,
      logDir: this.logDir,
      env: { HA_RUNNER: JSON.stringify(config) },
    });
    server.runner = runner;
    await runner.waitForLine((line) => line.includes('"ha":"runner-ready"'), 60_000);
    return runner;
  }

  async waitForRunnersOnline(timeoutMs = 60_000): Promise<void> {
    const ids = [...this.servers.values()].map((s) => s.runnerId);
    await waitUntil(() => this.db.runnersOnline(ids), timeoutMs, 'every runner to report in', 200);
  }

  run(runId: number): Promise<RunRecord | undefined> {
    return this.db.run(runId);
  }

  async waitForRun(runId: number, statuses: readonly RunStatus[], timeoutMs: number): Promise<RunRecord> {
    return waitUntil(
      async () => {
        const run = await this.db.run(runId);
        return run && statuses.includes(run.status) ? run : undefined;
      },
      timeoutMs,
      `run #${runId} to become ${statuses.join(' or ')}`,
      200,
    );
  }

  /** `update <server> <edition>` in a new channel thread, then Confirm on the plan card. */
  async requestRun(server: string, edition: string, from = 'Alex'): Promise<RunHandle> {
    const user = this.teams.user(from);
    const post = await this.teams.postInChannel(`update ${server} ${edition}`, { from: user });
    if (post.status !== 200) throw new Error(`update answered ${post.status}`);
    const thread = (post.activity!.conversation as { id: string }).id;
    const target = channelThread(post.activity!.id);
    const plan = await waitUntil(
      () => this.connector.messages(thread).find((m) => cardActions(cardOf(m.activity)).length > 0),
      30_000,
      'the plan card',
    );
    const confirm = cardActions(cardOf(plan.activity)).find((a) => a.verb === 'plan.confirm');
    if (!confirm) throw new Error(`no Confirm on the plan card: ${cardText(cardOf(plan.activity))}`);
    const run: RunHandle = { runId: confirm.data.runId as number, thread, target, cardId: plan.id };
    const answer = await this.teams.pressCardButton({
      conversation: target,
      replyToId: plan.id,
      verb: 'plan.confirm',
      data: { runId: run.runId },
      from: user,
    });
    if (answer.status !== 200) throw new Error(`confirm answered ${answer.status}`);
    return run;
  }

  async close(): Promise<void> {
    this.#supervising = false;
    await this.#supervisor;
    for (const instance of this.instances) if (instance.process?.alive) await instance.process.stop(5_000);
    for (const server of this.servers.values()) if (server.runner?.alive) await server.runner.stop(5_000);
    await killAll();
    await this.balancer.close();
    await this.connector.close();
    await this.db.close();
    if (process.env.HA_KEEP !== '1') await rm(this.dir, { recursive: true, force: true });
  }
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
