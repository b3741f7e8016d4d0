import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, BE01 } from '../../src/lab/servers.js';
import { checkJob } from '../../src/runner/job-check.js';
import { fixture, jobFor, removeTempDirs } from './support.js';

afterAll(removeTempDirs);

const base = jobFor(BE01);

/** Values an attacker (or a confused bot) might put where a host name or a flag belongs. */
const HOSTILE_SQL = [
  "sql01.contoso.local'; Stop-Computer -Force; '",
  'sql01.contoso.local$(Stop-Computer)',
  'sql01.contoso.local`nStop-Computer',
  'sql01.contoso.local\nStop-Computer',
  'sql01.contoso.local\u2019; Remove-Item C:\\ -Recurse; \u2018',
  'sql01.contoso.local;net user x /add',
  'sql01.contoso.local | Out-File x',
  '"sql01.contoso.local"',
  '@(Stop-Computer).contoso.local',
  `${'a'.repeat(300)}.contoso.local`,
  'sql01.contoso.local\u0000',
  'ｓｑｌ01.contoso.local',
];

const REJECTED: [string, unknown, string][] = [
  [
    'an unknown step',
    { ...base, steps: [...base.steps.slice(0, 3), 'Invoke-Expression', ...base.steps.slice(4)] },
    'unknown-step',
  ],
  ['raw script text in an extra field', { ...base, script: 'Stop-Computer -Force' }, 'job-extra-field'],
  ['a command field', { ...base, command: 'Remove-Item C:\\' }, 'job-extra-field'],
  [
    'an extra request field',
    { ...base, request: { ...base.request, extraArgs: '-Force' } },
    'job-extra-field',
  ],
  [
    '__proto__ smuggling',
    JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(base).slice(1)}`),
    'job-extra-field',
  ],
  [
    'a step sequence with a step left out',
    { ...base, steps: base.steps.filter((s) => s !== 'precheck.shells') },
    'plan-mismatch',
  ],
  [
    'steps in another order',
    { ...base, steps: [base.steps[1], base.steps[0], ...base.steps.slice(2)] },
    'plan-mismatch',
  ],
  ['a duplicated step', { ...base, steps: [...base.steps, 'update.install'] }, 'plan-mismatch'],
  ['a job for another server', { ...base, server: 'backend01' }, 'wrong-server'],
  [
    'a request for another server',
    { ...base, request: { ...base.request, server: 'backend01' } },
    'wrong-server',
  ],
  ['a hostile server name', { ...base, server: "be01'; Stop-Computer; '" }, 'invalid-server'],
  [
    'the other edition than the profile says',
    { ...base, request: { ...base.request, edition: 'standard' } },
    'edition-mismatch',
  ],
  ['an unknown edition', { ...base, request: { ...base.request, edition: 'datacenter' } }, 'invalid-edition'],
  [
    'collocated as a string',
    { ...base, request: { ...base.request, collocated: 'true; Stop-Computer' } },
    'job-malformed',
  ],
  ['a fractional runId', { ...base, runId: 1.5 }, 'job-malformed'],
  ['attempt 0', { ...base, attempt: 0 }, 'job-malformed'],
  ['startIndex past the end', { ...base, startIndex: 99 }, 'job-malformed'],
  ['a negative startIndex', { ...base, startIndex: -1 }, 'job-malformed'],
  ['a job that is not an object', 'Stop-Computer', 'job-malformed'],
  ['an array', [base], 'job-malformed'],
  ...HOSTILE_SQL.map((sql): [string, unknown, string] => [
    `hostile SQL FQDN ${JSON.stringify(sql).slice(0, 40)}`,
    { ...base, request: { ...base.request, sqlServerFqdn: sql } },
    'invalid-sql-fqdn',
  ]),
];

describe('the allow-list gate (checkJob)', () => {
  it('accepts the job the bot plans for this server', () => {
    const checked = checkJob(JSON.parse(JSON.stringify(base)), BE01.profile);
    expect(checked.ok).toBe(true);
  });

  it("accepts the null SQL FQDN the bot's plan carries for a Standard Edition server", () => {
    const job = jobFor(BACKEND01);
    const checked = checkJob({ ...job, request: { ...job.request, sqlServerFqdn: null } }, BACKEND01.profile);
    expect(checked.ok).toBe(true);
  });

  it.each(REJECTED)('rejects %s', (_name, job, code) => {
    const checked = checkJob(job, BE01.profile);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.error.code).toBe(code);
  });
});

describe('rejected jobs never reach PowerShell', () => {
  it('starts no process and sends no command for any rejected job', async () => {
    const f = await fixture(BE01);
    for (const [, job, code] of REJECTED) {
      const report = await f.executor.run(job);
      expect(report.outcome).toBe('rejected');
      expect(report.error?.code).toBe(code);
      expect(report.results).toEqual([]);
    }
    const state = f.lab.readState();
    expect(state.sessions).toEqual([]);
    expect(state.log).toEqual([]);
    expect(f.journal.pendingResults()).toEqual([]);
    expect(f.journal.activeRun()).toBeNull();
    await f.cleanup();
  });

  it('does not run the same run attempt twice', async () => {
    const f = await fixture(BACKEND01, {
      faults: [{ command: 'Assert-PatchBotCsAdministrator', fault: { kind: 'error', message: 'no' } }],
    });
    const job = jobFor(BACKEND01);
    expect((await f.executor.run(job)).outcome).toBe('failed');
    const again = await f.executor.run(job);
    expect(again.outcome).toBe('rejected');
    expect(again.error?.code).toBe('job-already-run');
    expect(f.lab.readState().sessions).toHaveLength(1);
    await f.cleanup();
  });
});
