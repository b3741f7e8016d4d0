import { describe, expect, it } from 'vitest';
import { planUpdate, resumeIndex, type Plan, type StepId } from '../../src/procedure/index.js';
import { profile } from './fixtures.js';

function plan(enterprise: boolean): Plan {
  const result = planUpdate(
    enterprise
      ? { server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' }
      : { server: 'backend01', edition: 'standard' },
    profile('sfb2019', enterprise ? 'be01' : 'backend01'),
  );
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe.each([false, true])('resumeIndex (enterprise: %s)', (enterprise) => {
  const p = plan(enterprise);
  const index = (id: StepId) => p.steps.findIndex((s) => s.id === id);
  const resumeAt = (id: StepId, reboot = false) => p.steps[resumeIndex(p, index(id), reboot)]?.id;

  it('resumes every step before downtime at that step', () => {
    for (const s of p.steps.filter((x) => x.phase === 'prestage')) expect(resumeAt(s.id)).toBe(s.id);
  });

  it.each(['services.stop', 'iis.stop', 'shell.close'] as const)(
    '%s resumes at services.stop: a restart in between starts the Cs services again',
    (id) => {
      expect(resumeAt(id)).toBe('services.stop');
      expect(resumeAt(id, true)).toBe('services.stop');
    },
  );

  it('update.install that asked for a restart resumes at shell.reopen, so the services are stopped first', () => {
    expect(resumeAt('update.install', true)).toBe('shell.reopen');
    const next = p.steps.slice(resumeIndex(p, index('update.install'), true)).map((s) => s.id);
    expect(next.indexOf('services.stop-again')).toBeLessThan(next.indexOf('database.update'));
    expect(next.indexOf('database.update')).toBeLessThan(next.indexOf('services.start'));
  });

  it('update.install that failed without a restart request resumes at itself', () => {
    expect(resumeAt('update.install', false)).toBe('update.install');
  });

  it.each(['shell.reopen', 'services.stop-again', 'iis.start', 'database.update'] as const)(
    '%s resumes at shell.reopen',
    (id) => expect(resumeAt(id)).toBe('shell.reopen'),
  );

  it.each(['services.start', 'services.verify', 'postcheck.version'] as const)(
    '%s (after the database update) resumes at itself',
    (id) => expect(resumeAt(id)).toBe(id),
  );

  it('leaves an index outside the plan as it is', () => {
    expect(resumeIndex(p, p.steps.length + 3, false)).toBe(p.steps.length + 3);
  });
});
