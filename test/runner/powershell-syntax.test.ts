import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { psQuote } from '../../src/procedure/index.js';
import { wrapCommand } from '../../src/runner/envelope.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import { sessionLines, stepCommands } from '../powershell/emitted-commands.js';
import { checkFloor, REPO_ROOT, type FloorInput, type FloorResult } from '../powershell/floor-check.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';

/**
 * What the runner sends and what the module calls, read by PowerShell's own parser (through
 * test/powershell/Test-PowerShellFloor.ps1, in one pwsh run): each step is one allow-listed
 * command, a quoted value stays one string argument, and the module calls only allow-listed
 * commands. Whether all of it runs on PowerShell 3.0 is the old-PowerShell gate's job
 * (test/powershell/old-powershell-gate.test.ts).
 */

/** The only commands a step may call (docs/steps.md). */
const STEP_COMMANDS = new Set([
  'Assert-PatchBotPowerShellVersion',
  'Assert-PatchBotCsAdministrator',
  'Assert-PatchBotNoPendingReboot',
  'Assert-PatchBotFreeSpace',
  'Save-PatchBotPackage',
  'Assert-PatchBotFileHash',
  'Expand-PatchBotPackage',
  'Import-Module',
  'Assert-PatchBotCsServicesPresent',
  'Assert-PatchBotNoOtherShells',
  'Assert-PatchBotVersionGap',
  'Assert-PatchBotSqlRights',
  'Assert-PatchBotDatabaseMirror',
  'Stop-PatchBotCsServices',
  'Stop-PatchBotIis',
  'Install-PatchBotUpdate',
  'Start-PatchBotIis',
  'Update-PatchBotDatabase',
  'Start-CsWindowsService',
  'Assert-PatchBotCsServicesRunning',
  'Assert-PatchBotPatchVersion',
]);

/** What the helper module may call: ordinary cmdlets, its Windows touchpoints and its own helpers. */
const MODULE_COMMANDS = new Set([
  'Set-StrictMode',
  'Add-Type',
  'ConvertFrom-Csv',
  'ConvertTo-Json',
  'Copy-Item',
  'ForEach-Object',
  'Get-ChildItem',
  'Get-Command',
  'Get-Content',
  'Get-Item',
  'Join-Path',
  'New-Item',
  'New-Object',
  'Out-Null',
  'Select-Object',
  'Sort-Object',
  'Split-Path',
  'Start-Sleep',
  'Test-Path',
  'Where-Object',
  'Write-Output',
  'Write-Verbose',
  'Export-ModuleMember',
  // Windows touchpoints (src/runner/powershell/README.md).
  'whoami.exe',
  'sqlcmd.exe',
  'net',
  'Get-ItemProperty',
  'Get-CimInstance',
  'Get-Service',
  'Invoke-WebRequest',
  'Get-AuthenticodeSignature',
  'Get-Process',
  'Start-Process',
  'Get-CsServerPatchVersion',
  'Get-CsWindowsService',
  'Stop-CsWindowsService',
  'Get-CsComputer',
  'Get-CsPool',
  'Get-CsDatabaseMirrorState',
  'Invoke-CsDatabaseFailover',
  'Test-CsDatabase',
  'Install-CsDatabase',
  // The module's own functions.
  'Get-PatchBotPatchVersion',
  'Resolve-FullPath',
  'Get-AccountName',
  'Get-LocalDriveName',
  'Get-DriveFreeBytes',
  'Get-PendingRestartReason',
  'Get-ErrorReason',
  'Assert-PackageExists',
  'Get-Sha256Hex',
  'Assert-MicrosoftSignature',
  'Save-FromHttps',
  'Save-FromShare',
  'Expand-ZipPackage',
  'Expand-ZipEntry',
  'Get-ModuleHolder',
  'Format-StartTime',
  'Get-ComponentVersion',
  'Get-LowestVersion',
  'Get-DeploymentTool',
  'Get-LogFile',
  'Get-NewLogFile',
  'Get-LogSnapshot',
  'Write-LogTail',
  'Get-EngineVersion',
  'Get-DotNetRelease',
  'Get-LocalPoolFqdn',
  'Get-ServiceHost',
  'Get-MirrorDatabaseType',
  'Test-MirroredRow',
  'Get-CsServiceNotIn',
  'Invoke-Net',
  'Get-DatabaseTestLine',
  'Test-DatabaseBehind',
  'Read-ReportText',
]);

