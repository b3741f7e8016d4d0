import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapCommand } from '../../src/runner/envelope.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';
import { sessionLines, stepCommands } from './emitted-commands.js';
import {
  checkFloor,
  describeFindings,
  FLOOR_SCRIPT,
  POWERSHELL_FLOOR,
  REPO_ROOT,
  type FloorInput,
  type FloorResult,
} from './floor-check.js';

/**
 * The old-PowerShell gate. Windows PowerShell 3.0 is the floor for everything that runs on a
 * server (src/runner/powershell/README.md); the tests run PowerShell 7, which accepts much more.
 * PowerShell's own parser checks every PowerShell file of the repository and every command line
 * the runner can send, in one pwsh run; the second half proves each rule fires.
 */

/**
 * Files that only ever run on the pinned pwsh 7 (Pester tests and their helpers, the lab's fake
 * Windows layer): parsed, but held to pwsh 7.6. The gate script itself stays on the 3.0 floor.
 */
const PWSH_ONLY = [/^test\//, /^src\/lab\/powershell\//];
const PWSH_ONLY_FLOOR = '7.6';
const pwshOnly = (path: string) =>
  path !== relative(REPO_ROOT, FLOOR_SCRIPT) && PWSH_ONLY.some((re) => re.test(path));

function repoPowerShellFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '-z', '--', '*.ps1', '*.psm1'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((p) => p !== '' && !p.startsWith('node_modules/') && !p.startsWith('.tools/'));
  return [...new Set([...tracked, relative(REPO_ROOT, FLOOR_SCRIPT)])].sort();
}

const FILES = repoPowerShellFiles();
const fileInputs: FloorInput[] = FILES.map((path) => ({
  name: `file ${path}`,
  path,
  ...(pwshOnly(path) ? { floor: PWSH_ONLY_FLOOR } : {}),
}));

const NONCE = '0123456789abcdef';
const distinctSteps = [...new Set(stepCommands().map((s) => s.command))];
const commandInputs: FloorInput[] = [...distinctSteps, ...sessionLines()].flatMap((command) => [
  { name: `bare ${command}`, text: command },
  { name: `wrapped ${command}`, text: wrapCommand(command, NONCE) },
]);

// ---- The rules, each fed a snippet that breaks it ----

/** The script's own table, read from the script, so that every entry is proven to fire. */
function tableFromScript(): {
  commands: { name: string; since: string }[];
  parameters: { command: string; parameter: string; since: string; alias?: string }[];
} {
  const text = readFileSync(FLOOR_SCRIPT, 'utf8');
  const commandBlock = /\$NewerCommands = @\{([\s\S]*?)\n\}/.exec(text)?.[1] ?? '';
  const parameterBlock = /\$NewerParameters = @\(([\s\S]*?)\n\)/.exec(text)?.[1] ?? '';
  return {
    commands: [...commandBlock.matchAll(/'([A-Za-z]+-[A-Za-z]+)'\s*=\s*'(\d+\.\d+)'/g)].map((m) => ({
      name: m[1]!,
      since: m[2]!,
    })),
    parameters: [
      ...parameterBlock.matchAll(
        /Command = '([A-Za-z*-]+)'; Parameter = '([A-Za-z]+)'; Since = '(\d+\.\d+)'(?:; Alias = '([A-Za-z]+)')?/g,
      ),
    ].map((m) => ({ command: m[1]!, parameter: m[2]!, since: m[3]!, ...(m[4] ? { alias: m[4] } : {}) })),
  };
}
const TABLE = tableFromScript();

interface Forbidden {
  label: string;
  text: string;
  rule: string;
  since: string;
}

