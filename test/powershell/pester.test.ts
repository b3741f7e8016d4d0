import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PESTER_MODULE_PATH } from '../../src/lab/real-pwsh.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';

/**
 * Runs the Pester suites of PatchBot.psm1 (test/powershell/PatchBot*.Tests.ps1) in the pinned real
 * pwsh, with Pester's code coverage of the module (the entry file and the parts it dot-sources from
 * PatchBot/), and fails on anything short of every test passing with at least 90 % of the module's
 * lines run. Pester reports back as a JSON file, so
 * nothing here depends on its console text.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TESTS_DIR = join(ROOT, 'test/powershell');
const MODULE = join(ROOT, 'src/runner/powershell/PatchBot.psm1');
const PARTS_DIR = join(ROOT, 'src/runner/powershell/PatchBot');
const MODULE_FILES = [
  MODULE,
  ...readdirSync(PARTS_DIR)
    .filter((f) => f.endsWith('.ps1'))
    .sort()
    .map((f) => join(PARTS_DIR, f)),
];
const MIN_LINE_COVERAGE = 90;
// Pester with coverage in a fresh pwsh takes ~20 s alone; the machine is shared.
const PESTER_TIMEOUT_MS = 10 * 60 * 1000;

interface PesterReport {
  result: string;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  notRun: number;
  inconclusive: number;
  failedBlocks: number;
  failedContainers: number;
  failures: { name: string; message: string }[];
  files: string[];
  coverage: {
    commandsAnalyzed: number;
    commandsExecuted: number;
    commandPercent: number;
    linesAnalyzed: number;
    /** `file:line`, the file as Pester reports it (full path). */
    linesMissed: string[];
    /** The files Pester analysed. */
    files: string[];
  };
}

