import { afterAll, describe, expect, it } from 'vitest';
import { labPackage } from '../../src/lab/package.js';
import { BACKEND01, BE01 } from '../../src/lab/servers.js';
import { silentLogger } from '../../src/log.js';
import { planUpdate, type ServerFacts } from '../../src/procedure/index.js';
import { labRunnerSettings } from '../../src/runner/assemble.js';
import { ServerFactsReader } from '../../src/runner/facts.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import { compiledLabHost } from './compiled-host.js';
import {
  fixture,
  jobFor,
  labProcesses,
  recordingHooks,
  removeTempDirs,
  requestFor,
  waitFor,
} from './support.js';

afterAll(removeTempDirs);

/** A runner as the lab fleet runs it: no local package, packages from the simulated update server. */
const catalogRunner = () => {
  const settings = labRunnerSettings(BACKEND01.profile);
  return { profile: settings.profile, packagePolicy: { sources: settings.packageSources } };
};

describe.concurrent('the job brings its package (the bot catalog)', () => {
  it('stages and installs the job package, a version the runner settings never named', async () => {
    const f = await fixture(BACKEND01, { executor: catalogRunner() });
    const next = labPackage('sfb2019', '7.0.2046.551');
    const plan = planUpdate(requestFor(BACKEND01), { ...BACKEND01.profile, package: next });
    if (!plan.ok) throw new Error(plan.error.message);
    const report = await f.executor.run(
      jobFor(BACKEND01, { package: next, kind: 'update', steps: plan.value.steps.map((s) => s.id) }),
    );
    expect(report.error).toBeNull();
    expect(report.outcome).toBe('succeeded');
    expect(f.lab.stepCommands()).toContain(
      `Save-PatchBotPackage -Source '${next.source}' -Destination 'C:\\PatchBot\\staging\\${next.fileName}'`,
    );
    expect(f.lab.readState().installedVersion).toBe('7.0.2046.551');
    await f.cleanup();
  });

  it.each([
    [
      'a source outside PATCHBOT_PACKAGE_SOURCES',
      'https://evil.example.com/cu/SkypeServerUpdateInstaller.exe',
    ],
    ['a look-alike host', 'https://updates.contoso.local.example.com/SkypeServerUpdateInstaller.exe'],
  ])('declines %s and runs nothing', async (_name, source) => {
    const f = await fixture(BACKEND01, { executor: catalogRunner() });
    const pkg = { ...labPackage('sfb2019', '7.0.2046.540'), source };
    const report = await f.executor.run(jobFor(BACKEND01, { package: pkg }));
    expect(report.outcome).toBe('rejected');
    expect(report.error?.code).toBe('package-source-not-allowed');
    expect(report.error?.message).toContain('PATCHBOT_PACKAGE_SOURCES');
    expect(f.lab.stepCommands()).toEqual([]);
    await f.cleanup();
  });

  it('declines a job without a package when the runner has no local package', async () => {
    const f = await fixture(BACKEND01, { executor: catalogRunner() });
    const report = await f.executor.run(jobFor(BACKEND01));
    expect(report.error?.code).toBe('package-missing');
    expect(f.lab.stepCommands()).toEqual([]);
    await f.cleanup();
  });
});

describe.concurrent('a local override (PATCHBOT_PACKAGE_*)', () => {
  it('runs a job of an older bot (no package, no kind) with the local package', async () => {
    const f = await fixture(BACKEND01);
    const report = await f.executor.run(jobFor(BACKEND01));
    expect(report.outcome).toBe('succeeded');
    expect(f.lab.readState().installedVersion).toBe(BACKEND01.profile.package.version);
    await f.cleanup();
  });

  it('runs a job whose package is the local one, and declines any other', async () => {
    const f = await fixture(BACKEND01);
    const same = await f.executor.run(jobFor(BACKEND01, { package: BACKEND01.profile.package }));
    expect(same.outcome).toBe('succeeded');
    const other = await f.executor.run(jobFor(BACKEND01, { package: labPackage('sfb2019', '7.0.2046.551') }));
    expect(other.error?.code).toBe('package-not-local-override');
    expect(other.error?.message).toMatch(/installs only its local package .* 7\.0\.2046\.530/);
    await f.cleanup();
  });
});

