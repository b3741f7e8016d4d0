import { describe, expect, it } from 'vitest';
import type { ServerFacts } from '../../src/procedure/index.js';
import { validateServerFacts, MAX_FACT_COMPONENTS } from '../../src/protocol/validate-facts.js';
import { validateHeartbeat, validateJob } from '../../src/protocol/validate-messages.js';
import { heartbeat, job, RUNNER_A } from './harness.js';

const FACTS: ServerFacts = {
  readAt: '2026-12-04T17:00:00.000Z',
  product: 'sfb2019',
  installedVersion: '7.0.2046.520',
  components: [
    { name: 'Skype for Business Server 2019, Core Components', version: '7.0.2046.520' },
    { name: 'Skype for Business Server 2019, Front End Server', version: '7.0.2046.530' },
  ],
  edition: 'enterprise',
  poolFqdn: 'pool01.contoso.local',
  sqlServerFqdn: 'sql01.contoso.local',
  collocatedStores: false,
  mirrored: true,
  pendingRestart: false,
  freeSpaceGb: 41.5,
  powershellVersion: '5.1',
  csServiceCount: 12,
};

const PACKAGE = {
  source: 'https://updates.contoso.local/sfb2019/7.0.2046.540/SkypeServerUpdateInstaller.exe',
  fileName: 'SkypeServerUpdateInstaller.exe',
  sha256: 'ab'.repeat(32),
  version: '7.0.2046.540',
};

const message = (r: { ok: boolean; error?: { message: string } }) => (r.ok ? 'ok' : r.error!.message);

describe('heartbeat facts', () => {
  it('accepts the facts (all fields, nulls for what could not be read) and keeps them', () => {
    const beat = { ...heartbeat(RUNNER_A), facts: FACTS };
    const checked = validateHeartbeat(JSON.parse(JSON.stringify(beat)));
    expect(checked.ok && checked.value.facts).toEqual(FACTS);
    const unknown = Object.fromEntries(
      Object.entries(FACTS).map(([k, v]) => [k, ['readAt', 'product', 'components'].includes(k) ? v : null]),
    );
    expect(validateServerFacts(unknown).ok).toBe(true);
  });

  it('an old runner sends no facts: still a valid heartbeat', () => {
    const checked = validateHeartbeat(heartbeat(RUNNER_A));
    expect(checked.ok && checked.value.facts).toBeUndefined();
  });

  it.each([
    ['an unknown field', { ...FACTS, shell: 'iex' }, 'facts: unexpected field "shell".'],
    ['a missing field', (({ mirrored: _m, ...rest }) => rest)(FACTS), 'facts: missing field "mirrored".'],
    ['a bad version', { ...FACTS, installedVersion: '7.0; rm -rf' }, 'facts.installedVersion:'],
    [
      'a bad component',
      { ...FACTS, components: [{ name: 'x\u0007', version: '1.0' }] },
      'facts.components[0].name:',
    ],
    [
      'a component with an extra field',
      { ...FACTS, components: [{ ...FACTS.components[0], a: 1 }] },
      'unexpected',
    ],
    [
      'too many components',
      { ...FACTS, components: Array(MAX_FACT_COMPONENTS + 1).fill(FACTS.components[0]) },
      'items',
    ],
    ['a SQL name that is not an FQDN', { ...FACTS, sqlServerFqdn: 'sql01' }, 'facts.sqlServerFqdn:'],
    ['a pool with a quote', { ...FACTS, poolFqdn: "pool'01.contoso.local" }, 'facts.poolFqdn:'],
    ['negative free space', { ...FACTS, freeSpaceGb: -1 }, 'facts.freeSpaceGb:'],
    ['a fractional service count', { ...FACTS, csServiceCount: 1.5 }, 'facts.csServiceCount:'],
    ['a string for a flag', { ...FACTS, mirrored: 'yes' }, 'facts.mirrored: expected true or false.'],
    [
      'a PowerShell version that is not one',
      { ...FACTS, powershellVersion: 'v5' },
      'facts.powershellVersion:',
    ],
    ['an unknown product', { ...FACTS, product: 'lync2010' }, 'facts.product:'],
  ])('refuses %s', (_name, facts, expected) => {
    const checked = validateHeartbeat({ ...heartbeat(RUNNER_A), facts });
    expect(checked.ok).toBe(false);
    expect(message(checked)).toContain(expected.replace('facts', 'body.facts'));
  });
});

describe('job kind, package and request options', () => {
  it('accepts a job of an older bot (none of them)', () => {
    const checked = validateJob(job(1));
    expect(checked.ok && [checked.value.kind, checked.value.package]).toEqual([undefined, undefined]);
  });

  it('accepts and normalises every new field', () => {
    const checked = validateJob({
      ...job(1),
      kind: 'update',
      package: PACKAGE,
      request: {
        server: 'backend01',
        edition: 'enterprise',
        sqlServerFqdn: 'sql01.contoso.local',
        graceful: true,
        force: false,
        poolFqdn: 'Pool01.Contoso.Local',
        mirrored: true,
      },
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.value.package?.sha256).toBe('AB'.repeat(32));
    expect(checked.value.request).toMatchObject({
      graceful: true,
      force: false,
      poolFqdn: 'pool01.contoso.local',
      mirrored: true,
    });
  });

  it('a check job may name only steps before downtime', () => {
    expect(validateJob({ ...job(1), kind: 'check', steps: ['precheck.role', 'precheck.disk'] }).ok).toBe(
      true,
    );
    expect(message(validateJob({ ...job(1), kind: 'check' }))).toBe(
      'job.steps: a check job may name only steps before downtime.',
    );
  });

  it.each([
    ['an unknown kind', { kind: 'reboot' }, 'job.kind: expected one of update, check.'],
    [
      'a package with an extra field',
      { package: { ...PACKAGE, script: 'x' } },
      'job.package: unexpected field "script".',
    ],
    [
      'a package with a bad hash',
      { package: { ...PACKAGE, sha256: 'abc' } },
      'job.package: The package hash must be 64',
    ],
    [
      'a package from ftp',
      { package: { ...PACKAGE, source: 'ftp://x/y.exe' } },
      'job.package: The package source must be',
    ],
    [
      'graceful as text',
      { request: { server: 'backend01', edition: 'standard', graceful: 'yes' } },
      'job.request.graceful:',
    ],
    [
      'a bad pool',
      { request: { server: 'backend01', edition: 'standard', poolFqdn: 'pool' } },
      'job.request.poolFqdn:',
    ],
    [
      'an unknown request field',
      { request: { server: 'backend01', edition: 'standard', drain: 5 } },
      'unexpected field "drain"',
    ],
  ])('refuses %s', (_name, fields, expected) => {
    expect(message(validateJob({ ...job(1), ...fields }))).toContain(expected);
  });
});

describe('reported profile', () => {
  it('a runner without a local override reports no package; a present one is checked in full', () => {
    const beat = heartbeat(RUNNER_A);
    const { package: _pkg, ...profile } = beat.info.profile;
    const without = validateHeartbeat({ ...beat, info: { ...beat.info, profile } });
    expect(without.ok && without.value.info.profile.package).toBeUndefined();
    const bad = {
      ...beat,
      info: { ...beat.info, profile: { ...profile, package: { ...PACKAGE, version: 'x' } } },
    };
    expect(message(validateHeartbeat(bad))).toContain('body.info.profile.package:');
  });
});
