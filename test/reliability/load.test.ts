import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labServerSpec, type LabServerSpec } from '../../src/lab/servers.js';
import { readLabState } from '../../src/lab/state.js';
import { compiledLabHost } from '../runner/compiled-host.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, stepReplies, waitUntil, type RunHandle } from './support/system.js';

const SERVERS = 50;
const SCENARIO = {
  order: 9,
  title: `Load: ${SERVERS} simultaneous runs on ${SERVERS} simulated servers with ${SERVERS} runners`,
  notes: [
    `One bot process with ${SERVERS} lab runners inside it (startLabFleet, as lab mode has them; the compiled lab host), ` +
      'a third each of SfB 2019 Standard, SfB 2015 Enterprise (own SQL FQDN per server) and Lync 2013 Enterprise with ' +
      'collocated databases; simulated durations x0.0002. Every run is requested and confirmed over HTTP in its own channel thread.',
  ],
};

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('load', SCENARIO, { check, measured, pass });

function specs(): LabServerSpec[] {
  return Array.from({ length: SERVERS }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    if (i % 3 === 0) return labServerSpec({ server: `std${n}`, product: 'sfb2019', edition: 'standard' });
    if (i % 3 === 1)
      return labServerSpec({
        server: `ent${n}`,
        product: 'sfb2015',
        edition: 'enterprise',
        sqlServerFqdn: `sql${n}.contoso.local`,
      });
    return labServerSpec({
      server: `lync${n}`,
      product: 'lync2013',
      edition: 'enterprise',
      sqlServerFqdn: `lyncsql${n}.contoso.local`,
      collocatedStores: true,
    });
  });
}

function commandFor(spec: LabServerSpec): string {
  const parts = ['update', spec.profile.server, spec.edition];
  if (spec.sqlServerFqdn) parts.push('sql', spec.sqlServerFqdn);
  if (spec.collocatedStores) parts.push('collocated');
  return parts.join(' ');
}

