/**
 * `npm run audit:deps` and the package overrides (issue 16, finding 8): the lock file holds no
 * copy of a tracked package below its fixed version; an unreachable advisory service is said
 * plainly; what could not be fixed is named.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkTracked,
  compareVersions,
  readNpmAudit,
  renderDependencyReport,
} from '../../src/admin/dependency-audit.js';

const lock: unknown = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));

describe('the installed packages', () => {
  it('hold no copy of send below 0.19.0 (CVE-2024-43799)', () => {
    const send = checkTracked(lock).find((f) => f.advisory.package === 'send')!;
    expect(send.copies.length).toBeGreaterThan(0);
    expect(send.copies.filter((c) => c.affected)).toEqual([]);
  });

  it('name what could not be fixed, and why it does not reach the bot', () => {
    const { text } = renderDependencyReport({ kind: 'report', vulnerabilities: [] }, checkTracked(lock));
    expect(text).toMatch(/Not fixed \(see above\): formidable\./);
    expect(text).toMatch(/never mounts restify's bodyParser/);
  });
});

describe('npm audit answers', () => {
  it('an advisory service that is not there: said plainly, exit 2, tracked ones still checked', () => {
    // What npm prints when the registry in use has no audit endpoint.
    const stdout = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
    });
    const audit = readNpmAudit(stdout);
    expect(audit).toEqual({ kind: 'unavailable', reason: expect.stringContaining('HTTP 405') });
    const fixed = checkTracked({ packages: { 'node_modules/send': { version: '0.19.0' } } });
    const report = renderDependencyReport(audit, fixed);
    expect(report.text).toMatch(/^npm audit could not be asked \(HTTP 405/);
    expect(report.text).toContain('send [CVE-2024-43799');
    expect(report.exitCode).toBe(2);
  });

  it('npm not runnable at all', () => {
    expect(readNpmAudit('', 'spawnSync npm ENOENT')).toEqual({
      kind: 'unavailable',
      reason: 'spawnSync npm ENOENT',
    });
  });

  it('a report with findings: listed, exit 1; an affected tracked copy also exits 1', () => {
    const audit = readNpmAudit(
      JSON.stringify({ vulnerabilities: { send: { severity: 'low', fixAvailable: true } } }),
    );
    expect(renderDependencyReport(audit, []).text).toContain('send (low): npm audit fix');
    expect(renderDependencyReport(audit, []).exitCode).toBe(1);
    const old = checkTracked({
      packages: { 'node_modules/restify/node_modules/send': { version: '0.18.0' } },
    });
    const clean = readNpmAudit(JSON.stringify({ vulnerabilities: {} }));
    expect(renderDependencyReport(clean, old)).toMatchObject({ exitCode: 1 });
    expect(renderDependencyReport(clean, old).text).toContain('0.18.0 (affected)');
  });

  it('compares versions numerically', () => {
    expect(compareVersions('0.18.0', '0.19.0')).toBe(-1);
    expect(compareVersions('0.19.2', '0.19.0')).toBe(1);
    expect(compareVersions('0.19.0', '0.19.0')).toBe(0);
    expect(compareVersions('0.9.0', '0.19.0')).toBe(-1);
  });
});
