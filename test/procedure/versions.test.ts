import { describe, expect, it } from 'vitest';
import { compareVersions, updateDecision } from '../../src/procedure/index.js';

describe('compareVersions', () => {
  it.each([
    ['7.0.2046.530', '7.0.2046.530', 0],
    ['7.0.2046.530', '7.0.2046.99', 1],
    ['6.0.9319.619', '7.0.2046.530', -1],
    ['5.0.8308.1182', '5.0.8308.992', 1],
    ['7.0', '7.0.0.0', 0],
    ['10.0.1', '9.9.9', 1],
  ] as const)('%s vs %s -> %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });

  it('refuses what is not a version instead of guessing', () => {
    expect(() => compareVersions('7.0.x', '7.0')).toThrow(/not a dotted version/);
    expect(() => compareVersions('', '7.0')).toThrow(RangeError);
  });
});

describe('updateDecision', () => {
  const pkg = '7.0.2046.530';
  it.each([
    ['an older server', '7.0.2046.385', ['7.0.2046.385', '7.0.2046.385'], false, 'update'],
    ['one lagging component', '7.0.2046.385', ['7.0.2046.530', '7.0.2046.385'], false, 'update'],
    ['the same version', pkg, [pkg, pkg], false, 'nothing-to-do'],
    ['the same version, forced', pkg, [pkg], true, 'same-version-forced'],
    ['a newer server', '7.0.2046.600', ['7.0.2046.600'], false, 'downgrade'],
    ['a newer server, forced', '7.0.2046.600', ['7.0.2046.600'], true, 'downgrade'],
    [
      'one newer component among older ones',
      '7.0.2046.385',
      ['7.0.2046.385', '7.0.2046.700'],
      true,
      'downgrade',
    ],
    ['nothing known', null, [], false, 'update'],
    ['only components known', null, [{ version: pkg }], false, 'nothing-to-do'],
  ] as const)('%s -> %s', (_name, installed, components, force, expected) => {
    expect(updateDecision(installed, components, pkg, force)).toBe(expected);
  });
});
