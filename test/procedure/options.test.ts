import { describe, expect, it } from 'vitest';
import {
  GRACEFUL_DRAIN_MINUTES,
  planUpdate,
  type Plan,
  type UpdateRequest,
} from '../../src/procedure/index.js';
import { profile } from './fixtures.js';

function plan(request: UpdateRequest, product: Parameters<typeof profile>[0] = 'sfb2019'): Plan {
  const result = planUpdate(request, profile(product, request.server));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const command = (p: Plan, id: string) => p.steps.find((s) => s.id === id)?.command;
const ENTERPRISE: UpdateRequest = {
  server: 'be01',
  edition: 'enterprise',
  sqlServerFqdn: 'sql01.contoso.local',
};

describe('plan options', () => {
  it('graceful drains before stopping and the downtime budget counts the drain limit', () => {
    const plain = plan({ server: 'backend01', edition: 'standard' });
    const graceful = plan({ server: 'backend01', edition: 'standard', graceful: true });
    expect(command(graceful, 'services.stop')).toBe(
      `Stop-PatchBotCsServices -Graceful -TimeoutMinutes ${GRACEFUL_DRAIN_MINUTES}`,
    );
    // The second stop after the installer is never graceful: nobody is connected any more.
    expect(command(graceful, 'services.stop-again')).toBe('Stop-PatchBotCsServices');
    expect(graceful.downtimeBudgetMs - plain.downtimeBudgetMs).toBe(GRACEFUL_DRAIN_MINUTES * 60_000);
    expect(graceful.request.graceful).toBe(true);
    expect(plain.request.graceful).toBe(false);
  });

  it('force lets the version-gap check accept the same version, and only that step changes', () => {
    const plain = plan({ server: 'backend01', edition: 'standard' });
    const forced = plan({ server: 'backend01', edition: 'standard', force: true });
    expect(command(forced, 'precheck.version')).toBe(
      "Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.530' -AllowSameVersion",
    );
    const changed = forced.steps.filter((s, i) => s.command !== plain.steps[i]?.command).map((s) => s.id);
    expect(changed).toEqual(['precheck.version']);
  });

  it('Enterprise: the mirror check names the pool and the mirroring the facts reported', () => {
    const p = plan({ ...ENTERPRISE, poolFqdn: 'Pool01.Contoso.Local', mirrored: true });
    expect(command(p, 'precheck.mirror')).toBe(
      "Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -PoolFqdn 'pool01.contoso.local' -Mirrored",
    );
    expect(p.request).toMatchObject({ poolFqdn: 'pool01.contoso.local', mirrored: true });
    expect(command(plan(ENTERPRISE), 'precheck.mirror')).toBe(
      "Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local'",
    );
  });

  it('Standard Edition plans have no SQL or mirror step and ignore a pool name', () => {
    const p = plan({ server: 'backend01', edition: 'standard', poolFqdn: 'backend01.contoso.local' });
    expect(p.steps.map((s) => s.id)).not.toContain('precheck.sql');
    expect(p.steps.map((s) => s.id)).not.toContain('precheck.mirror');
    expect(p.request.poolFqdn).toBeNull();
  });

  it.each([
    [{ ...ENTERPRISE, poolFqdn: "pool'; Stop-Computer #" }, 'invalid-pool-fqdn'],
    [{ ...ENTERPRISE, poolFqdn: 'pool01' }, 'invalid-pool-fqdn'],
    [{ server: 'backend01', edition: 'standard', mirrored: true }, 'mirror-on-standard'],
    [{ server: 'backend01', edition: 'standard', graceful: 'yes' }, 'invalid-option'],
    [{ ...ENTERPRISE, mirrored: 1 }, 'invalid-option'],
  ] as [UpdateRequest, string][])('refuses a bad option with a clear code (%#)', (request, code) => {
    const result = planUpdate(request, profile('sfb2019', request.server));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
  });

  it('carries the package it plans with, so dispatch can send it', () => {
    const p = plan({ server: 'backend01', edition: 'standard' });
    expect(p.package).toEqual({
      ...profile('sfb2019').package,
      sha256: profile('sfb2019').package.sha256.toUpperCase(),
    });
  });
});

describe('plan notes', () => {
  const keys = (p: Plan) => (p.notes ?? []).map((n) => n.key);

  it('Standard Edition: every homed user is cut off', () => {
    const p = plan({ server: 'backend01', edition: 'standard' });
    expect(p.notes).toEqual([{ key: 'plan.note.standard-users', params: { server: 'backend01' } }]);
  });

  it('Enterprise: where the runner lives, and mirroring when the facts said so', () => {
    expect(keys(plan(ENTERPRISE))).toEqual(['plan.note.enterprise-runner']);
    const mirrored = plan({ ...ENTERPRISE, mirrored: true });
    expect(mirrored.notes).toContainEqual({
      key: 'plan.note.mirrored',
      params: { sql: 'sql01.contoso.local' },
    });
    expect(keys(mirrored)).toEqual(['plan.note.enterprise-runner', 'plan.note.mirrored']);
  });

  it('graceful and force say so, with the limit and the version', () => {
    const p = plan({ server: 'backend01', edition: 'standard', graceful: true, force: true }, 'lync2013');
    expect(p.notes).toContainEqual({
      key: 'plan.note.graceful',
      params: { minutes: GRACEFUL_DRAIN_MINUTES },
    });
    expect(p.notes).toContainEqual({ key: 'plan.note.force', params: { version: '5.0.8308.1182' } });
  });
});
