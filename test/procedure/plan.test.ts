import { describe, expect, it } from 'vitest';
import { planUpdate, type Plan, type UpdateRequest } from '../../src/procedure/index.js';
import { profile, SHA } from './fixtures.js';

function commands(plan: Plan): string[] {
  return plan.steps.map((s) => `${s.phase.padEnd(8)} | ${s.id.padEnd(20)} | ${s.command}`);
}

function mustPlan(request: UpdateRequest, product: Parameters<typeof profile>[0]): Plan {
  const result = planUpdate(request, profile(product, request.server));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const SHA_UPPER = SHA.toUpperCase();

/** Golden plans: the exact command sequence per variant, in the reference article's order. */
const SFB_STANDARD = [
  'prestage | precheck.powershell  | Assert-PatchBotPowerShellVersion',
  'prestage | precheck.role        | Assert-PatchBotCsAdministrator',
  'prestage | precheck.reboot      | Assert-PatchBotNoPendingReboot',
  "prestage | precheck.disk        | Assert-PatchBotFreeSpace -Path 'C:\\PatchBot\\staging' -MinimumGB 10",
  "prestage | stage.fetch          | Save-PatchBotPackage -Source 'https://updates.contoso.local/cu/SkypeServerUpdateInstaller.exe' -Destination 'C:\\PatchBot\\staging\\SkypeServerUpdateInstaller.exe'",
  `prestage | stage.verify         | Assert-PatchBotFileHash -Path 'C:\\PatchBot\\staging\\SkypeServerUpdateInstaller.exe' -Sha256 '${SHA_UPPER}'`,
  "prestage | stage.extract        | Expand-PatchBotPackage -Path 'C:\\PatchBot\\staging\\SkypeServerUpdateInstaller.exe' -Destination 'C:\\PatchBot\\staging\\7.0.2046.530' -Installer 'SkypeServerUpdateInstaller.exe'",
  'prestage | shell.open           | Import-Module SkypeForBusiness',
  'prestage | precheck.services    | Assert-PatchBotCsServicesPresent',
  'prestage | precheck.shells      | Assert-PatchBotNoOtherShells -Module SkypeForBusiness',
  "prestage | precheck.version     | Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.530'",
  'downtime | services.stop        | Stop-PatchBotCsServices',
  'downtime | iis.stop             | Stop-PatchBotIis',
  'downtime | shell.close          | ',
  "downtime | update.install       | Install-PatchBotUpdate -Installer 'C:\\PatchBot\\staging\\7.0.2046.530\\SkypeServerUpdateInstaller.exe' -Module SkypeForBusiness",
  'downtime | shell.reopen         | Import-Module SkypeForBusiness',
  'downtime | services.stop-again  | Stop-PatchBotCsServices',
  'downtime | iis.start            | Start-PatchBotIis',
  'downtime | database.update      | Update-PatchBotDatabase -Variant standard',
  'downtime | services.start       | Start-CsWindowsService',
  'downtime | services.verify      | Assert-PatchBotCsServicesRunning',
  "post     | postcheck.version    | Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.530'",
];

/** An Enterprise plan: the SQL rights and mirror checks before downtime, the remote database update. */
function asEnterprise(
  golden: string[],
  variant: string,
  mirror = "-SqlServerFqdn 'sql01.contoso.local'",
): string[] {
  return golden.flatMap((line) => {
    if (line.includes('| database.update'))
      return [
        `downtime | database.update      | Update-PatchBotDatabase -Variant ${variant} -SqlServerFqdn 'sql01.contoso.local'`,
      ];
    if (line.includes('| precheck.version'))
      return [
        line,
        "prestage | precheck.sql         | Assert-PatchBotSqlRights -SqlServerFqdn 'sql01.contoso.local'",
        `prestage | precheck.mirror      | Assert-PatchBotDatabaseMirror ${mirror}`,
      ];
    return [line];
  });
}

function asLync(golden: string[]): string[] {
  return golden.map((line) =>
    line
      .replaceAll('SkypeServerUpdateInstaller.exe', 'LyncServerUpdateInstaller.exe')
      .replaceAll('7.0.2046.530', '5.0.8308.1182')
      .replaceAll('Import-Module SkypeForBusiness', 'Import-Module Lync')
      .replaceAll('-Module SkypeForBusiness', '-Module Lync')
      .replaceAll('-Product SkypeForBusiness', '-Product Lync2013'),
  );
}

describe('planUpdate golden plans', () => {
  const cases: [string, UpdateRequest, Parameters<typeof profile>[0], string[]][] = [
    ['SfB Standard', { server: 'backend01', edition: 'standard' }, 'sfb2019', SFB_STANDARD],
    [
      'SfB Enterprise',
      { server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
      'sfb2019',
      asEnterprise(SFB_STANDARD, 'enterprise'),
    ],
    [
      'SfB Enterprise collocated',
      { server: 'be01', edition: 'enterprise', sqlServerFqdn: 'SQL01.contoso.local', collocated: true },
      'sfb2015',
      asEnterprise(SFB_STANDARD, 'enterprise-collocated'),
    ],
    ['Lync 2013 Standard', { server: 'lyncse01', edition: 'standard' }, 'lync2013', asLync(SFB_STANDARD)],
    [
      'Lync 2013 Enterprise',
      { server: 'lyncbe01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
      'lync2013',
      asLync(asEnterprise(SFB_STANDARD, 'enterprise')),
    ],
    [
      'Lync 2013 Enterprise collocated',
      { server: 'lyncbe01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local', collocated: true },
      'lync2013',
      asLync(asEnterprise(SFB_STANDARD, 'enterprise-collocated')),
    ],
  ];

  it.each(cases)('%s', (_name, request, product, golden) => {
    const plan = mustPlan(request, product);
    expect(commands(plan).map((l) => l.trimEnd())).toEqual(golden.map((l) => l.trimEnd()));
  });

  it('follows the reference article order for the article steps', () => {
    const plan = mustPlan({ server: 'backend01', edition: 'standard' }, 'sfb2019');
    const articleSteps = plan.steps.map((s) => s.articleStep).filter((n): n is number => n !== null);
    expect(articleSteps).toEqual([...articleSteps].sort((a, b) => a - b));
    expect(new Set(articleSteps)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  });

  it('stages and checks everything before downtime starts', () => {
    const plan = mustPlan({ server: 'backend01', edition: 'standard' }, 'sfb2019');
    const start = plan.steps.findIndex((s) => s.id === plan.downtimeStartsAt);
    const before = plan.steps.slice(0, start);
    expect(plan.steps[start]?.command).toBe('Stop-PatchBotCsServices');
    expect(before.every((s) => s.phase === 'prestage')).toBe(true);
    expect(before.map((s) => s.id)).toEqual(
      expect.arrayContaining([
        'precheck.role',
        'precheck.reboot',
        'precheck.disk',
        'stage.fetch',
        'stage.verify',
        'stage.extract',
        'precheck.shells',
      ]),
    );
  });

  it('ends downtime once every Cs service runs again, after Start-CsWindowsService', () => {
    const plan = mustPlan({ server: 'backend01', edition: 'standard' }, 'sfb2019');
    const end = plan.steps.findIndex((s) => s.id === plan.downtimeEndsAfter);
    expect(plan.steps[end - 1]?.command).toBe('Start-CsWindowsService');
    expect(plan.steps.slice(end + 1).every((s) => s.phase === 'post')).toBe(true);
  });

  it('starts a fresh shell after the installer and closes the old one before it', () => {
    const plan = mustPlan({ server: 'backend01', edition: 'standard' }, 'sfb2019');
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('shell.close')?.session).toBe('close-session');
    expect(byId.get('update.install')?.session).toBe('new-session');
    expect(byId.get('shell.reopen')?.session).toBe('new-session');
  });

  it('never retries the installer or the database update automatically', () => {
    const plan = mustPlan({ server: 'backend01', edition: 'standard' }, 'sfb2019');
    const unsafe = plan.steps.filter((s) => !s.retrySafe).map((s) => s.id);
    expect(unsafe).toEqual(['update.install', 'database.update']);
  });

  it('gives every step a stable id, index, title key and positive timeout', () => {
    const plan = mustPlan({ server: 'backend01', edition: 'standard' }, 'sfb2019');
    plan.steps.forEach((s, i) => {
      expect(s.index).toBe(i + 1);
      expect(s.titleKey).toBe(`step.${s.id}`);
      expect(s.timeoutMs).toBeGreaterThan(0);
    });
    expect(new Set(plan.steps.map((s) => s.id)).size).toBe(plan.steps.length);
    expect(plan.downtimeBudgetMs).toBe(
      plan.steps.filter((s) => s.phase === 'downtime').reduce((n, s) => n + s.timeoutMs, 0),
    );
  });
});

describe('underlying: the Microsoft commands behind our wrappers (display only)', () => {
  const underlying = (plan: Plan) => Object.fromEntries(plan.steps.map((s) => [s.id, s.underlying]));
  const base = { server: 'backend01', edition: 'standard' } as const;

  it('standard SfB: the article lines, the installer and Get-CsServerPatchVersion', () => {
    const u = underlying(mustPlan({ ...base }, 'sfb2019'));
    expect(u['services.stop']).toBe('Stop-CsWindowsService');
    expect(u['services.stop-again']).toBe('Stop-CsWindowsService');
    expect(u['iis.stop']).toBe('net stop w3svc /y');
    expect(u['iis.start']).toBe('net start w3svc');
    expect(u['database.update']).toBe('Install-CsDatabase -Update -LocalDatabases');
    expect(u['update.install']).toBe('SkypeServerUpdateInstaller.exe /silentmode');
    expect(u['precheck.version']).toBe('Get-CsServerPatchVersion');
    expect(u['postcheck.version']).toBe('Get-CsServerPatchVersion');
    // Our own checks have none.
    expect(u['precheck.role']).toBeUndefined();
    expect(u['shell.close']).toBeUndefined();
  });

  it('Enterprise, collocated, mirrored, graceful, Lync 2013', () => {
    const enterprise = { ...base, edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' } as const;
    const e = underlying(mustPlan({ ...enterprise }, 'sfb2019'));
    expect(e['database.update']).toBe(
      "Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn 'sql01.contoso.local'",
    );
    expect(e['precheck.mirror']).toBe('Get-CsDatabaseMirrorState');
    const c = underlying(
      mustPlan({ ...enterprise, collocated: true, mirrored: true, graceful: true }, 'sfb2019'),
    );
    expect(c['database.update']).toBe(
      "Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn 'sql01.contoso.local' -ExcludeCollocatedStores",
    );
    expect(c['precheck.mirror']).toBe(
      'Get-CsDatabaseMirrorState; Invoke-CsDatabaseFailover -NewPrincipal Primary',
    );
    expect(c['services.stop']).toBe('Stop-CsWindowsService -Graceful -NoWait');
    expect(c['services.stop-again']).toBe('Stop-CsWindowsService');
    const l = underlying(mustPlan({ ...base }, 'lync2013'));
    expect(l['update.install']).toBe('LyncServerUpdateInstaller.exe /silentmode');
    expect(l['postcheck.version']).toBe(
      "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'",
    );
  });
});