describe('load', () => {
  it(`${SERVERS} runs at once all complete, without cross-talk, and the bot still answers`, async () => {
    beginScenario('load');
    const fleetSpecs = specs();
    system = await ReliabilitySystem.start({
      name: 'load',
      heartbeatTimeoutSeconds: 60,
      // Production's sweep interval (the other tests sweep every 200 ms to see silence quickly).
      sweepIntervalMs: 5_000,
      // Production's long-poll: with 50 runners a 2 s poll would be 25 signed requests a second.
      // Alex asks `status` in the personal chat while the runs live in channel threads: as a named
      // reader, the answer lists all 50 of them (anyone else would see none).
      env: { LOG_LEVEL: 'info', PATCHBOT_LONG_POLL_SECONDS: '25', PATCHBOT_READERS: '29:lab-user-alex' },
      fleet: {
        specs: fleetSpecs,
        timeScale: 0.0002,
        heartbeatIntervalMs: 15_000,
        hostExecutable: await compiledLabHost(),
      },
    });
    await system.startBot();
    await waitUntil(
      () => {
        const state = system.state();
        return fleetSpecs.every((s) => state?.runners[`rn-lab-${s.profile.server}`]?.info);
      },
      60_000,
      'every lab runner to report in',
    );

    // Every plan first (nothing runs yet), then every Confirm at once: the runs truly overlap.
    const runs: RunHandle[] = [];
    const queue = [...fleetSpecs];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let spec = queue.shift(); spec; spec = queue.shift())
          runs.push(await system.planRun(spec.profile.server, spec.edition, 'Alex', '', commandFor(spec)));
      }),
    );
    const started = Date.now();
    const toConfirm = [...runs];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let run = toConfirm.shift(); run; run = toConfirm.shift()) await system.confirm(run);
      }),
    );
    const requestedIn = Date.now() - started;

    // While they run: `status` in the personal chat, timed from the post to the answer.
    const latencies: number[] = [];
    const runningAtStatus: number[] = [];
    for (let i = 0; i < 3; i++) {
      runningAtStatus.push(
        system.runs(runs.map((r) => r.runId)).filter((r) => ['queued', 'running'].includes(r?.status ?? ''))
          .length,
      );
      const before = system.connector.activities.length;
      const asked = Date.now();
      const answer = await system.teams.sayInPersonalChat('status');
      await waitUntil(
        () => system.connector.activities.slice(before).some((a) => a.replyToId === answer.activity?.id),
        30_000,
        'the status answer',
      );
      latencies.push(Date.now() - asked);
      await new Promise((r) => setTimeout(r, 1_000));
    }

    let peakHotFile = 0;
    let peakOutbox = 0;
    // One read of the store per look (it is large now), and not too often: this process shares the CPUs.
    const finals = await waitUntil(
      async () => {
        await new Promise((r) => setTimeout(r, 500));
        const state = system.state();
        peakHotFile = Math.max(peakHotFile, Buffer.byteLength(JSON.stringify(state)));
        peakOutbox = Math.max(peakOutbox, state?.outbox.length ?? 0);
        const all = system.runs(runs.map((r) => r.runId));
        return all.every((r) => r && ['succeeded', 'failed', 'interrupted', 'aborted'].includes(r.status))
          ? all.map((r) => r!)
          : undefined;
      },
      180_000,
      'every run to end',
    );
    const completedIn = Date.now() - started;
    await system.waitForOutboxDrained(120_000);
    const deliveredIn = Date.now() - started;

    // Each simulator ran exactly its own plan, nothing of anybody else's.
    const crossTalk: string[] = [];
    for (const spec of fleetSpecs) {
      const name = spec.profile.server;
      // The plan the bot made for this server's run (its package comes from the bot's catalog).
      const own = finals.find((r) => r.server === name);
      if (!own) throw new Error(`no run for ${name}`);
      const expected = own.plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command);
      const state = readLabState(join(system.fleetDir, 'servers', name, `${name}.lab.json`));
      // The runner's own facts reads between jobs are not part of any plan.
      const ran = state.log
        .filter((r) => r.kind === 'step' && r.key !== 'Get-PatchBotServerFacts')
        .map((r) => r.command);
      if (JSON.stringify(ran) !== JSON.stringify(expected)) crossTalk.push(name);
    }
    const succeeded = finals.filter((r) => r.status === 'succeeded').length;
    const repliesOk = runs.filter((run, i) => {
      const steps = stepReplies(system.connector, run.thread, run.cardId).map((r) => r.step);
      return JSON.stringify(steps) === JSON.stringify(finals[i]!.plan.steps.map((s) => s.index));
    }).length;
    const wrongThread = system.connector.activities.filter((a) => {
      const run = runs.find((r) => r.thread === a.conversationId);
      if (!run) return false;
      const text = JSON.stringify(a.activity);
      return runs.some((other) => other !== run && text.includes(`#${other.runId} `));
    }).length;

    record(
      'all runs complete',
      `${succeeded} of ${SERVERS} succeeded; all confirmed within ${(requestedIn / 1000).toFixed(1)} s, all ended ${(completedIn / 1000).toFixed(1)} s after the first Confirm, every message delivered after ${(deliveredIn / 1000).toFixed(1)} s; the store's hot file peaked at ${(peakHotFile / 1024 / 1024).toFixed(1)} MiB with ${peakOutbox} queued messages`,
      succeeded === SERVERS,
    );
    record(
      'no cross-talk between runs',
      `simulators whose log differs from their own plan: ${crossTalk.length}; threads with every step reply in order: ${repliesOk} of ${SERVERS}; messages naming another run: ${wrongThread}`,
      crossTalk.length === 0 && repliesOk === SERVERS && wrongThread === 0,
    );
    record(
      'bot stays responsive under load',
      `\`status\` answered in ${latencies.map((l) => `${l} ms`).join(', ')} while ${runningAtStatus.join(', ')} runs were queued or running (bound: 10 s)`,
      Math.max(...latencies) < 10_000,
    );
    expect(succeeded).toBe(SERVERS);
    expect(crossTalk).toEqual([]);
    expect(repliesOk).toBe(SERVERS);
    expect(wrongThread).toBe(0);
    expect(Math.max(...latencies)).toBeLessThan(10_000);
  }, 300_000);
});