const SYNTAX: Forbidden[] = [
  { label: 'ternary', text: '$a = $true ? 1 : 2', rule: 'syntax', since: '7.0' },
  { label: '??', text: '$b = $a ?? 2', rule: 'syntax', since: '7.0' },
  { label: '??=', text: '$a ??= 1', rule: 'syntax', since: '7.0' },
  { label: '&& chain', text: 'Get-Item x && Get-Item y', rule: 'syntax', since: '7.0' },
  { label: '|| chain', text: 'Get-Item x || Get-Item y', rule: 'syntax', since: '7.0' },
  { label: '?. member', text: '${a}?.Length', rule: 'syntax', since: '7.0' },
  { label: '?. method', text: '${a}?.ToString()', rule: 'syntax', since: '7.0' },
  { label: '?[] index', text: '${a}?[0]', rule: 'syntax', since: '7.0' },
  { label: 'clean block', text: 'function F { process { 1 } clean { 2 } }', rule: 'syntax', since: '7.3' },
  { label: 'background &', text: 'Get-Process &', rule: 'syntax', since: '6.0' },
  { label: 'class', text: 'class Box { [int] $Size }', rule: 'syntax', since: '5.0' },
  { label: 'enum', text: 'enum Color { Red; Green }', rule: 'syntax', since: '5.0' },
  { label: 'using namespace', text: 'using namespace System.IO', rule: 'syntax', since: '5.0' },
  { label: 'using module', text: 'using module PatchBot', rule: 'syntax', since: '5.0' },
  { label: '[T]::new()', text: '$e = [System.Text.UTF8Encoding]::new($false)', rule: 'syntax', since: '5.0' },
  { label: '.Where()', text: '$x = @(1, 2).Where({ $_ -gt 1 })', rule: 'syntax', since: '4.0' },
  { label: '.ForEach()', text: '@(1, 2).ForEach({ $_ })', rule: 'syntax', since: '4.0' },
  { label: '`e escape', text: 'Write-Output "`e[31mred"', rule: 'syntax', since: '6.0' },
  { label: '`u{} escape', text: 'Write-Output "`u{2713} done"', rule: 'syntax', since: '6.0' },
  { label: '`u{} in a here-string', text: '$t = @"\nok `u{2713}\n"@', rule: 'syntax', since: '6.0' },
  { label: 'numeric suffix u', text: '$n = 42u', rule: 'syntax', since: '6.2' },
  { label: 'numeric suffix uy', text: '$n = 0x1Fuy', rule: 'syntax', since: '6.2' },
  { label: 'numeric suffix n', text: '$n = 10n', rule: 'syntax', since: '7.0' },
  { label: 'binary literal', text: '$n = 0b1010', rule: 'syntax', since: '7.0' },
  { label: '-replace with a script block', text: "'ab' -replace 'a', { 'c' }", rule: 'syntax', since: '6.1' },
  {
    label: '#Requires -Version 5.1',
    text: '#Requires -Version 5.1\nGet-Item x',
    rule: 'requires',
    since: '5.1',
  },
  {
    label: '#Requires -RunAsAdministrator',
    text: '#Requires -RunAsAdministrator\nGet-Item x',
    rule: 'requires',
    since: '4.0',
  },
  {
    label: '#Requires -PSEdition',
    text: '#Requires -PSEdition Desktop\nGet-Item x',
    rule: 'requires',
    since: '5.1',
  },
  { label: 'parse error', text: 'Get-Item -Path (Get-Location', rule: 'parse-error', since: '' },
  {
    label: 'unterminated string',
    text: "Assert-PatchBotFileHash -Path 'C:\\a.exe' -Sha256 'AB",
    rule: 'parse-error',
    since: '',
  },
  { label: 'open brace', text: 'try { Stop-CsWindowsService', rule: 'parse-error', since: '' },
];

const COMMAND_FORMS: Forbidden[] = [
  {
    label: 'module-qualified Get-FileHash',
    text: "Microsoft.PowerShell.Utility\\Get-FileHash -Path 'x'",
    rule: 'command',
    since: '4.0',
  },
  {
    label: 'Get-FileHash nested in a script block',
    text: "& { $h = (Get-FileHash 'x').Hash }",
    rule: 'command',
    since: '4.0',
  },
  {
    label: 'ForEach-Object -Parallel through the % alias',
    text: '1..3 | % -Parallel { $_ }',
    rule: 'parameter',
    since: '7.0',
  },
  {
    label: 'an abbreviated parameter (-Dep for -Depth)',
    text: "Get-ChildItem 'C:\\' -Dep 2",
    rule: 'parameter',
    since: '5.0',
  },
];

