import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../src/procedure/index.js';
import {
  AgentTestBackend,
  jobOf,
  newLab,
  planOf,
  removeTempDirs,
  startAgent,
  startBot,
  tempDir,
  waitFor,
  type TestAgent,
  type TestBot,
} from './support.js';

const bots: TestBot[] = [];
const agents: TestAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.agent.stop()));
  await Promise.all(bots.splice(0).map((b) => b.close()));
  await removeTempDirs();
});

async function setUp(labOptions: Parameters<typeof newLab>[1] = {}) {
  const dir = await tempDir();
  const backend = new AgentTestBackend();
  const bot = await startBot(backend);
  bots.push(bot);
  const lab = newLab(dir, labOptions);
  const running = await startAgent({ botUrl: bot.url, lab, journalFile: join(dir, 'journal.json') });
  agents.push(running);
  return { dir, backend, bot, lab, ...running };
}

const plan = planOf();
const planIds = plan.steps.map((s) => s.id);
/** What the simulator must have run for one whole job, each command once, in this order. */
const planCommands = plan.steps.filter((s) => s.command !== '').map((s) => s.command);
const planIndex = (id: string | null) => planIds.indexOf(id as (typeof planIds)[number]);

describe('runner agent against the real runner API and a simulated server', () => {
  it('runs a job and delivers every result in order, each acknowledged and then forgotten', async () => {
    const { backend, journal, lab } = await setUp();
    await waitFor(() => backend.beats.some((b) => b.runId === null));

    backend.queue(jobOf(1));
    await waitFor(() => backend.resultsFor(1).length === planIds.length, 25_000);

    const results = backend.resultsFor(1);
    expect(results.map((r) => r.stepId)).toEqual(planIds);
    expect(results.map((r) => r.index)).toEqual(planIds.map((_, i) => i));
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(backend.duplicates).toEqual([]);
    expect(backend.offers).toBe(1);
    await waitFor(() => journal.pendingResults().length === 0);
    expect(lab.stepCommands()).toEqual(planCommands);
    expect(lab.readState().installedVersion).toBe(lab.profile.package.version);
    // Idle again: the heartbeat names no run.
    const lastResultBeats = backend.beats.length;
    await waitFor(() => backend.beats.slice(lastResultBeats).some((b) => b.runId === null));
  });

  it('heartbeats name the run at once and each step as it starts, in plan order', async () => {
    const { backend } = await setUp();
    backend.queue(jobOf(2));
    await waitFor(() => backend.resultsFor(2).length === planIds.length, 25_000);

    const events = backend.events.filter((e) => e.runId === 2);
    // The bot hears of the job, and of the first step, before the first result arrives.
    expect(events[0]?.kind).toBe('beat');
    const named = events.filter((e) => e.kind === 'beat' && e.stepId !== null).map((e) => e.stepId);
    expect(named.every((id) => (STEP_IDS as readonly string[]).includes(id ?? ''))).toBe(true);
    const order = named.map(planIndex);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Step starts beat at once (not one beat per interval), so nearly every step shows up, each
    // before its own result: the bot starts the downtime clock from the services.stop beat.
    expect(new Set(named).size).toBeGreaterThan(planIds.length / 2);
    for (const stepId of ['services.stop', 'update.install']) {
      const beatAt = events.findIndex((e) => e.kind === 'beat' && e.stepId === stepId);
      const resultAt = events.findIndex((e) => e.kind === 'result' && e.stepId === stepId);
      expect(beatAt).toBeGreaterThanOrEqual(0);
      expect(beatAt).toBeLessThan(resultAt);
    }
    for (const beat of backend.beats) expect(beat.info).toMatchObject({ runnerId: 'runner-backend01' });
  });

  it('a cancel in the heartbeat answer stops the run before its next step', async () => {
    // The download takes ~0.5 s, long enough for the answer to its step-start heartbeat to arrive.
    const { backend, lab } = await setUp({ durationsMs: { 'Save-PatchBotPackage': 1_000_000 } });
    backend.onHeartbeat = (beat) => {
      if (beat.runId === 3 && beat.stepId === 'stage.fetch') backend.cancel.add(3);
    };
    backend.queue(jobOf(3));
    await waitFor(() => backend.resultsFor(3).some((r) => r.status === 'cancelled'), 25_000);

    const fetchAt = planIndex('stage.fetch');
    const results = backend.resultsFor(3);
    expect(results.map((r) => r.stepId)).toEqual(planIds.slice(0, fetchAt + 2));
    expect(results.slice(0, fetchAt + 1).every((r) => r.status === 'succeeded')).toBe(true);
    expect(results.at(-1)).toMatchObject({ stepId: 'stage.verify', status: 'cancelled', durationMs: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(backend.resultsFor(3)).toHaveLength(fetchAt + 2);
    expect(lab.stepCommands().some((c) => c.startsWith('Assert-PatchBotFileHash'))).toBe(false);
  });

  it('the same job offered again (same run and attempt) is not run twice, and says so', async () => {
    const { backend, lab } = await setUp();
    backend.keepOffering = true;
    backend.queue(jobOf(4));
    await waitFor(() => backend.resultsFor(4).length === planIds.length, 25_000);
    await waitFor(() => backend.offers >= 3 && backend.duplicates.length >= 1, 10_000);

    expect(lab.stepCommands()).toEqual(planCommands);
    expect(backend.resultsFor(4).map((r) => r.stepId)).toEqual(planIds);
    // This backend offers the job again after taking every result (a bot whose store went back in
    // time): the runner declines each offer with a failed first step saying why, never silently.
    for (const report of backend.duplicates) {
      expect(report).toMatchObject({ stepId: planIds[0], status: 'failed', declined: 'job-already-run' });
      expect(report.errorExcerpt).toMatch(/already ran on this server/);
    }
  });

  it('a job it must refuse is reported as a failed first step instead of staying queued', async () => {
    const { backend, lab } = await setUp();
    // A step sequence this runner would not plan itself (a step left out).
    const job = { ...jobOf(5), steps: planIds.filter((id) => id !== 'stage.verify') };
    backend.queue(job);
    await waitFor(() => backend.resultsFor(5).length === 1);

    expect(backend.resultsFor(5)[0]).toMatchObject({ stepId: planIds[0], index: 0, status: 'failed' });
    expect(backend.resultsFor(5)[0]?.errorExcerpt).toMatch(/refused this job \(plan-mismatch\)/);
    expect(lab.stepCommands()).toEqual([]);
    expect(lab.readState().sessions).toEqual([]);
  });
});
