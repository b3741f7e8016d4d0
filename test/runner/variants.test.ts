import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, BE01, LYNCBE01, labServerSpec, type LabServerSpec } from '../../src/lab/servers.js';
import { fixture, jobFor, planFor, recordingHooks, removeTempDirs, requestFor } from './support.js';

afterAll(removeTempDirs);

/** Standard / Enterprise / Enterprise with collocated databases, for Lync 2013 and Skype for Business. */
const VARIANTS: [string, LabServerSpec][] = [
  ['SfB 2019 Standard (backend01)', BACKEND01],
  ['SfB 2019 Enterprise (be01)', BE01],
  [
    'SfB 2019 Enterprise, collocated',
    labServerSpec({
      server: 'be02',
      product: 'sfb2019',
      edition: 'enterprise',
      sqlServerFqdn: 'sql02.contoso.local',
      collocatedStores: true,
    }),
  ],
  ['Lync 2013 Standard', labServerSpec({ server: 'lyncse01', product: 'lync2013', edition: 'standard' })],
  [
    'Lync 2013 Enterprise',
    labServerSpec({
      server: 'lyncbe02',
      product: 'lync2013',
      edition: 'enterprise',
      sqlServerFqdn: 'lyncsql02.contoso.local',
    }),
  ],
  ['Lync 2013 Enterprise, collocated (lyncbe01)', LYNCBE01],
];

describe.concurrent('a full run on each variant', () => {
  it.each(VARIANTS)('%s', async (_name, spec) => {
    const f = await fixture(spec);
    const plan = planFor(spec.profile, requestFor(spec));
    const hooks = recordingHooks();
    const report = await f.executor.run(jobFor(spec), hooks);

    expect(report.error).toBeNull();
    expect(report.outcome).toBe('succeeded');
    expect(report.results.map((r) => r.status)).toEqual(plan.steps.map(() => 'succeeded'));
    expect(hooks.started).toEqual(plan.steps.map((s) => s.id));
    expect(hooks.results.map((r) => r.index)).toEqual(plan.steps.map((_, i) => i));

    // What the simulated server ran is exactly the plan (close-session sends nothing).
    const expected = plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command);
    expect(f.lab.stepCommands()).toEqual(expected);

    const state = f.lab.readState();
    expect(state.installedVersion).toBe(spec.profile.package.version);
    expect(state.databaseVersion).toBe(spec.profile.package.version);
    expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
    expect(state.w3svc).toBe('Running');
    // Three processes: prestage, the installer's fresh one, and the reopened shell (article step 8).
    expect(state.sessions).toHaveLength(3);
    const installPid = state.log.find((r) => r.key === 'Install-PatchBotUpdate')?.pid;
    const reopenPid = state.log.filter((r) => r.key === 'Import-Module').at(-1)?.pid;
    expect(new Set(state.sessions.map((s) => s.pid)).size).toBe(3);
    expect(installPid).not.toBe(state.sessions[0]?.pid);
    expect(reopenPid).toBe(state.sessions[2]?.pid);
    expect(state.sessions.every((s) => s.args.includes('-NonInteractive'))).toBe(true);

    // Downtime from the simulator's clock: from the start of the first Stop-CsWindowsService
    // (plan.downtimeStartsAt) to the moment every service ran again, which the next step
    // (plan.downtimeEndsAfter, the verification) confirmed.
    expect(state.downtime).toHaveLength(1);
    const window = state.downtime[0]!;
    const stepRecords = state.log.filter((r) => r.kind === 'step');
    const indexOf = (id: string) =>
      plan.steps.filter((s) => s.session !== 'close-session').findIndex((s) => s.id === id);
    const stop = stepRecords[indexOf(plan.downtimeStartsAt)]!;
    const verify = stepRecords[indexOf(plan.downtimeEndsAfter)]!;
    const start = stepRecords[indexOf(plan.downtimeEndsAfter) - 1]!;
    expect(stop.key).toBe('Stop-PatchBotCsServices');
    expect(window.stoppedAtSimMs).toBe(stop.simStartMs);
    expect(start.key).toBe('Start-CsWindowsService');
    expect(window.runningAtSimMs).toBe(start.simEndMs);
    expect(verify.simStartMs).toBe(window.runningAtSimMs);
    // The simulated downtime is the sum of what ran in between: no step hides outside the window.
    const inside = state.log.filter(
      (r) => r.simStartMs >= window.stoppedAtSimMs && r.simEndMs! <= window.runningAtSimMs!,
    );
    expect(inside.length).toBeGreaterThan(5);
    // ...and it lies within the runner's own downtime markers on the wall clock.
    const byId = new Map(report.results.map((r) => [r.stepId, r]));
    expect(Date.parse(window.stoppedAtWall)).toBeGreaterThanOrEqual(
      Date.parse(byId.get(plan.downtimeStartsAt)!.startedAt),
    );
    expect(Date.parse(window.runningAtWall!)).toBeLessThanOrEqual(
      Date.parse(byId.get(plan.downtimeEndsAfter)!.endedAt),
    );
    expect(report.downtimeMs).toBeGreaterThan(0);

    // Every result is waiting in the outbox until the bot acknowledges it.
    expect(f.journal.pendingResults()).toHaveLength(plan.steps.length);
    for (const r of f.journal.pendingResults()) await f.journal.ack(r);
    expect(f.journal.pendingResults()).toHaveLength(0);
    expect(f.journal.activeRun()).toBeNull();
    await f.cleanup();
  });
});
