import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { assembleRunner, labRunnerSettings } from '../runner/assemble.js';
import type { RunnerAgent } from '../runner/agent.js';
import type { Store } from '../store/store.js';
import {
  createLabServer,
  LAB_FLEET,
  type CreateLabServerOptions,
  type LabEngine,
  type LabServer,
  type LabServerSpec,
} from './servers.js';

export interface LabFleet {
  /** What plays PowerShell on the servers (the banner says it). */
  engine: LabEngine;
  servers: LabServer[];
  agents: RunnerAgent[];
  stop(): Promise<void>;
}

export interface LabFleetOptions {
  botUrl: string;
  /** The bot's store: lab runners are registered in it directly (the bot owns the file). */
  store: Store;
  dir: string;
  logger: Logger;
  timeScale: number;
  specs?: readonly LabServerSpec[];
  heartbeatIntervalMs?: number;
  /** How often each runner reads its server's facts between jobs (the runner's default unless given). */
  factsIntervalMs?: number;
  /** 'stand-in' unless given; lab mode (src/main.ts) passes defaultLabEngine(). */
  engine?: LabEngine;
  serverOptions?: (spec: LabServerSpec) => Partial<CreateLabServerOptions>;
}

/**
 * Lab mode's stand-in for the data centre: one SIMULATED Lync/SfB server per spec (real pwsh
 * running the real PatchBot.psm1 over a fake Windows/Lync layer, or where there is no pwsh the
 * TypeScript stand-in, over a state file), each with a real runner agent that connects to the bot
 * over HTTP exactly as a production runner would.
 */
export async function startLabFleet(options: LabFleetOptions): Promise<LabFleet> {
  const engine = options.engine ?? 'stand-in';
  const servers: LabServer[] = [];
  const agents: RunnerAgent[] = [];
  for (const spec of options.specs ?? LAB_FLEET) {
    const name = spec.profile.server;
    const server = createLabServer(spec, {
      dir: join(options.dir, 'servers', name),
      timeScale: options.timeScale,
      engine,
      ...options.serverOptions?.(spec),
    });
    const runnerId = `rn-lab-${name}`;
    const secret = randomBytes(32).toString('base64url');
    const known = options.store.getRunner(runnerId);
    await options.store.saveRunner({
      id: runnerId,
      server: name,
      secret,
      createdAt: known?.createdAt ?? new Date().toISOString(),
      lastSeenAt: known?.lastSeenAt ?? null,
      info: known?.info ?? null,
    });
    const agent = await assembleRunner({
      botUrl: options.botUrl,
      runnerId,
      secret,
      version: 'lab',
      ...labRunnerSettings(server.profile),
      shell: server.shell,
      journalDir: join(options.dir, 'runners', name),
      logger: options.logger.child({ runner: runnerId }),
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2_000,
      ...(options.factsIntervalMs === undefined ? {} : { factsIntervalMs: options.factsIntervalMs }),
      backoff: { baseMs: 200, maxMs: 5_000 },
    });
    await agent.start();
    servers.push(server);
    agents.push(agent);
  }
  return {
    engine,
    servers,
    agents,
    stop: async () => {
      await Promise.allSettled(agents.map((a) => a.stop()));
    },
  };
}
