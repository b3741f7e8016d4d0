import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PRODUCT_FAMILIES,
  planUpdate,
  psQuote,
  type ProductFamily,
  type ServerProfile,
  type UpdateRequest,
} from '../../src/procedure/index.js';
import { labServerSpec } from '../../src/lab/servers.js';
import { newNonce, sessionInitCommands, wrapCommand } from '../../src/runner/envelope.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import { powershellParser, type ParsedScript } from './ps-parse.js';

let parse: (text: string) => ParsedScript;
beforeAll(async () => {
  parse = await powershellParser();
});

/** The only commands a step may call. */
const STEP_COMMANDS = new Set([
  'Assert-PatchBotCsAdministrator',
  'Assert-PatchBotNoPendingReboot',
  'Assert-PatchBotFreeSpace',
  'Save-PatchBotPackage',
  'Assert-PatchBotFileHash',
  'Expand-PatchBotPackage',
  'Import-Module',
  'Assert-PatchBotNoOtherShells',
  'Get-PatchBotPatchVersion',
  'Stop-CsWindowsService',
  'net',
  'Install-PatchBotUpdate',
  'Install-CsDatabase',
  'Start-CsWindowsService',
  'Assert-PatchBotCsServicesRunning',
  'Assert-PatchBotPatchVersion',
]);

/** What the helper module may call: ordinary cmdlets, its Windows touchpoints and its own helpers. */
const MODULE_COMMANDS = new Set([
  'Set-StrictMode',
  'Add-Type',
  'ConvertFrom-Csv',
  'Copy-Item',
  'ForEach-Object',
  'Get-Item',
  'Join-Path',
  'New-Item',
  'Out-Null',
  'Select-Object',
  'Sort-Object',
  'Split-Path',
  'Test-Path',
  'Where-Object',
  'Write-Output',
  'Export-ModuleMember',
  // Windows touchpoints (src/runner/powershell/README.md).
  'whoami.exe',
  'Get-ItemProperty',
  'Get-CimInstance',
  'Invoke-WebRequest',
  'Get-AuthenticodeSignature',
  'Get-Process',
  'Start-Process',
  'Get-CsServerPatchVersion',
  'Get-CsWindowsService',
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
  'Get-SkypeForBusinessVersion',
  'Get-Lync2013Version',
  'Get-HighestVersion',
]);