const TABLE_SNIPPETS: Forbidden[] = [
  ...TABLE.commands.map((c) => ({ label: c.name, text: `${c.name} 'x'`, rule: 'command', since: c.since })),
  ...TABLE.parameters.flatMap((p) => {
    // A common parameter ('*') on a cmdlet this pwsh has, and by its alias on one it lacks.
    const on = p.command === '*' ? ['Get-Item', 'Stop-CsWindowsService'] : [p.command];
    return [
      {
        label: `${on[0]} -${p.parameter}`,
        text: `${on[0]} -${p.parameter} 'x'`,
        rule: 'parameter',
        since: p.since,
      },
      ...(p.alias
        ? on.map((command) => ({
            label: `${command} -${p.alias}`,
            text: `${command} -${p.alias} 'x'`,
            rule: 'parameter',
            since: p.since,
          }))
        : []),
    ];
  }),
];

const FORBIDDEN = [...SYNTAX, ...COMMAND_FORMS, ...TABLE_SNIPPETS];

/** Things PowerShell 3.0 has, several of which look like newer syntax to a careless check. */
const CLEAN = [
  '$o = [ordered]@{ a = 1 }; $p = [pscustomobject]@{ b = 2 }; $o | ConvertTo-Json -Compress',
  "if (2 -in @(1, 2) -and 3 -notin @(1)) { 'ok' }",
  "Get-ChildItem -Path 'C:\\' -File -Recurse | Where-Object Length -gt 0 | Select-Object -First 1",
  "Get-Content -LiteralPath 'x' -Raw; Get-Content -LiteralPath 'x' -Tail 5",
  'Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DeviceID=\'C:\'"',
  "Invoke-WebRequest -Uri 'https://example.com/a' -OutFile 'a' -UseBasicParsing",
  "$n = 1l + 1kb + 0x1F + 1.5d; $s = 'a' -replace 'a', 'b'",
  'Write-Output "tab`t escaped ``e and ``u{41} stay literal"; Write-Output \'`e `u{41} single quotes\'',
  "$e = New-Object System.Text.UTF8Encoding -ArgumentList $false; [System.IO.File]::Exists('x')",
  '[System.Security.Cryptography.SHA256]::Create(); Add-Type -AssemblyName System.IO.Compression.FileSystem',
  'try { & $cmd } catch { $_.Exception.Message } finally { $null }',
  '$x = if ($a) { 1 } else { 2 }; $y = @($a | ForEach-Object { $_ })',
  'function F { [CmdletBinding()] param([Parameter(Mandatory = $true)] [string] $Path) $PSCmdlet.SessionState }',
  "Invoke-Command -ScriptBlock { $using:a } -ComputerName 'x'; $list = New-Object 'System.Collections.Generic.List[string]'",
  "Get-Process -Name 'pwsh' | Where-Object { $_.Id -ne $PID } | Sort-Object -Property Id",
  '$a.Count; $a.Length; $s.Replace("a", "b"); [Array]::ForEach',
  "Get-ChildItem -Path 'C:\\' -Directory -Recurse -Force -Filter '*.log'",
];