describe.concurrent('check jobs (zero downtime)', () => {
  const prestage = (spec: typeof BE01) => {
    const plan = planUpdate(requestFor(spec), spec.profile);
    if (!plan.ok) throw new Error(plan.error.message);
    return plan.value.steps.filter((s) => s.phase === 'prestage').map((s) => s.id);
  };

  it('runs every step before downtime and stops there', async () => {
    const f = await fixture(BE01);
    const hooks = recordingHooks();
    const steps = prestage(BE01);
    const report = await f.executor.run(jobFor(BE01, { kind: 'check', steps }), hooks);
    expect(report.outcome).toBe('succeeded');
    expect(hooks.started).toEqual(steps);
    expect(steps).toContain('precheck.mirror');
    expect(report.downtimeMs).toBeNull();
    const state = f.lab.readState();
    expect(state.downtime).toHaveLength(0);
    expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
    await f.cleanup();
  });

  it('refuses a check job that names a downtime step', async () => {
    const f = await fixture(BE01);
    const report = await f.executor.run(jobFor(BE01, { kind: 'check' }));
    expect(report.error?.code).toBe('plan-mismatch');
    expect(f.lab.stepCommands()).toEqual([]);
    await f.cleanup();
  });
});

describe.concurrent('server facts (Get-PatchBotServerFacts on the lab server)', () => {
  const reader = async (f: Awaited<ReturnType<typeof fixture>>, spec = BE01) =>
    new ServerFactsReader({
      shell: { ...f.lab.shell, executable: await compiledLabHost() },
      modulePath: PATCHBOT_MODULE_PATH,
      product: spec.profile.product,
      stagingDir: spec.profile.stagingDir,
      logger: silentLogger(),
      timeoutMs: 20_000,
    });

  it('reads what the server is, fills product and readAt, and ends its PowerShell process', async () => {
    const f = await fixture(BE01);
    const facts = await (await reader(f)).read();
    expect(facts).toMatchObject({
      product: 'sfb2019',
      edition: 'enterprise',
      sqlServerFqdn: BE01.sqlServerFqdn,
      installedVersion: BE01.installedVersion,
    } satisfies Partial<ServerFacts>);
    expect(facts?.csServiceCount).toBeGreaterThan(0);
    expect(Date.parse(facts!.readAt)).not.toBeNaN();
    expect(f.lab.readState().sessions.length).toBeGreaterThan(0);
    // The read's own PowerShell process is gone: nothing is left running between jobs.
    await waitFor(() => labProcesses(f.lab.stateFile).length === 0);
    await f.cleanup();
  });

  it('a machine without Cs services: update jobs are declined (no-cs-services), check jobs still run', async () => {
    const f = await fixture(BACKEND01, { conditions: { csServicesInstalled: false } });
    const facts = await (await reader(f, BACKEND01)).read();
    expect(facts?.csServiceCount).toBe(0);
    const executor = f.newExecutor(f.journal, { facts: () => facts });
    const update = await executor.run(jobFor(BACKEND01));
    expect(update.error?.code).toBe('no-cs-services');
    expect(update.error?.message).toMatch(/Front End Server .* Standard Edition server/);
    const steps = jobFor(BACKEND01).steps.slice(0, jobFor(BACKEND01).steps.indexOf('services.stop'));
    const check = await executor.run(jobFor(BACKEND01, { kind: 'check', steps }));
    expect(check.outcome).toBe('failed');
    expect(check.results.at(-1)?.stepId).toBe('precheck.services');
    await f.cleanup();
  });
});