function allVariants(): { name: string; profile: ServerProfile; request: UpdateRequest }[] {
  const out: { name: string; profile: ServerProfile; request: UpdateRequest }[] = [];
  for (const product of PRODUCT_FAMILIES as readonly ProductFamily[]) {
    const standard = labServerSpec({ server: 'se01', product, edition: 'standard' });
    const enterprise = labServerSpec({
      server: 'be01',
      product,
      edition: 'enterprise',
      sqlServerFqdn: 'sql01.contoso.local',
    });
    out.push({
      name: `${product} standard`,
      profile: standard.profile,
      request: { server: 'se01', edition: 'standard' },
    });
    for (const collocated of [false, true]) {
      out.push({
        name: `${product} enterprise${collocated ? ' collocated' : ''}`,
        profile: enterprise.profile,
        request: { server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local', collocated },
      });
    }
  }
  // A UNC package source and a .zip package render differently.
  const unc = labServerSpec({ server: 'se02', product: 'sfb2019', edition: 'standard' });
  out.push({
    name: 'sfb2019 UNC zip',
    profile: {
      ...unc.profile,
      package: {
        ...unc.profile.package,
        source: '\\\\fs01\\updates$\\SfB CU\\update.zip',
        fileName: 'update.zip',
      },
      stagingDir: 'D:\\Patch Bot\\staging',
    },
    request: { server: 'se02', edition: 'standard' },
  });
  return out;
}

const commands = allVariants().flatMap(({ name, profile, request }) => {
  const planned = planUpdate(request, profile);
  if (!planned.ok) throw new Error(`${name}: ${planned.error.message}`);
  return planned.value.steps
    .filter((s) => s.command !== '')
    .map((s) => ({ name: `${name} ${s.id}`, command: s.command }));
});

describe('every PowerShell text the runner can send parses', () => {
  it('covers all products, variants and steps', () => {
    expect(commands.length).toBe(13 * 19);
  });

  it.each(commands)('$name', ({ command }) => {
    const bare = parse(command);
    expect(bare.problems).toEqual([]);
    // One plain command: no pipeline, no second statement, nothing but an allow-listed name.
    expect(bare.commandCount).toBe(1);
    expect(bare.commandNames).toHaveLength(1);
    expect(STEP_COMMANDS.has(bare.commandNames[0] ?? '')).toBe(true);
    expect(command).toMatch(/^[\x20-\x7e]+$/);

    const wrapped = parse(wrapCommand(command, newNonce()));
    expect(wrapped.problems).toEqual([]);
    expect(wrapped.commandNames).toEqual([bare.commandNames[0], 'ConvertTo-Json']);
  });

  it('the session set-up lines parse, bare and in the envelope', () => {
    for (const line of sessionInitCommands(
      'C:\\Program Files\\PatchBot\\runner\\powershell\\PatchBot.psm1',
    )) {
      expect(parse(line).problems).toEqual([]);
      expect(parse(wrapCommand(line, newNonce())).problems).toEqual([]);
    }
  });

  it('a quoted value stays one string argument, whatever it holds (psQuote)', () => {
    const tricky = fc.constantFrom(
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
    );
    // Control characters are out of scope: validation refuses them and the runner sends printable ASCII only.
    const printable = fc
      .string({ unit: 'binary', maxLength: 40 })
      .filter((v) => [...v].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: tricky, maxLength: 30 }), printable), (value) => {
        const script = parse(`Assert-PatchBotFreeSpace -Path ${psQuote(value)} -MinimumGB 10`);
        expect(script.problems).toEqual([]);
        expect(script.commandNames).toEqual(['Assert-PatchBotFreeSpace']);
        expect(script.root.descendantsOfType('string_literal')).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the parser check itself', () => {
  it('tolerates only the digit-suffixed parameter false positive, not real errors', () => {
    expect(parse("Assert-PatchBotFileHash -Path 'C:\\a.exe' -Sha256 'AB'").problems).toEqual([]);
    expect(parse("Assert-PatchBotFileHash -Path 'C:\\a.exe' -Sha256 'AB").problems).not.toEqual([]);
    expect(parse('try { Stop-CsWindowsService').problems).not.toEqual([]);
    expect(parse('Get-Item -Path (Get-Location').problems).not.toEqual([]);
    expect(parse("Write-Output 'x' 2 > out.txt").problems).toEqual([]);
  });
});

describe('PatchBot.psm1', () => {
  let text = '';
  let module: ParsedScript;
  beforeAll(async () => {
    text = await readFile(PATCHBOT_MODULE_PATH, 'utf-8');
    module = parse(text);
  });

  it('parses cleanly', () => {
    expect(module.problems).toEqual([]);
  });

  it('calls only allow-listed commands', () => {
    expect([...new Set(module.commandNames)].filter((n) => !MODULE_COMMANDS.has(n))).toEqual([]);
  });

  it('defines and exports exactly the *-PatchBot* functions the catalog uses', () => {
    const defined = [...text.matchAll(/^function ([A-Za-z]+-PatchBot[A-Za-z]+)/gm)].map((m) => m[1]).sort();
    const exported = [
      ...(/Export-ModuleMember -Function @\(([^)]*)\)/.exec(text)?.[1] ?? '').matchAll(/'([^']+)'/g),
    ]
      .map((m) => m[1])
      .sort();
    const used = [
      ...new Set(commands.map((c) => c.command.split(' ')[0]!).filter((n) => n.includes('-PatchBot'))),
    ].sort();
    expect(exported).toEqual(defined);
    expect(used).toEqual(defined);
  });
});