const NONCE = '0123456789abcdef';
const commands = stepCommands();
const distinct = [...new Set(commands.map((c) => c.command))];

// psQuote: values that are hard to quote, then generated ones (fixed seed: the same batch each run).
const TRICKY = [
  "'",
  '\u2018',
  '\u2019',
  '\u201a',
  '\u201b',
  '$',
  '`',
  '"',
  ';',
  '|',
  '(',
  ')',
  '{',
  '}',
  '@',
  '#',
  'a',
  ' ',
  '\\',
];
// Control characters are out of scope: validation refuses them and the runner sends printable ASCII only.
const printable = fc
  .string({ unit: 'binary', maxLength: 40 })
  .filter((v) => [...v].every((c) => c.codePointAt(0)! >= 0x20 && c.codePointAt(0) !== 0x7f));
const QUOTED_VALUES = [
  '',
  ...TRICKY,
  "''''",
  'a\'b\u2019c$d`e"f',
  '$(Remove-Item C:\\ -Recurse)',
  "'; Remove-Item C:\\ -Recurse; '",
  ...fc.sample(fc.oneof(fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 30 }), printable), {
    numRuns: 200,
    seed: 20261204,
  }),
];
const quotedLine = (value: string) => `Assert-PatchBotFreeSpace -Path ${psQuote(value)} -MinimumGB 10`;

const MODULE = relative(REPO_ROOT, PATCHBOT_MODULE_PATH);
/** The module's parts, which PatchBot.psm1 dot-sources from the folder next to it. */
const PARTS_DIR = join(dirname(PATCHBOT_MODULE_PATH), 'PatchBot');
const PARTS = readdirSync(PARTS_DIR)
  .filter((f) => f.endsWith('.ps1'))
  .sort();
/** How the entry file dot-sources a part: `. (Join-Path $PSScriptRoot 'PatchBot\Xyz.ps1')`. */
const DOT_SOURCE = /^\(Join-Path \$PSScriptRoot 'PatchBot\\([A-Za-z]+\.ps1)'\)$/;