describeOnRealPwsh(`old-PowerShell gate (floor ${POWERSHELL_FLOOR})`, (pwsh) => {
  let results: Map<string, FloorResult>;
  let tempDir = '';
  const got = (name: string): FloorResult => {
    const r = results.get(name);
    if (!r) throw new Error(`no result for ${name}`);
    return r;
  };

  beforeAll(async () => {
    tempDir = mkdtempSync(join(tmpdir(), 'ps-gate-'));
    const badFile = join(tempDir, 'Bad.ps1');
    writeFileSync(badFile, "# line 1\nfunction Get-Thing {\n    $a ? 'yes' : 'no'\n}\n", 'utf8');
    const umlaut = "# Pr\u00fcfung\nWrite-Output 'Gr\u00f6\u00dfe'\n";
    writeFileSync(join(tempDir, 'NoBom.ps1'), umlaut, 'utf8');
    writeFileSync(join(tempDir, 'Bom.ps1'), `\ufeff${umlaut}`, 'utf8');
    results = await checkFloor(pwsh, [
      ...fileInputs,
      ...commandInputs,
      { name: 'temp file with a ternary on line 3', path: badFile },
      { name: 'temp file, non-ASCII without BOM', path: join(tempDir, 'NoBom.ps1') },
      { name: 'temp file, non-ASCII with BOM', path: join(tempDir, 'Bom.ps1') },
      ...FORBIDDEN.map((f) => ({ name: `forbidden ${f.label}`, text: f.text })),
      ...CLEAN.map((text, i) => ({ name: `clean ${i}`, text })),
      { name: 'floor 4.0 allows Get-FileHash', text: "Get-FileHash 'x'", floor: '4.0' },
      { name: 'floor 5.1 allows class and ::new', text: 'class A { }; [A]::new()', floor: '5.1' },
      { name: 'floor 5.1 still refuses ternary', text: '$a ? 1 : 2', floor: '5.1' },
    ]);
  }, 120_000);

  afterAll(() => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  });

  describe("today's code", () => {
    it('checks the module, the deploy script and this gate', () => {
      for (const path of [
        'src/runner/powershell/PatchBot.psm1',
        'deploy/Install-PatchRunner.ps1',
        'test/powershell/Test-PowerShellFloor.ps1',
      ]) {
        expect(FILES).toContain(path);
        expect(got(`file ${path}`).floor).toBe(POWERSHELL_FLOOR);
      }
      expect(pwshOnly('test/powershell/PatchBot.Package.Tests.ps1')).toBe(true);
      expect(pwshOnly('src/lab/powershell/LabWindows.psm1')).toBe(true);
      expect(pwshOnly('src/runner/powershell/Helpers.ps1')).toBe(false);
      expect(pwshOnly('deploy/Other.ps1')).toBe(false);
    });

    it('every PowerShell file of the repository runs on its floor', () => {
      const files = FILES.map((path) => got(`file ${path}`));
      expect(describeFindings(files)).toEqual([]);
    });

    it('every command line the catalog can emit runs on PowerShell 3.0, bare and in the envelope', () => {
      expect(distinctSteps.length).toBeGreaterThan(20);
      const lines = distinctSteps.flatMap((c) => [got(`bare ${c}`), got(`wrapped ${c}`)]);
      expect(describeFindings(lines)).toEqual([]);
    });

    it('the session set-up lines run on PowerShell 3.0, bare and in the envelope', () => {
      const lines = sessionLines().flatMap((c) => [got(`bare ${c}`), got(`wrapped ${c}`)]);
      expect(describeFindings(lines)).toEqual([]);
    });
  });

  describe('the gate itself', () => {
    it('has a table with the commands the floor excludes', () => {
      const names = TABLE.commands.map((c) => c.name);
      for (const name of [
        'Get-FileHash',
        'Expand-Archive',
        'Compress-Archive',
        'New-TemporaryFile',
        'Test-Json',
      ]) {
        expect(names).toContain(name);
      }
      const parameters = TABLE.parameters.map((p) => `${p.command} -${p.parameter}`);
      expect(parameters).toContain('ForEach-Object -Parallel');
      expect(parameters).toContain('* -PipelineVariable');
    });

    it.each(FORBIDDEN)('reports $label', ({ label, rule, since }) => {
      const findings = got(`forbidden ${label}`).findings;
      expect(
        findings.some((f) => f.rule === rule && f.since === since),
        JSON.stringify(findings),
      ).toBe(true);
    });

    it.each(CLEAN.map((text, i) => ({ text, i })))('passes 3.0-clean code: $text', ({ i }) => {
      expect(describeFindings([got(`clean ${i}`)])).toEqual([]);
    });

    it('reads files with the file parser and points at the line', () => {
      const findings = got('temp file with a ternary on line 3').findings;
      expect(findings).toEqual([
        expect.objectContaining({ rule: 'syntax', since: '7.0', line: 3, column: 5 }),
      ]);
    });

    it('reports non-ASCII text in a file without a byte order mark, which Windows PowerShell misreads', () => {
      expect(got('temp file, non-ASCII without BOM').findings).toEqual([
        expect.objectContaining({ rule: 'encoding', line: 1, column: 5 }),
      ]);
      expect(got('temp file, non-ASCII with BOM').findings).toEqual([]);
    });

    it('honours a higher floor, and only up to it', () => {
      expect(got('floor 4.0 allows Get-FileHash').findings).toEqual([]);
      expect(got('floor 5.1 allows class and ::new').findings).toEqual([]);
      expect(got('floor 5.1 still refuses ternary').findings).toEqual([
        expect.objectContaining({ rule: 'syntax', since: '7.0' }),
      ]);
    });
  });
});