// Environment in, JSON file out: no quoting of paths into the script text.
const PESTER_SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
Import-Module -Name $env:PATCHBOT_PESTER_MODULE
$files = @(Get-ChildItem -LiteralPath $env:PATCHBOT_PESTER_TESTS -Filter 'PatchBot*.Tests.ps1' | ForEach-Object { $_.FullName })
$config = New-PesterConfiguration
$config.Run.Path = $files
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.CodeCoverage.Enabled = $true
$config.CodeCoverage.Path = @($env:PATCHBOT_PESTER_CODE -split [System.IO.Path]::PathSeparator)
$config.CodeCoverage.OutputPath = $env:PATCHBOT_PESTER_COVERAGE_XML
$config.Output.Verbosity = 'None'
$run = Invoke-Pester -Configuration $config
$cc = $run.CodeCoverage
# Lines are counted per file: the module's files all have a line 12.
$executedLines = @($cc.CommandsExecuted | ForEach-Object { "$($_.File):$($_.Line)" } | Sort-Object -Unique)
$missedLines = @($cc.CommandsMissed | ForEach-Object { "$($_.File):$($_.Line)" } | Sort-Object -Unique | Where-Object { $executedLines -notcontains $_ })
$coveredFiles = @(@($cc.CommandsExecuted) + @($cc.CommandsMissed) | ForEach-Object { $_.File } | Sort-Object -Unique)
$report = [ordered]@{
    result = $run.Result
    total = $run.TotalCount
    passed = $run.PassedCount
    failed = $run.FailedCount
    skipped = $run.SkippedCount
    notRun = $run.NotRunCount
    inconclusive = $run.InconclusiveCount
    failedBlocks = $run.FailedBlocksCount
    failedContainers = $run.FailedContainersCount
    failures = @($run.Failed | ForEach-Object { [ordered]@{ name = $_.ExpandedPath; message = (@($_.ErrorRecord | ForEach-Object { $_.Exception.Message }) -join ' / ') } })
    files = $files
    coverage = [ordered]@{
        commandsAnalyzed = $cc.CommandsAnalyzedCount
        commandsExecuted = $cc.CommandsExecutedCount
        commandPercent = [double] $cc.CoveragePercent
        linesAnalyzed = $executedLines.Count + $missedLines.Count
        linesMissed = $missedLines
        files = $coveredFiles
    }
}
$report | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $env:PATCHBOT_PESTER_RESULT -Encoding utf8
`;

describeOnRealPwsh('Pester: PatchBot.psm1 on real pwsh', (pwsh) => {
  let dir = '';
  let report: PesterReport;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbot-pester-'));
    const resultFile = join(dir, 'result.json');
    try {
      await promisify(execFile)(
        pwsh,
        ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', PESTER_SCRIPT],
        {
          cwd: ROOT,
          timeout: PESTER_TIMEOUT_MS,
          maxBuffer: 16 * 1024 * 1024,
          env: {
            ...process.env,
            PATCHBOT_PESTER_MODULE: PESTER_MODULE_PATH,
            PATCHBOT_PESTER_TESTS: TESTS_DIR,
            PATCHBOT_PESTER_CODE: MODULE_FILES.join(delimiter),
            PATCHBOT_PESTER_RESULT: resultFile,
            PATCHBOT_PESTER_COVERAGE_XML: join(dir, 'coverage.xml'),
          },
        },
      );
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`pwsh could not run Pester: ${String(error)}\n${stdout}\n${stderr}`);
    }
    report = JSON.parse((await readFile(resultFile, 'utf-8')).replace(/^\uFEFF/, '')) as PesterReport;
    const cov = report.coverage;
    const linePercent = linePercentOf(report);
    process.stdout.write(
      `\nPester ${report.result}: ${report.passed}/${report.total} passed, ${report.failed} failed, ` +
        `${report.skipped} skipped, ${report.notRun} not run (${report.files.length} files)\n` +
        `PatchBot.psm1 coverage: ${linePercent.toFixed(1)} % of lines ` +
        `(${cov.linesAnalyzed - cov.linesMissed.length}/${cov.linesAnalyzed}), ` +
        `${cov.commandPercent.toFixed(1)} % of commands (${cov.commandsExecuted}/${cov.commandsAnalyzed})` +
        `${cov.linesMissed.length > 0 ? `; lines missed: ${cov.linesMissed.map((l) => relative(ROOT, l)).join(', ')}` : ''}\n`,
    );
  }, PESTER_TIMEOUT_MS);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ran the PatchBot test files and found tests in them', () => {
    expect(report.files.length).toBeGreaterThanOrEqual(3);
    expect(report.total).toBeGreaterThan(0);
  });

  it('has no failed test, block or file', () => {
    expect(report.failures).toEqual([]);
    expect({ failed: report.failed, blocks: report.failedBlocks, files: report.failedContainers }).toEqual({
      failed: 0,
      blocks: 0,
      files: 0,
    });
  });

  it('ran every test: none skipped, not run or inconclusive', () => {
    expect({ skipped: report.skipped, notRun: report.notRun, inconclusive: report.inconclusive }).toEqual({
      skipped: 0,
      notRun: 0,
      inconclusive: 0,
    });
    expect(report.passed).toBe(report.total);
    expect(report.result).toBe('Passed');
  });

  it('measured the coverage of every file of the module', () => {
    expect([...report.coverage.files].sort()).toEqual([...MODULE_FILES].sort());
  });

  it(`covers at least ${MIN_LINE_COVERAGE} % of the module's lines`, () => {
    expect(report.coverage.linesAnalyzed).toBeGreaterThan(0);
    expect(linePercentOf(report)).toBeGreaterThanOrEqual(MIN_LINE_COVERAGE);
  });
});

function linePercentOf(report: PesterReport): number {
  const { linesAnalyzed, linesMissed } = report.coverage;
  return linesAnalyzed === 0 ? 0 : (100 * (linesAnalyzed - linesMissed.length)) / linesAnalyzed;
}