describeOnRealPwsh("PowerShell the runner sends, and PatchBot.psm1, read by PowerShell's parser", (pwsh) => {
  let results: Map<string, FloorResult>;
  const got = (name: string): FloorResult => {
    const r = results.get(name);
    if (!r) throw new Error(`no result for ${name}`);
    return r;
  };
  const parseErrors = (r: FloorResult) => r.findings.filter((f) => f.rule === 'parse-error');
  const moduleFiles = () => [got('module'), ...PARTS.map((part) => got(`part ${part}`))];
  // The entry file's dot-sourcing of its parts: the only commands with a computed name.
  const isDotSource = (c: FloorResult['commands'][number]) =>
    c.name === null && c.elements.length === 1 && DOT_SOURCE.test(c.elements[0]!.text);
  const moduleCommands = () => moduleFiles().flatMap((r) => r.commands.filter((c) => !isDotSource(c)));

  beforeAll(async () => {
    const inputs: FloorInput[] = [
      { name: 'module', path: MODULE },
      ...PARTS.map((part) => ({ name: `part ${part}`, path: relative(REPO_ROOT, join(PARTS_DIR, part)) })),
      ...[...distinct, ...sessionLines()].flatMap((command) => [
        { name: `bare ${command}`, text: command },
        { name: `wrapped ${command}`, text: wrapCommand(command, NONCE) },
      ]),
      ...QUOTED_VALUES.map((value, i) => ({ name: `quoted ${i}`, text: quotedLine(value) })),
    ];
    results = await checkFloor(pwsh, inputs);
  }, 120_000);

  it('covers all products, variants and steps', () => {
    // 14 variants: 5 Standard Edition plans of 21 steps with a command (shell.close has none) and
    // 9 Enterprise ones with the SQL rights and mirror checks on top.
    expect(commands.length).toBe(5 * 21 + 9 * 23);
    expect(new Set(commands.map((c) => c.command.split(' ')[0]))).toEqual(STEP_COMMANDS);
  });

  it.each(commands)('$name is one allow-listed command, alone in its line', ({ command }) => {
    const bare = got(`bare ${command}`);
    expect(parseErrors(bare)).toEqual([]);
    // One plain command: one statement, no pipeline, no nested command, an allow-listed name.
    expect(bare.blocks).toBe(false);
    expect(bare.statements).toEqual([{ type: 'PipelineAst', elements: 1 }]);
    expect(bare.commands).toHaveLength(1);
    expect(STEP_COMMANDS.has(bare.commands[0]!.name ?? '')).toBe(true);
    expect(command).toMatch(/^[\x20-\x7e]+$/);

    const wrapped = got(`wrapped ${command}`);
    expect(parseErrors(wrapped)).toEqual([]);
    expect(wrapped.commands.map((c) => c.name)).toEqual([bare.commands[0]!.name, 'ConvertTo-Json']);
  });

  it('the session set-up lines parse, bare and in the envelope', () => {
    for (const line of sessionLines()) {
      expect(parseErrors(got(`bare ${line}`))).toEqual([]);
      expect(parseErrors(got(`wrapped ${line}`))).toEqual([]);
    }
  });

  it('a quoted value stays one string argument and reaches PowerShell unchanged (psQuote)', () => {
    expect(QUOTED_VALUES.length).toBeGreaterThan(200);
    QUOTED_VALUES.forEach((value, i) => {
      const r = got(`quoted ${i}`);
      const why = JSON.stringify(value);
      expect(parseErrors(r), why).toEqual([]);
      expect(r.statements, why).toEqual([{ type: 'PipelineAst', elements: 1 }]);
      expect(r.commands, why).toHaveLength(1);
      const elements = r.commands[0]!.elements;
      expect(
        elements.map((e) => [e.type, e.value]),
        why,
      ).toEqual([
        ['StringConstantExpressionAst', 'Assert-PatchBotFreeSpace'],
        ['CommandParameterAst', 'Path'],
        ['StringConstantExpressionAst', value],
        ['CommandParameterAst', 'MinimumGB'],
        ['ConstantExpressionAst', null],
      ]);
      expect(elements[2]!.quote, why).toBe('SingleQuoted');
    });
  });

  it('PatchBot.psm1 and its parts parse cleanly', () => {
    expect(PARTS.length).toBeGreaterThan(3);
    for (const file of moduleFiles()) expect(parseErrors(file), file.name).toEqual([]);
  });

  it('PatchBot.psm1 dot-sources exactly the files of its PatchBot folder, and defines no function itself', () => {
    const sourced = got('module')
      .commands.filter(isDotSource)
      .map((c) => DOT_SOURCE.exec(c.elements[0]!.text)![1]!);
    expect([...sourced].sort()).toEqual(PARTS);
    expect(got('module').functions).toEqual([]);
    for (const part of PARTS) expect(got(`part ${part}`).commands.filter(isDotSource), part).toEqual([]);
  });

  it('PatchBot.psm1 calls only allow-listed commands, across all its files', () => {
    const names = [...new Set(moduleCommands().map((c) => c.name ?? '(computed name)'))];
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !MODULE_COMMANDS.has(n))).toEqual([]);
  });

  it('PatchBot.psm1 defines and exports exactly the *-PatchBot* functions the catalog and the runner use', () => {
    const all = moduleFiles().flatMap((r) => r.functions);
    expect(new Set(all).size).toBe(all.length);
    const defined = all.filter((n) => /^[A-Za-z]+-PatchBot[A-Za-z]+$/.test(n)).sort();
    // One Export-ModuleMember list, in the entry file.
    expect(moduleCommands().filter((c) => c.name === 'Export-ModuleMember')).toHaveLength(1);
    const exports = got('module').commands.filter((c) => c.name === 'Export-ModuleMember');
    expect(exports).toHaveLength(1);
    const elements = exports[0]!.elements;
    const at = elements.findIndex((e) => e.type === 'CommandParameterAst' && e.value === 'Function');
    expect(at).toBeGreaterThan(0);
    const exported = [...(elements[at + 1]?.text ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();
    // Called outside the plan: the runner's facts reader (src/runner/facts.ts) and, by hand, the
    // version listing (docs/steps.md).
    const notSteps = ['Get-PatchBotServerFacts', 'Get-PatchBotPatchVersion'];
    const used = [
      ...new Set([
        ...commands.map((c) => c.command.split(' ')[0]!).filter((n) => n.includes('-PatchBot')),
        ...notSteps,
      ]),
    ].sort();
    expect(defined.length).toBeGreaterThan(5);
    expect(exported).toEqual(defined);
    expect(used).toEqual(defined);
  });
});
