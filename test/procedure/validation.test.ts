import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planUpdate, validateHostName, type UpdateRequest } from '../../src/procedure/index.js';
import { profile } from './fixtures.js';

describe('request validation', () => {
  const cases: [string, UpdateRequest, string][] = [
    ['enterprise without SQL', { server: 'backend01', edition: 'enterprise' }, 'missing-sql'],
    [
      'collocated on standard',
      { server: 'backend01', edition: 'standard', collocated: true },
      'collocated-on-standard',
    ],
    [
      'sql on standard',
      { server: 'backend01', edition: 'standard', sqlServerFqdn: 'sql01.contoso.local' },
      'sql-on-standard',
    ],
    [
      'sql not an FQDN',
      { server: 'backend01', edition: 'enterprise', sqlServerFqdn: 'sql01' },
      'invalid-sql-fqdn',
    ],
    [
      'sql with a quote',
      { server: 'backend01', edition: 'enterprise', sqlServerFqdn: "sql01.x'; Remove-Item" },
      'invalid-sql-fqdn',
    ],
    ['server with a semicolon', { server: 'backend01;calc', edition: 'standard' }, 'invalid-server'],
    ['other server', { server: 'be02', edition: 'standard' }, 'server-mismatch'],
    ['bad edition', { server: 'backend01', edition: 'datacenter' as never }, 'invalid-edition'],
  ];
  it.each(cases)('%s', (_name, request, code) => {
    const result = planUpdate(request, profile('sfb2019'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
  });

  it('refuses the other edition when the runner knows the server role', () => {
    const result = planUpdate(
      { server: 'backend01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
      profile('sfb2019', 'backend01', { edition: 'standard' }),
    );
    expect(result.ok ? null : result.error.code).toBe('edition-mismatch');
  });

  const badProfiles: [string, Parameters<typeof profile>[2], string][] = [
    ['staging folder with a variable', { stagingDir: 'C:\\$env:TEMP' }, 'invalid-folder'],
    ['relative staging folder', { stagingDir: 'staging' }, 'invalid-folder'],
    ['zero free space', { minFreeGb: 0 }, 'invalid-free-space'],
  ];
  it.each(badProfiles)('refuses a runner profile with %s', (_name, overrides, code) => {
    const result = planUpdate(
      { server: 'backend01', edition: 'standard' },
      profile('sfb2019', 'backend01', overrides),
    );
    expect(result.ok ? null : result.error.code).toBe(code);
  });

  it('refuses a package with a bad hash, file name, version or source', () => {
    const base = profile('sfb2019');
    for (const [pkg, code] of [
      [{ ...base.package, sha256: 'xyz' }, 'invalid-sha256'],
      [{ ...base.package, fileName: '..\\evil.exe' }, 'invalid-file-name'],
      [{ ...base.package, version: '7.0; calc' }, 'invalid-version'],
      [{ ...base.package, source: "http://x/'a'" }, 'invalid-package-source'],
    ] as const) {
      const result = planUpdate({ server: 'backend01', edition: 'standard' }, { ...base, package: pkg });
      expect(result.ok ? null : result.error.code).toBe(code);
    }
  });

  it('accepts a UNC package source', () => {
    const base = profile('sfb2019');
    const result = planUpdate(
      { server: 'backend01', edition: 'standard' },
      {
        ...base,
        package: {
          ...base.package,
          source: '\\\\fs01.contoso.local\\updates$\\SkypeServerUpdateInstaller.exe',
        },
      },
    );
    expect(result.ok).toBe(true);
  });
});

describe('host names', () => {
  it.each([
    ['backend01', 'backend01'],
    ['BE01.Contoso.Local', 'be01.contoso.local'],
    ['be-01.contoso.local.', 'be-01.contoso.local'],
  ])('accepts %s', (raw, expected) => {
    const result = validateHostName(raw);
    expect(result.ok && result.value).toBe(expected);
  });

  it.each([
    '',
    '-be01',
    'be01-',
    'be_01',
    'be 01',
    'be01..contoso',
    "be01'",
    'be01`',
    '$be01',
    'be01|x',
    '123',
    'a'.repeat(64),
    'ü01',
  ])('refuses %j', (raw) => {
    expect(validateHostName(raw).ok).toBe(false);
  });

  it('never accepts shell or PowerShell metacharacters (property)', () => {
    const meta = fc.constantFrom(
      ...' \'"`$;|&<>(){}[]@#%*?!\\/\n\r\t,~^=+'.split(''),
      '\u2018',
      '\u2019',
      '\u201c',
    );
    fc.assert(
      fc.property(fc.string(), meta, fc.string(), (a, m, b) => {
        expect(validateHostName(a + m + b).ok).toBe(false);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('the planner never throws and only ever emits validated values (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          server: fc.oneof(fc.string(), fc.constant('backend01')),
          edition: fc.oneof(fc.constantFrom('standard', 'enterprise'), fc.string()),
          sqlServerFqdn: fc.option(fc.oneof(fc.string(), fc.constant('sql01.contoso.local')), {
            nil: undefined,
          }),
          collocated: fc.option(fc.boolean(), { nil: undefined }),
        }),
        (request) => {
          const result = planUpdate(request as UpdateRequest, profile('sfb2019'));
          if (result.ok) {
            for (const step of result.value.steps) expect(step.command).not.toMatch(/[;|`$"]/);
          }
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });
});
