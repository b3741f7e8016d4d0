import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { silentLogger } from '../src/log.js';
import { LAB_FLEET, createLabServer, type LabEngine, type LabServer } from '../src/lab/servers.js';
import type { RunnerAgent } from '../src/runner/agent.js';
import { assembleRunner } from '../src/runner/assemble.js';
import type { RunnerRecord } from '../src/store/store.js';

/**
 * The lab fleet (src/lab/lab-fleet.ts) for a bot in another process: SIMULATED servers with real
 * runner agents (node-powershell driving the stand-in PowerShell host), for a bot whose store is
 * not in this process: the caller registers the records (child-process.ts 'register-runners').
 */
export interface LabRunners {
  servers: LabServer[];
  stop(): Promise<void>;
}

export interface LabRunnerSeed {
  record: RunnerRecord;
  server: LabServer;
}

/**
 * Creates the simulated servers and the runner records to register; no agent runs yet. The engine
 * is the stand-in unless told (real pwsh: the real PatchBot.psm1 over the lab's fake Windows layer).
 */
export function labRunnerSeeds(
  dir: string,
  timeScale: number,
  engine: LabEngine = 'stand-in',
): LabRunnerSeed[] {
  return LAB_FLEET.map((spec) => {
    const name = spec.profile.server;
    return {
      server: createLabServer(spec, { dir: path.join(dir, 'servers', name), timeScale, engine }),
      record: {
        id: `rn-lab-${name}`,
        server: name,
        secret: randomBytes(32).toString('base64url'),
        createdAt: new Date().toISOString(),
        lastSeenAt: null,
        info: null,
      },
    };
  });
}

export async function startLabRunners(
  botUrl: string,
  dir: string,
  seeds: LabRunnerSeed[],
): Promise<LabRunners> {
  const agents: RunnerAgent[] = [];
  for (const { record, server } of seeds) {
    const agent = await assembleRunner({
      botUrl,
      runnerId: record.id,
      secret: record.secret,
      version: 'lab',
      profile: server.profile,
      shell: server.shell,
      journalDir: path.join(dir, 'runners', record.server),
      logger: silentLogger(),
      heartbeatIntervalMs: 2_000,
      backoff: { baseMs: 200, maxMs: 5_000 },
    });
    await agent.start();
    agents.push(agent);
  }
  return {
    servers: seeds.map((s) => s.server),
    stop: async () => {
      await Promise.allSettled(agents.map((a) => a.stop()));
    },
  };
}
