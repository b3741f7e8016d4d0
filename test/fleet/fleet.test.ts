import { describe, expect, it } from 'vitest';
import { predictDowntime, PREDICTION_RUNS } from '../../src/fleet/downtime.js';
import { newestPackage, packageToPlan } from '../../src/fleet/package-for.js';
import { fleetRow, standingOf } from '../../src/fleet/versions.js';
import type { CatalogPackage } from '../../src/store/package-catalog.js';
import { CATALOG, FACTS, RUNNERS_WITH_FACTS } from '../cards/fleet-fixtures.js';
import { PROFILE } from '../cards/fixtures.js';

const T = Date.parse('2026-12-01T02:00:00Z');
/** A finished run of `server` whose downtime lasted `minutes` (null: never went down). */
const run = (server: string, minutes: number | null, kind: 'update' | 'check' = 'update') => ({
  server,
  kind,
  downtimeStartedAt: minutes === null ? null : new Date(T).toISOString(),
  downtimeEndedAt: minutes === null ? null : new Date(T + minutes * 60_000).toISOString(),
});

describe('predictDowntime', () => {
  it.each([
    { runs: [], expected: null },
    { runs: [run('backend01', null), run('backend01', 5, 'check')], expected: null },
    { runs: [run('be01', 9)], expected: null },
    { runs: [run('backend01', 9)], expected: { samples: 1, medianMs: 540_000, worstMs: 540_000 } },
    {
      runs: [run('backend01', 12), run('backend01', 8), run('backend01', 30), run('be01', 99)],
      expected: { samples: 3, medianMs: 720_000, worstMs: 1_800_000 },
    },
    {
      runs: [run('backend01', 10), run('backend01', 20), run('backend01', null)],
      expected: { samples: 2, medianMs: 900_000, worstMs: 1_200_000 },
    },
  ])('%#: median and worst of the server’s own measured downtimes', ({ runs, expected }) => {
    expect(predictDowntime('backend01', runs)).toEqual(expected);
  });

  it('reads only the newest runs it is given, so a long history costs no more', () => {
    const newest = Array.from({ length: PREDICTION_RUNS }, () => run('backend01', 10));
    const ancient = Array.from({ length: 500 }, () => run('backend01', 90));
    expect(predictDowntime('backend01', [...newest, ...ancient])).toEqual({
      samples: PREDICTION_RUNS,
      medianMs: 600_000,
      worstMs: 600_000,
    });
  });

  it('ignores a run whose end comes before its start', () => {
    const odd = { ...run('backend01', 5), downtimeEndedAt: new Date(T - 1000).toISOString() };
    expect(predictDowntime('backend01', [odd])).toBeNull();
  });
});

describe('packageToPlan', () => {
  const runner = RUNNERS_WITH_FACTS[0]!;

  it('takes the newest catalogued version of the product, by version number not by order', () => {
    const shuffled: CatalogPackage[] = [
      { ...CATALOG[0]!, version: '7.0.2046.99' },
      { ...CATALOG[0]!, version: '7.0.2046.530' },
      { ...CATALOG[0]!, version: '7.0.2046.1000' },
      CATALOG[2]!,
    ];
    expect(newestPackage(shuffled, 'sfb2019')?.version).toBe('7.0.2046.1000');
    expect(packageToPlan(runner, shuffled)).toMatchObject({
      origin: 'catalog',
      package: { version: '7.0.2046.1000', sha256: CATALOG[0]!.sha256 },
    });
  });

  it('prefers the runner’s local override, which the runner insists on', () => {
    const withOverride = { ...runner, info: { ...runner.info!, profile: PROFILE } };
    expect(packageToPlan(withOverride, CATALOG)).toEqual({
      package: PROFILE.package,
      origin: 'runner-override',
    });
  });

  it('has nothing when the product has no entry, or the runner never reported', () => {
    expect(
      packageToPlan(
        runner,
        CATALOG.filter((p) => p.product !== 'sfb2019'),
      ),
    ).toBeNull();
    expect(packageToPlan({ info: null, facts: null }, CATALOG)).toBeNull();
    expect(packageToPlan(undefined, CATALOG)).toBeNull();
    // Facts alone name the product.
    expect(packageToPlan({ info: null, facts: FACTS }, CATALOG)?.package.version).toBe('7.0.2046.530');
  });
});

describe('versions rows', () => {
  it.each([
    ['7.0.2046.385', '7.0.2046.530', 'behind'],
    ['7.0.2046.530', '7.0.2046.530', 'current'],
    ['7.0.2046.551', '7.0.2046.530', 'ahead'],
    [null, '7.0.2046.530', 'unknown'],
    ['7.0.2046.530', null, 'unknown'],
    ['garbage', '7.0.2046.530', 'unknown'],
  ] as const)('%s against %s is %s', (installed, target, standing) => {
    expect(standingOf(installed, target)).toBe(standing);
  });

  it('one row per runner from its facts and the catalog', () => {
    expect(fleetRow(RUNNERS_WITH_FACTS[0]!, CATALOG, null)).toEqual({
      server: 'backend01',
      product: 'sfb2019',
      installedVersion: '7.0.2046.385',
      target: { version: '7.0.2046.530', origin: 'catalog' },
      standing: 'behind',
      lastRun: null,
    });
    expect(fleetRow(RUNNERS_WITH_FACTS[1]!, CATALOG, null).standing).toBe('current');
    expect(fleetRow(RUNNERS_WITH_FACTS[2]!, CATALOG, null)).toMatchObject({
      product: null,
      standing: 'unknown',
    });
  });
});
