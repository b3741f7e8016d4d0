import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01 } from '../../src/lab/servers.js';
import type { RunStatus } from '../../src/store/types.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, stepReplies, waitUntil } from './support/system.js';

const SCENARIO = {
  order: 3,
  title: 'Network loss: the bot is down for a while, the runner works on',
  notes: [
    'The bot is stopped (SIGTERM) after step 3 and kept down for 6 s: 24 runner heartbeats (250 ms) and longer than ' +
      'the 5 s heartbeat timeout, so a bot that counted the outage as runner silence would interrupt the run. ' +
      'The last step is slow (~6 s), so the run goes on for a while after the bot is back (measured below).',
  ],
};
const OUTAGE_MS = 6_000;

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('network-loss', SCENARIO, { check, measured, pass });

describe('network loss', () => {
  it('buffers results on the runner and delivers them in order when the bot is back; the run succeeds', async () => {
    beginScenario('network-loss');
    system = await ReliabilitySystem.start({ name: 'network-loss', heartbeatTimeoutSeconds: 5 });
    // ~8 s of simulated work at this scale, so most of it happens while the bot is away.
    // The last step takes ~7 s: the run is still mid-step for longer than the heartbeat timeout
    // after the bot is back.
    const server = system.addServer(BACKEND01, {
      timeScale: 0.006,
      durationsMs: { 'Assert-PatchBotPatchVersion': 1_000_000 },
    });
    await system.startBot();
    await system.startRunner('backend01');
    await system.waitForRunnersOnline();
    const run = await system.requestRun('backend01', 'standard');
    await waitUntil(
      () => system.run(run.runId)?.steps[2]?.status === 'succeeded',
      30_000,
      'step 3 to be recorded',
    );
    // Stopped, not killed: a crash is scenario 1; here only the connection is gone.
    await system.bot!.stop();
    const downAt = Date.now();
    const resultsBeforeOutage = system.run(run.runId)!.steps.filter((s) => s.status === 'succeeded').length;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const ranDuringOutage = server.lab
      .commandLog()
      .filter((c) => c.kind === 'step' && Date.parse(c.wallStart) > downAt).length;
    const journal = JSON.parse(
      readFileSync(join(system.server('backend01').journalDir, 'journal.json'), 'utf8'),
    ) as { outbox: unknown[] };
    const buffered = journal.outbox.length;

    await system.startBot();
    const upAt = Date.now();
    // Watch every status the run passes through from the restart on.
    const seen = new Set<RunStatus>();
    const finalRun = await waitUntil(
      () => {
        const current = system.run(run.runId);
        if (current) seen.add(current.status);
        return current &&
          ['succeeded', 'failed', 'interrupted', 'aborted'].includes(current.status) &&
          seen.has(current.status)
          ? current
          : undefined;
      },
      60_000,
      'the run to end',
    );
    const deliveredAfter = Date.now() - upAt;
    await system.waitForOutboxDrained(30_000);
    const replies = stepReplies(system.connector, run.thread, run.cardId);
    const steps = replies.map((r) => r.step);
    const expected = finalRun.plan.steps.map((s) => s.index);
    const interruptedAudit = system
      .audit()
      .filter((e) => e.action === 'interrupted' && e.runId === run.runId).length;

    record(
      'runner works on while the bot is down',
      `${resultsBeforeOutage} steps recorded before the outage; ${ranDuringOutage} commands ran during it; ${buffered} results buffered in the journal`,
      ranDuringOutage > 0 && buffered > 0,
    );
    record(
      'buffered results delivered in order; run succeeds',
      `run ${finalRun.status} ${(deliveredAfter / 1000).toFixed(1)} s after the bot returned; replies in the thread: ${steps.length} for ${expected.length} steps, in order: ${JSON.stringify(steps) === JSON.stringify(expected)}`,
      finalRun.status === 'succeeded' && JSON.stringify(steps) === JSON.stringify(expected),
    );
    const lastStep = finalRun.steps.at(-1)!;
    const ranOnFor = ((Date.parse(lastStep.endedAt ?? '') - upAt) / 1000).toFixed(1);
    record(
      'not marked interrupted after the restart',
      `run went on ${ranOnFor} s after the restart; statuses seen after it: ${[...seen].join(', ')}; 'interrupted' audit events: ${interruptedAudit}`,
      !seen.has('interrupted') && interruptedAudit === 0,
    );
    expect(ranDuringOutage).toBeGreaterThan(0);
    expect(buffered).toBeGreaterThan(0);
    expect(finalRun.status).toBe('succeeded');
    expect(steps).toEqual(expected);
    expect(seen.has('interrupted')).toBe(false);
    expect(interruptedAudit).toBe(0);
  }, 120_000);
});
