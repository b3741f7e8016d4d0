import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFloor, type FloorResult } from '../powershell/floor-check.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';

const SCRIPT = new URL('../../deploy/Install-PatchRunner.ps1', import.meta.url);

let text: string;
beforeAll(async () => {
  text = await readFile(SCRIPT, 'utf8');
});

// Whether it runs on the PowerShell floor is the old-PowerShell gate's job (test/powershell/).
describeOnRealPwsh("deploy/Install-PatchRunner.ps1, read by PowerShell's parser", (pwsh) => {
  let parsed: FloorResult;
  beforeAll(async () => {
    parsed = (await checkFloor(pwsh, [{ name: 'deploy', path: 'deploy/Install-PatchRunner.ps1' }])).get(
      'deploy',
    )!;
  }, 120_000);

  it('parses as PowerShell', () => {
    expect(parsed.findings.filter((f) => f.rule === 'parse-error')).toEqual([]);
  });

  it('installs through NSSM and asks for secrets with Read-Host', () => {
    const commands = new Set(parsed.commands.map((c) => c.name));
    for (const name of ['Invoke-Nssm', 'Set-Acl', 'Read-Host', 'Invoke-CimMethod', 'robocopy.exe']) {
      expect(commands.has(name), name).toBe(true);
    }
  });
});

describe('deploy/Install-PatchRunner.ps1', () => {
  it('is plain ASCII, so Windows PowerShell 5.1 reads it the same with or without a BOM', () => {
    const odd = [...text].filter((c) => !'\t\r\n'.includes(c) && (c < ' ' || c > '~'));
    expect(odd).toEqual([]);
  });

  it('asks for the secret as a SecureString and never takes or prints it as plain text', () => {
    expect(text).toMatch(/\[System\.Security\.SecureString\] \$RunnerSecret/);
    expect(text).toMatch(/Read-Host -AsSecureString/);
    expect(text).not.toMatch(/\[string\] \$RunnerSecret/);
    // The secret reaches the service only as a file path, never as an environment value or argument.
    expect(text).toMatch(/PATCHBOT_RUNNER_SECRET_FILE=\$SecretFile/);
    expect(text).not.toMatch(/"PATCHBOT_RUNNER_SECRET=/);
    expect(text).not.toMatch(/Write-(Host|Output|Verbose)[^\n]*\$plain/);
    // The service account password goes through Win32_Service.Change, not an nssm command line.
    expect(text).not.toMatch(/ObjectName', \$Account, \$plain/);
  });

  it("brings the runner's PowerShell module next to the compiled code: PatchBot.psm1 and the folder of its parts", () => {
    expect(text).toContain("Join-Path $AppDir 'dist\\runner\\powershell\\PatchBot.psm1'");
    expect(text).toContain("Join-Path $AppDir 'dist\\runner\\powershell\\PatchBot'");
    expect(text).toContain("Join-Path $SourcePath 'src\\runner\\powershell\\PatchBot'");
    expect(text).toMatch(
      /-not \(Test-Path -LiteralPath \$module\) -or -not \(Test-Path -LiteralPath \$moduleParts\)/,
    );
  });

  it('locks the secret file down to the service account and Administrators', () => {
    expect(text).toMatch(/SetAccessRuleProtection\(\$true, \$false\)/);
    expect(text).toMatch(/S-1-5-32-544/);
  });

  it('never kills the process tree, and can uninstall', () => {
    expect(text).toMatch(/'AppKillProcessTree', '0'/);
    expect(text).toMatch(/'remove', \$ServiceName, 'confirm'/);
    expect(text).toMatch(/\[switch\] \$Uninstall/);
  });

  it('passes every runner variable the runner requires', () => {
    for (const name of [
      'PATCHBOT_BOT_URL',
      'PATCHBOT_RUNNER_ID',
      'PATCHBOT_SERVER',
      'PATCHBOT_PRODUCT',
      'PATCHBOT_EDITION',
      'PATCHBOT_PACKAGE_SOURCE',
      'PATCHBOT_PACKAGE_FILE',
      'PATCHBOT_PACKAGE_SHA256',
      'PATCHBOT_PACKAGE_VERSION',
      'PATCHBOT_STAGING_DIR',
      'PATCHBOT_MIN_FREE_GB',
      'PATCHBOT_POWERSHELL',
      'PATCHBOT_JOURNAL_DIR',
      'LOG_LEVEL',
    ]) {
      expect(text).toContain(`"${name}=`);
    }
  });
});
