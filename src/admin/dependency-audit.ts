/**
 * `npm run audit:deps`: what is known about the installed packages. It asks `npm audit` (the
 * registry's advisory service) and, beside it, checks the lock file against the advisories this
 * project tracks by hand: those it fixed with package.json `overrides`, and those it could not
 * fix, with what limits their reach. When the advisory service cannot be reached (offline, or a
 * registry mirror without the audit endpoint), it says so plainly and still reports the tracked
 * ones, so the answer is never a silent "nothing found".
 */

export interface TrackedAdvisory {
  package: string;
  ids: string[];
  summary: string;
  /** Versions below this are affected; null = no fixed release in the line this project can use. */
  fixedIn: string | null;
  /** What this project did about it. */
  handling: string;
}

export const TRACKED_ADVISORIES: readonly TrackedAdvisory[] = [
  {
    package: 'send',
    ids: ['CVE-2024-43799', 'GHSA-m6fv-jmcg-4jfg'],
    summary: 'template injection through SendStream.redirect() (restify serveStatic depends on send)',
    fixedIn: '0.19.0',
    handling:
      'forced to ^0.19.0 through package.json overrides (restify 11 asks for ^0.18.0; the API is unchanged)',
  },
  {
    package: 'formidable',
    ids: ['CVE-2022-29622', 'GHSA-8cp3-66vr-3r4c'],
    summary:
      "restify's multipart body parser writes uploads to the temp folder (the 2022 advisory about that upload handling is marked disputed)",
    fixedIn: null,
    handling:
      'not fixable by an override: restify 11 calls the 1.x API (new IncomingForm()), later majors change it (3.x is ESM only). ' +
      "Not reachable in the bot: it never mounts restify's bodyParser, and /api/messages and the runner API refuse any " +
      'non-JSON body with 415 before reading it (test/bot/edge.test.ts).',
  },
];

export interface LockPackage {
  path: string;
  version: string;
}

/** Every installed copy of `name` in a package-lock.json (v2/v3) object. */
export function installed(lock: unknown, name: string): LockPackage[] {
  const packages = (lock as { packages?: Record<string, { version?: string }> }).packages ?? {};
  return Object.entries(packages)
    .filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
    .map(([path, entry]) => ({ path, version: entry.version ?? '?' }));
}

/** -1, 0 or 1 for dotted numeric versions (pre-release tags are ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split('-')[0]!
      .split('.')
      .map((n) => Number(n) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export interface TrackedFinding {
  advisory: TrackedAdvisory;
  copies: Array<LockPackage & { affected: boolean }>;
}

export function checkTracked(lock: unknown): TrackedFinding[] {
  return TRACKED_ADVISORIES.map((advisory) => ({
    advisory,
    copies: installed(lock, advisory.package).map((copy) => ({
      ...copy,
      affected: advisory.fixedIn === null || compareVersions(copy.version, advisory.fixedIn) < 0,
    })),
  }));
}

export type AuditOutcome =
  | { kind: 'report'; vulnerabilities: Array<{ name: string; severity: string; fix: string }> }
  | { kind: 'unavailable'; reason: string };

/** Reads `npm audit --json` output (and its exit status) into a report or a plain "could not ask". */
export function readNpmAudit(stdout: string, spawnError?: string): AuditOutcome {
  if (spawnError) return { kind: 'unavailable', reason: spawnError };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return { kind: 'unavailable', reason: 'npm audit did not answer with JSON' };
  }
  const vulnerabilities = parsed.vulnerabilities as
    Record<string, { severity?: string; fixAvailable?: unknown }> | undefined;
  if (vulnerabilities && typeof vulnerabilities === 'object') {
    return {
      kind: 'report',
      vulnerabilities: Object.entries(vulnerabilities).map(([name, v]) => ({
        name,
        severity: v.severity ?? 'unknown',
        fix:
          v.fixAvailable === true
            ? 'npm audit fix'
            : v.fixAvailable && typeof v.fixAvailable === 'object'
              ? 'breaking upgrade available'
              : 'no fix available',
      })),
    };
  }
  const error = parsed.error as { summary?: string; code?: string } | undefined;
  const status = typeof parsed.statusCode === 'number' ? `HTTP ${parsed.statusCode}` : '';
  const message = typeof parsed.message === 'string' ? parsed.message : (error?.summary ?? error?.code ?? '');
  return { kind: 'unavailable', reason: [status, message].filter(Boolean).join(': ') || 'no report' };
}

/** The text `npm run audit:deps` prints, and its exit code (0 nothing affected, 1 affected, 2 could not ask npm). */
export function renderDependencyReport(
  audit: AuditOutcome,
  tracked: TrackedFinding[],
): { text: string; exitCode: number } {
  const lines: string[] = [];
  if (audit.kind === 'unavailable') {
    lines.push(
      `npm audit could not be asked (${audit.reason}). The registry in use (or the network) does not ` +
        'offer the advisory service; run `npm audit` where the public npm registry is reachable. ' +
        'The advisories this project tracks are checked below all the same.',
    );
  } else if (audit.vulnerabilities.length === 0) {
    lines.push('npm audit: no known vulnerabilities.');
  } else {
    lines.push(`npm audit: ${audit.vulnerabilities.length} package(s) with known vulnerabilities:`);
    for (const v of audit.vulnerabilities) lines.push(`  ${v.name} (${v.severity}): ${v.fix}`);
  }
  lines.push('', 'Tracked advisories (package-lock.json):');
  let affected = 0;
  for (const finding of tracked) {
    const { advisory } = finding;
    const versions = finding.copies.map((c) => `${c.version}${c.affected ? ' (affected)' : ''}`).join(', ');
    lines.push(`  ${advisory.package} [${advisory.ids.join(', ')}]: ${versions || 'not installed'}`);
    lines.push(`    ${advisory.summary}`);
    lines.push(`    fixed in: ${advisory.fixedIn ?? 'no usable release'}; ${advisory.handling}`);
    if (advisory.fixedIn !== null) affected += finding.copies.filter((c) => c.affected).length;
  }
  const unfixable = tracked.filter((f) => f.advisory.fixedIn === null && f.copies.length > 0);
  if (unfixable.length > 0)
    lines.push('', `Not fixed (see above): ${unfixable.map((f) => f.advisory.package).join(', ')}.`);
  const npmFound = audit.kind === 'report' && audit.vulnerabilities.length > 0;
  const exitCode = affected > 0 || npmFound ? 1 : audit.kind === 'unavailable' ? 2 : 0;
  return { text: `${lines.join('\n')}\n`, exitCode };
}
