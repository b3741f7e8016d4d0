import { describe, expect, it } from 'vitest';
import type { ServerFacts, StepId } from '../../src/procedure/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { actor, ALEX, makeService, requestStandard, resultFor } from './support.js';

async function queued() {
  const setup = await makeService();
  const run = await requestStandard(setup.service);
  await setup.service.confirm(run.id, actor(ALEX));
  const job = await setup.service.dispatcher.waitForJob('rn-backend01', new AbortController().signal);
  return { ...setup, run, job };
}

const at = (run: RunRecord, id: StepId) => run.plan.steps.findIndex((s) => s.id === id);

/** Reports every step before `id` succeeded, then `id` with `status` (and the restart flag). */
async function runUpTo(
  setup: Awaited<ReturnType<typeof queued>>,
  id: StepId,
  status: 'failed' | 'succeeded' | 'interrupted',
  rebootRequired = false,
) {
  const live = setup.store.getRun(setup.run.id)!;
  for (let i = 0; i < at(live, id); i++)
    await setup.service.dispatcher.acceptResult('rn-backend01', resultFor(live, i));
  const last = { ...resultFor(live, at(live, id), status), ...(rebootRequired ? { rebootRequired } : {}) };
  await setup.service.dispatcher.acceptResult('rn-backend01', last);
  return setup.store.getRun(setup.run.id)!;
}

async function retryJob(setup: Awaited<ReturnType<typeof queued>>, checked = false) {
  const retried = await setup.service.retry(setup.run.id, actor(ALEX), checked);
  if (!retried.ok) return { refused: retried.refusal.key, job: null };
  const job = await setup.service.dispatcher.waitForJob('rn-backend01', new AbortController().signal);
  return { refused: null, job };
}

describe('the job the bot sends', () => {
  it('carries kind, the planned package and only the options that are on', async () => {
    const { job, run } = await queued();
    expect(job?.kind).toBe('update');
    expect(job?.package).toEqual(run.plan.package);
    expect(job?.package?.sha256).toMatch(/^[0-9A-F]{64}$/);
    expect(Object.keys(job!.request).sort()).toEqual(['collocated', 'edition', 'server']);
  });

  it('sends graceful, force, pool and mirroring as the plan has them', async () => {
    const setup = await makeService();
    const run = await requestStandard(setup.service);
    const live = setup.store.getRun(run.id)!;
    Object.assign(live.plan.request, {
      graceful: true,
      force: true,
      poolFqdn: 'pool01.contoso.local',
      mirrored: true,
    });
    await setup.service.confirm(run.id, actor(ALEX));
    const job = await setup.service.dispatcher.waitForJob('rn-backend01', new AbortController().signal);
    expect(job?.request).toMatchObject({
      graceful: true,
      force: true,
      poolFqdn: 'pool01.contoso.local',
      mirrored: true,
    });
  });

  it('a run stored before the package catalog: no package, no new options (the runner uses its local one)', async () => {
    const setup = await makeService();
    const run = await requestStandard(setup.service);
    const live = setup.store.getRun(run.id)!;
    delete live.plan.package;
    delete live.plan.notes;
    for (const key of ['graceful', 'force', 'poolFqdn', 'mirrored'] as const) delete live.plan.request[key];
    await setup.service.confirm(run.id, actor(ALEX));
    const job = await setup.service.dispatcher.waitForJob('rn-backend01', new AbortController().signal);
    expect(job).not.toHaveProperty('package');
    expect(job?.kind).toBe('update');
    expect(Object.keys(job!.request).sort()).toEqual(['collocated', 'edition', 'server']);
  });
});

