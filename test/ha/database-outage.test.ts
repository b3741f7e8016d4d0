import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01 } from '../../src/lab/servers.js';
import { REPO_ROOT, spawnTs } from '../reliability/support/processes.js';
import { HaSystem, waitUntil } from './support/ha-system.js';
import { startPrivateCluster, type PrivateCluster } from './support/pg-control.js';
import { closedPort, freePorts } from './support/ports.js';
import { timedStepReplies } from './support/replies.js';

/**
 * The database itself fails: restarted under a running fail-over pair mid-run, and unreachable
 * when an instance starts. The restart runs on a cluster of this test's own (pg-control.ts), so
 * the other suites' connections to the shared test cluster are not cut.
 */

let system: HaSystem | undefined;
let cluster: PrivateCluster | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await system?.close();
  await cluster?.destroy();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('database outage', () => {
  it('restarted mid-run: the leader exits 75, an instance leads again once it is back, the run finishes whole', async () => {
    cluster = await startPrivateCluster();
    system = await HaSystem.start({ name: 'db-restart', databaseUrl: cluster.url, retryMs: 500 });
    const sys = system;
    // The installer runs 8 s: the database restarts while it runs, inside downtime.
    const server = sys.addServer(BACKEND01, {
      timeScale: 0.002,
      durationsMs: { 'Install-PatchBotUpdate': 4_000_000 },
    });
    await sys.startInstance(0);
    await sys.waitForLeader();
    await sys.startInstance(1);
    sys.supervise();
    await sys.startRunner('backend01');
    await sys.waitForRunnersOnline();
    const run = await sys.requestRun('backend01', 'standard');
    await waitUntil(
      async () =>
        (await sys.run(run.runId))?.steps.some(
          (s) => s.stepId === 'update.install' && s.status === 'running',
        ),
      60_000,
      'the installer step to start',
      100,
    );

    const leaderPid = sys.leader()!.process!.pid;
    const restartAt = Date.now();
    await cluster.restart();
    const backAt = Date.now();
    const final = await sys.waitForRun(run.runId, ['succeeded', 'failed', 'interrupted'], 120_000);
    await waitUntil(async () => (await sys.db.outbox()).length === 0, 30_000, 'the outbox to drain', 200);

    const leaderExit = sys.exits.find((e) => e.pid === leaderPid);
    const nextLeaderAt = sys.ledAfter(restartAt);
    const replies = timedStepReplies(sys.connector, run.thread, run.cardId);
    const perStep = new Map<number, typeof replies>();
    for (const r of replies) perStep.set(r.step, [...(perStep.get(r.step) ?? []), r]);
    const planSteps = final.plan.steps.length;
    const missing = [...Array(planSteps).keys()].map((i) => i + 1).filter((n) => !perStep.has(n));
    // Once, or twice with the second copy marked as a possible repeat (a send cut off by the exit).
    const badRepeats = [...perStep]
      .filter(([, copies]) => copies.length > 1)
      .filter(([, copies]) => copies.length !== 2 || copies.filter((c) => c.labelled).length !== 1)
      .map(([step]) => step);
    const audited = (await sys.db.audit())
      .filter((e) => e.action === 'step-result' && e.runId === run.runId)
      .map((e) => String(e.detail?.step));
    const planCommands = final.plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command);

    process.stdout.write(
      `database restart: pg_ctl restart took ${((backAt - restartAt) / 1000).toFixed(2)} s; ` +
        `the leader exited ${leaderExit ? `with ${leaderExit.code ?? leaderExit.signal} after ${((leaderExit.at - restartAt) / 1000).toFixed(2)} s` : 'not at all'}; ` +
        `an instance led again ${((nextLeaderAt - restartAt) / 1000).toFixed(2)} s after the restart began; ` +
        `exits: ${sys.exits.map((e) => `${e.code ?? e.signal} (${e.role})`).join(', ')}; run #${run.runId} ${final.status}\n`,
    );

    expect(leaderExit?.code).toBe(75);
    expect(Number.isFinite(nextLeaderAt)).toBe(true);
    expect(final.status).toBe('succeeded');
    expect(missing).toEqual([]);
    expect(badRepeats).toEqual([]);
    expect(audited.filter((s, i) => audited.indexOf(s) !== i)).toEqual([]);
    expect(final.plan.steps.map((s) => s.id).filter((id) => !audited.includes(id))).toEqual([]);
    expect(server.lab.stepCommands()).toEqual(planCommands);
  }, 240_000);

  it('unreachable at start: one clear line naming host:port and the cause, exit 69, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patchbot-ha-unreachable-'));
    dirs.push(dir);
    const logDir = join(dir, 'logs');
    const watched = join(dir, 'instance');
    mkdirSync(logDir);
    mkdirSync(watched);
    const dbPort = await closedPort();
    const [port] = await freePorts(1);
    // The real entry point, as `npm start` runs it (lab mode: no MicrosoftAppId).
    const bot = spawnTs({
      name: 'main',
      entry: join(REPO_ROOT, 'src/main.ts'),
      logDir,
      env: {
        PATCHBOT_DATABASE_URL: `postgres://patchbot:s3cret-pw@127.0.0.1:${dbPort}/patchbot`,
        PATCHBOT_DATA_DIR: join(watched, 'lab', 'data'),
        PORT: String(port),
        HOST: '127.0.0.1',
      },
    });
    const exit = await bot.exited;
    await new Promise((r) => setTimeout(r, 100));
    const errors = bot.lines.filter((line) => line.startsWith('[stderr] '));

    expect(exit.code).toBe(69);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`Cannot reach the PostgreSQL database at 127.0.0.1:${dbPort}`);
    expect(errors[0]).toContain('ECONNREFUSED');
    expect(bot.lines.join('\n')).not.toContain('s3cret-pw');
    // No data folder, no lab folder, nothing else.
    expect(readdirSync(watched)).toEqual([]);
    expect(existsSync(join(watched, 'lab'))).toBe(false);
  }, 60_000);
});
