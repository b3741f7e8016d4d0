/**
 * Reports known vulnerabilities in the installed packages: `npm audit`, plus the advisories this
 * project tracks (src/admin/dependency-audit.ts). Exit code 0: nothing affected; 1: something
 * affected; 2: npm audit could not be asked (the tracked ones are still checked).
 *
 *   npm run audit:deps
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { checkTracked, readNpmAudit, renderDependencyReport } from '../src/admin/dependency-audit.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = spawnSync(npm, ['audit', '--json'], { encoding: 'utf8', timeout: 60_000 });
const spawnError = run.error ? `${run.error.message}` : undefined;
const audit = readNpmAudit(run.stdout ?? '', spawnError);
const lock: unknown = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const report = renderDependencyReport(audit, checkTracked(lock));
process.stdout.write(report.text);
process.exitCode = report.exitCode;