describe('heartbeat facts reach the runner record', () => {
  it('stores the facts a heartbeat carries', async () => {
    const { service, store } = await makeService();
    const facts: ServerFacts = {
      readAt: '2026-11-23T02:00:00.000Z',
      product: 'sfb2019',
      installedVersion: '7.0.2046.520',
      components: [{ name: 'Core Components', version: '7.0.2046.520' }],
      edition: 'standard',
      poolFqdn: 'backend01.contoso.local',
      sqlServerFqdn: null,
      collocatedStores: false,
      mirrored: false,
      pendingRestart: false,
      freeSpaceGb: 40,
      powershellVersion: '5.1',
      csServiceCount: 9,
    };
    const info = store.getRunner('rn-backend01')!.info!;
    const { package: _local, ...withoutPackage } = info.profile;
    await service.dispatcher.heartbeat('rn-backend01', {
      info: { ...info, profile: withoutPackage },
      facts,
      runId: null,
      stepId: null,
    });
    const runner = store.getRunner('rn-backend01')!;
    expect(runner.facts).toEqual(facts);
    expect(runner.info?.profile.package).toBeUndefined();
  });
});

describe('Retry resumes where the server is safe to pick up (resumeIndex)', () => {
  it('after the installer asked for a restart: from shell.reopen, no "checked" box needed', async () => {
    const setup = await queued();
    const run = await runUpTo(setup, 'update.install', 'succeeded', true);
    expect(run.status).toBe('failed');
    const { refused, job } = await retryJob(setup);
    expect(refused).toBeNull();
    expect(job?.steps[job.startIndex]).toBe('shell.reopen');
    const after = setup.store.getRun(setup.run.id)!;
    expect(
      after.steps.slice(at(after, 'shell.reopen')).every((s) => s.status === 'pending' && s.attempt === 2),
    ).toBe(true);
    expect(after.steps[at(after, 'update.install')]?.status).toBe('succeeded');
    expect(after.steps.some((s) => s.rebootRequired)).toBe(false);
  });

  it.each(['iis.stop', 'shell.close'] as const)(
    'a failed %s resumes at services.stop (a restart starts the Cs services again)',
    async (id) => {
      const setup = await queued();
      await runUpTo(setup, id, 'failed');
      const { job } = await retryJob(setup);
      expect(job?.steps[job.startIndex]).toBe('services.stop');
      const after = setup.store.getRun(setup.run.id)!;
      expect(after.steps[at(after, 'services.stop')]?.status).toBe('pending');
      // Earlier than the failed step: the change that makes the thread say so (run.resume.from).
      expect(setup.changes.filter((c) => c.change.kind === 'resume').map((c) => c.change)).toEqual([
        { kind: 'resume', failedAt: at(after, id), resumeAt: at(after, 'services.stop') },
      ]);
    },
  );

  it('a failed database update resumes at shell.reopen, and needs the "checked" box first', async () => {
    const setup = await queued();
    await runUpTo(setup, 'database.update', 'failed');
    const unchecked = await retryJob(setup, false);
    expect(unchecked.refused).toBe('bot.retry.needs-check');
    const { job } = await retryJob(setup, true);
    expect(job?.steps[job.startIndex]).toBe('shell.reopen');
  });

  it('a failed installer without a restart request resumes at itself, after the check', async () => {
    const setup = await queued();
    await runUpTo(setup, 'update.install', 'failed');
    expect((await retryJob(setup, false)).refused).toBe('bot.retry.needs-check');
    const { job } = await retryJob(setup, true);
    expect(job?.steps[job.startIndex]).toBe('update.install');
    // Resumes at the failed step itself: nothing extra to say.
    expect(setup.changes.some((c) => c.change.kind === 'resume')).toBe(false);
  });

  it('an interrupted services.verify (after the database update) resumes at itself, after the check', async () => {
    const setup = await queued();
    await runUpTo(setup, 'services.verify', 'interrupted');
    expect((await retryJob(setup, false)).refused).toBe('bot.retry.needs-check');
    const { job } = await retryJob(setup, true);
    expect(job?.steps[job.startIndex]).toBe('services.verify');
  });
});
