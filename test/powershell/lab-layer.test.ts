import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProductFamily } from '../../src/procedure/index.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import {
  BACKEND01,
  BE01,
  createLabServer,
  LYNCBE01,
  type LabServer,
  type LabServerSpec,
} from '../../src/lab/servers.js';
import type { LabConditions } from '../../src/lab/state.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';

/**
 * The real PatchBot.psm1 in real pwsh over the lab's fake Windows/Lync layer (src/lab/powershell/),
 * through the situations of issue 15's "done when": an installer asking for a restart and the run
 * picked up after it, a mirrored back end, an older PowerShell, a lagging component. Each batch of
 * lines runs in one new pwsh process, as a session of the runner would; what each line wrote,
 * threw and left in $LASTEXITCODE comes back as JSON. (That both lab engines agree is
 * test/lab/parity.test.ts's job.)
 */

interface LineResult {
  line: string;
  out: string[];
  error: string | null;
  exit: number | null;
}

const SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Invoke-Expression $env:PATCHBOT_LAB_SETUP
Import-Module -Name $env:PATCHBOT_MODULE
$results = New-Object System.Collections.ArrayList
foreach ($line in @(ConvertFrom-Json -InputObject $env:PATCHBOT_LAB_LINES)) {
    $global:LASTEXITCODE = $null
    $out = New-Object System.Collections.ArrayList
    $thrown = $null
    try {
        Invoke-Expression $line | ForEach-Object { [void] $out.Add("$_") }
    }
    catch {
        $thrown = $_.Exception.Message
    }
    [void] $results.Add([ordered]@{ line = $line; out = @($out.ToArray()); error = $thrown; exit = $global:LASTEXITCODE })
}
ConvertTo-Json -InputObject @($results.ToArray()) -Depth 5 | Set-Content -LiteralPath $env:PATCHBOT_LAB_RESULT -Encoding utf8
`;

const MODULES: Record<ProductFamily, string> = {
  lync2013: 'Lync',
  sfb2015: 'SkypeForBusiness',
  sfb2019: 'SkypeForBusiness',
  sfbse: 'SkypeForBusiness',
};

describeOnRealPwsh('the lab pwsh layer under the real PatchBot.psm1', (pwsh) => {
  let root = '';
  let scriptFile = '';
  let serial = 0;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'patchbot-lab-layer-'));
    scriptFile = join(root, 'run-lines.ps1');
    await writeFile(scriptFile, SCRIPT);
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  function server(spec: LabServerSpec, conditions: Partial<LabConditions> = {}): LabServer {
    serial += 1;
    return createLabServer(spec, { dir: join(root, `s${serial}`), engine: 'pwsh', timeScale: 0, conditions });
  }

  /** One new pwsh process (one session) runs the lines in order. */
  async function run(lab: LabServer, lines: string[]): Promise<LineResult[]> {
    const result = join(root, `result-${++serial}.json`);
    await promisify(execFile)(pwsh, ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', scriptFile], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        ...process.env,
        PATCHBOT_LAB_SETUP: lab.shell.setupCommands?.[0] ?? '',
        PATCHBOT_MODULE: PATCHBOT_MODULE_PATH,
        PATCHBOT_LAB_LINES: JSON.stringify(lines),
        PATCHBOT_LAB_RESULT: result,
      },
    });
    const parsed = JSON.parse((await readFile(result, 'utf-8')).replace(/^\uFEFF/, '')) as LineResult[];
    expect(parsed.map((r) => r.line)).toEqual(lines);
    return parsed;
  }

  const staging = 'C:\\PatchBot\\staging';
  function stageLines(lab: LabServer): string[] {
    const pkg = lab.profile.package;
    return [
      `Save-PatchBotPackage -Source '${pkg.source}' -Destination '${staging}\\${pkg.fileName}'`,
      `Expand-PatchBotPackage -Path '${staging}\\${pkg.fileName}' -Destination '${staging}\\${pkg.version}' -Installer '${pkg.fileName}'`,
    ];
  }
  const installLine = (lab: LabServer) =>
    `Install-PatchBotUpdate -Installer '${staging}\\${lab.profile.package.version}\\${lab.profile.package.fileName}' -Module ${MODULES[lab.profile.product]}`;

  it('an installer asking for a restart (3010), a restart, then the rest of the run from shell.reopen', async () => {
    const lab = server(BACKEND01, { installerExitCode: 3010 });
    const { version } = lab.profile.package;
    const staged = await run(lab, [
      ...stageLines(lab),
      'Import-Module SkypeForBusiness',
      'Stop-PatchBotCsServices',
      'Stop-PatchBotIis',
    ]);
    expect(staged.map((r) => r.error)).toEqual([null, null, null, null, null]);
    expect(staged[1]!.out).toContain(
      'SkypeServerUpdateInstaller.exe is ready in C:\\PatchBot\\staging\\7.0.2046.530.',
    );

    const [install] = await run(lab, [installLine(lab)]);
    expect(install!.error).toBeNull();
    expect(install!.exit).toBe(3010);
    expect(install!.out.at(-1)).toBe(
      `C:\\PatchBot\\staging\\${version}\\SkypeServerUpdateInstaller.exe finished (exit code 3010): a restart is required to complete the update.`,
    );
    // The installer's own log, from its folder, before the verdict.
    expect(install!.out[0]).toMatch(
      /^--- last lines of C:\\PatchBot\\staging\\7\.0\.2046\.530\\SkypeServerUpdateInstaller-\d{8}-\d{6}\.log ---$/,
    );
    expect(install!.out.slice(1, 3)).toEqual(['SIMULATED installer log (patch bot lab)', 'Exit code: 3010']);
    expect(lab.readState().conditions.pendingReboot).toBe(true);
    expect(lab.readState().installedVersion).toBe(version);

    // Windows comes back: W3SVC and the Cs services run again, against the old database schema.
    lab.restart();
    expect(lab.readState().w3svc).toBe('Running');
    const resumed = await run(lab, [
      'Import-Module SkypeForBusiness',
      'Stop-PatchBotCsServices',
      'Start-PatchBotIis',
      'Update-PatchBotDatabase -Variant standard',
      'Start-CsWindowsService',
      'Assert-PatchBotCsServicesRunning',
      `Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '${version}'`,
    ]);
    expect(resumed.map((r) => r.error)).toEqual([null, null, null, null, null, null, null]);
    expect(resumed[1]!.out).toEqual(['The Cs services are stopped.']);
    expect(resumed[2]!.out).toEqual(['W3SVC (IIS) is already running.']);
    expect(resumed[3]!.out).toContain('Test-CsDatabase: update needed.');
    expect(resumed[3]!.out.at(-1)).toBe('Test-CsDatabase: done.');
    expect(resumed[3]!.out).toContain(`Summary: 8 databases updated on backend01, 0 errors.`);
    const state = lab.readState();
    expect(state.databaseVersion).toBe(version);
    expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
    expect(state.w3svc).toBe('Running');
  });

  it('retried downtime steps say "already" instead of failing on net', async () => {
    const lab = server(BACKEND01);
    const results = await run(lab, [
      'Stop-PatchBotIis',
      'Stop-PatchBotIis',
      'Start-PatchBotIis',
      'Start-PatchBotIis',
      'Stop-PatchBotCsServices -Graceful -TimeoutMinutes 1',
      'Stop-PatchBotCsServices',
    ]);
    expect(results.map((r) => [r.error, r.exit])).toEqual([
      [null, 0],
      [null, 0],
      [null, 0],
      [null, 0],
      [null, null],
      [null, null],
    ]);
    expect(results.map((r) => r.out.at(-1))).toEqual([
      'W3SVC (IIS) is stopped.',
      'W3SVC (IIS) is already stopped.',
      'W3SVC (IIS) is running.',
      'W3SVC (IIS) is already running.',
      'The Cs services are stopped.',
      'The Cs services are already stopped.',
    ]);
    // The lab drains at once: the graceful stop checks before it waits.
    expect(results[4]!.out).toEqual([
      'The Cs services drained and stopped within 1 minutes.',
      'The Cs services are stopped.',
    ]);
  });

  it('a mirrored back end whose mirror is principal: refused unplanned, failed back when planned, before any downtime', async () => {
    const lab = server(BE01, { mirrored: true, principalOnMirror: true });
    const sql = "-SqlServerFqdn 'sql01.contoso.local'";
    const [unplanned, update] = await run(lab, [
      `Assert-PatchBotDatabaseMirror ${sql}`,
      `Update-PatchBotDatabase -Variant enterprise ${sql}`,
    ]);
    expect(unplanned!.error).toBe(
      'The back-end databases of the pool be01-pool.contoso.local are mirrored, but the plan did not know. Ask for the update again so that it is planned with what the server reports now.',
    );
    // Install-CsDatabase -Update cannot run while the mirror is principal.
    expect(update!.error).toMatch(
      /^Install-CsDatabase -Update failed: Install-CsDatabase: the databases are mirrored and sql01-mirror\.contoso\.local is their principal; /,
    );
    expect(lab.readState().conditions.principalOnMirror).toBe(true);

    const [planned] = await run(lab, [
      `Assert-PatchBotDatabaseMirror ${sql} -PoolFqdn 'be01-pool.contoso.local' -Mirrored`,
    ]);
    expect(planned!.error).toBeNull();
    expect(planned!.out.slice(-4)).toEqual([
      'Failed the CentralMgmt databases over to sql01.contoso.local (Invoke-CsDatabaseFailover -NewPrincipal Primary).',
      'Failed the User databases over to sql01.contoso.local (Invoke-CsDatabaseFailover -NewPrincipal Primary).',
      'Failed the Application databases over to sql01.contoso.local (Invoke-CsDatabaseFailover -NewPrincipal Primary).',
      'Every mirrored database of the pool be01-pool.contoso.local is principal on sql01.contoso.local.',
    ]);
    expect(lab.readState().conditions.principalOnMirror).toBe(false);
    expect(Object.values(lab.readState().services).every((s) => s === 'Running')).toBe(true);
  });

  it('a failover that fails stops the check, with nothing stopped', async () => {
    const lab = server(BE01, { mirrored: true, principalOnMirror: true, failoverFails: true });
    const [result] = await run(lab, [
      "Assert-PatchBotDatabaseMirror -SqlServerFqdn 'sql01.contoso.local' -Mirrored",
    ]);
    expect(result!.error).toBe(
      'Failing the CentralMgmt databases of the pool be01-pool.contoso.local back to sql01.contoso.local failed: The mirror of the pool be01-pool.contoso.local did not give up the principal role (simulated failover failure). Nothing has been stopped; make sql01.contoso.local the principal by hand, then retry.',
    );
    expect(lab.readState().conditions.principalOnMirror).toBe(true);
  });

  it.each([
    { version: '5.1', dotNet45: true, error: null },
    { version: '4.0', dotNet45: true, error: null },
    {
      version: '2.0',
      dotNet45: true,
      error:
        'Windows PowerShell 2.0 or older is installed; the patch bot needs 3.0 or later. Install Windows Management Framework 3.0 or later (5.1 recommended), then retry.',
    },
    {
      version: '4.0',
      dotNet45: false,
      error:
        '.NET Framework 4.5 or later is not installed (found: none). Install .NET Framework 4.5 or later, then retry.',
    },
  ])(
    'PowerShell $version, .NET 4.5 $dotNet45: handled or refused before downtime',
    async ({ version, dotNet45, error }) => {
      const lab = server(LYNCBE01, { powershellVersion: version, dotNet45 });
      const [check] = await run(lab, ['Assert-PatchBotPowerShellVersion']);
      expect(check!.error).toBe(error);
      if (error === null) {
        expect(check!.out).toEqual([
          `Windows PowerShell ${version} and .NET Framework 4.5 or later (release 528049) are installed.`,
        ]);
      }
    },
  );

  it('a component the installer left behind fails the post-check, named, though the others reached the target', async () => {
    const lagging = 'Skype for Business Server 2019, Front End Server';
    const lab = server(BACKEND01, { laggingComponent: lagging });
    const { version } = lab.profile.package;
    await run(lab, stageLines(lab));
    const [install] = await run(lab, [installLine(lab)]);
    expect(install!.exit).toBe(0);
    const [listed, post] = await run(lab, [
      'Get-PatchBotPatchVersion -Product SkypeForBusiness',
      `Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '${version}'`,
    ]);
    expect(listed!.out).toEqual([
      `Skype for Business Server 2019, Core Components ${version}`,
      `${lagging} 7.0.2046.520`,
      `Skype for Business Server 2019, Administrative Tools ${version}`,
      '7.0.2046.520',
    ]);
    expect(post!.error).toBe(
      `Below ${version} after the update: ${lagging} (7.0.2046.520). The update did not take effect on every component: see the installer log, then run the update again.`,
    );
    expect(lab.readState().installedVersion).toBe('7.0.2046.520');
  });

  it('exit 0 with a restart left pending says so; 1618 and an open Topology Builder change nothing', async () => {
    const pending = server(BACKEND01, { installerLeavesRestartPending: true });
    await run(pending, stageLines(pending));
    const [zero] = await run(pending, [installLine(pending)]);
    expect(zero!.exit).toBe(0);
    expect(zero!.out.at(-1)).toMatch(
      /finished \(exit code 0\), but a restart is pending \(Component Based Servicing\\RebootPending\): a restart is required to complete the update\.$/,
    );

    const busy = server(BACKEND01, { installerExitCode: 1618 });
    await run(busy, stageLines(busy));
    const [other] = await run(busy, [installLine(busy)]);
    expect(other!.exit).toBe(1618);
    expect(other!.error).toMatch(
      /exited with code 1618: another installation is already in progress on this server\./,
    );
    expect(other!.out.slice(1)).toEqual(['SIMULATED installer log (patch bot lab)', 'Exit code: 1618']);
    expect(busy.readState().installedVersion).toBe(BACKEND01.installedVersion);

    const tools = server(BACKEND01, { deploymentToolsRunning: true });
    await run(tools, stageLines(tools));
    const [refused] = await run(tools, [installLine(tools)]);
    expect(refused!.error).toBe(
      'Topology Builder or the Deployment Wizard is open: PID 4242 (Microsoft.Rtc.Management.TopologyBuilder). Close it, then retry; the installer was not started.',
    );
    expect(refused!.out).toEqual([]);
    expect(tools.readState().installedVersion).toBe(BACKEND01.installedVersion);
  });

  it('server facts: one JSON line per server, read from the Cs cmdlets, the registry and the disk', async () => {
    const cases = [
      { spec: BACKEND01, product: 'SkypeForBusiness', conditions: {} },
      {
        spec: BE01,
        product: 'SkypeForBusiness',
        conditions: { mirrored: true, serverPatchVersionCmdlet: false },
      },
      {
        spec: LYNCBE01,
        product: 'Lync2013',
        conditions: { csServicesInstalled: false, powershellVersion: '2.0' },
      },
    ];
    for (const { spec, product, conditions } of cases) {
      const lab = server(spec, conditions);
      const [facts] = await run(lab, [
        `Get-PatchBotServerFacts -Product ${product} -StagingPath '${staging}'`,
      ]);
      expect(facts!.error).toBeNull();
      expect(facts!.out).toHaveLength(1);
      const state = lab.readState();
      const enterprise = spec.edition === 'enterprise';
      expect(JSON.parse(facts!.out[0]!)).toEqual({
        productName: product,
        installedVersion: spec.installedVersion,
        components: state.components.map((name) => ({ name, version: spec.installedVersion })),
        edition: spec.edition,
        poolFqdn: spec.poolFqdn,
        sqlServerFqdn: enterprise ? spec.sqlServerFqdn : null,
        collocatedStores: spec.collocatedStores,
        mirrored: 'mirrored' in conditions,
        pendingRestart: false,
        freeSpaceGb: 120,
        powershellVersion: 'powershellVersion' in conditions ? null : '5.1',
        csServiceCount: 'csServicesInstalled' in conditions ? 0 : Object.keys(state.services).length,
      });
    }
  });

  it('no Cs services, no sysadmin: refused with the reason', async () => {
    const lab = server(BE01, { csServicesInstalled: false, sqlSysadmin: false });
    const [services, sql] = await run(lab, [
      'Assert-PatchBotCsServicesPresent',
      "Assert-PatchBotSqlRights -SqlServerFqdn 'sql01.contoso.local'",
    ]);
    expect(services!.error).toBe(
      'Get-CsWindowsService lists no services: this machine runs no Lync or Skype for Business services. Install the runner on a Front End or Standard Edition server of the pool.',
    );
    expect(sql!.error).toBe(
      'CONTOSO\\svc-patchbot is not a member of the sysadmin role on sql01.contoso.local, so it cannot update the back-end databases. Grant it the role (or run the runner as an account that has it), then retry.',
    );
  });
});
