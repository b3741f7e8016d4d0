import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs test/powershell/Test-PowerShellFloor.ps1 (the old-PowerShell gate) once in real pwsh for a
 * batch of files and command lines, and returns its report. PowerShell's own parser does the
 * parsing; see test/powershell/README.md for what is checked.
 */

export const FLOOR_SCRIPT = fileURLToPath(new URL('./Test-PowerShellFloor.ps1', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The oldest Windows PowerShell any server may have (src/runner/powershell/README.md). */
export const POWERSHELL_FLOOR = '3.0';

export type FloorInput = { name: string; floor?: string } & ({ path: string } | { text: string });

export interface Finding {
  rule: 'parse-error' | 'syntax' | 'requires' | 'command' | 'parameter' | 'encoding';
  /** The PowerShell version that brought the construct ('' for a parse error). */
  since: string;
  line: number;
  column: number;
  text: string;
  message: string;
}

export interface CommandElement {
  /** AST node type, e.g. StringConstantExpressionAst, CommandParameterAst. */
  type: string;
  text: string;
  /** A string constant's value, or a parameter's name; null for anything else. */
  value: string | null;
  /** A string constant's kind (BareWord, SingleQuoted, DoubleQuoted, ...); null for anything else. */
  quote: string | null;
}

export interface CommandDetail {
  /** As written; null when the command name is computed (`& $x`). */
  name: string | null;
  line: number;
  elements: CommandElement[];
}

export interface FloorResult {
  name: string;
  floor: string;
  findings: Finding[];
  /** Every command in the text, nested ones included, in source order. */
  commands: CommandDetail[];
  /** The top-level statements: AST type and, for a pipeline, its number of elements. */
  statements: { type: string; elements: number }[];
  /** Names of the functions the text defines. */
  functions: string[];
  /** True when the text has a param, begin, process or dynamicparam block of its own. */
  blocks: boolean;
}

const run = promisify(execFile);

export async function checkFloor(pwsh: string, inputs: FloorInput[]): Promise<Map<string, FloorResult>> {
  const names = new Set<string>();
  for (const input of inputs) {
    if (names.has(input.name)) throw new Error(`duplicate floor-check input name: ${input.name}`);
    names.add(input.name);
  }
  const dir = await mkdtemp(join(tmpdir(), 'ps-floor-'));
  try {
    const request = join(dir, 'request.json');
    const report = join(dir, 'report.json');
    await writeFile(request, JSON.stringify({ floor: POWERSHELL_FLOOR, items: inputs }), 'utf8');
    await run(
      pwsh,
      [
        '-NoLogo',
        '-NoProfile',
        '-NonInteractive',
        '-File',
        FLOOR_SCRIPT,
        '-RequestFile',
        request,
        '-OutFile',
        report,
      ],
      { cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const parsed = JSON.parse(await readFile(report, 'utf8')) as { items: FloorResult[] };
    const results = new Map(parsed.items.map((item) => [item.name, item]));
    for (const name of names)
      if (!results.has(name)) throw new Error(`floor check returned nothing for ${name}`);
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One readable line per finding, for failure messages. */
export function describeFindings(results: Iterable<FloorResult>): string[] {
  const lines: string[] = [];
  for (const result of results) {
    for (const f of result.findings) {
      lines.push(`${result.name}:${f.line}:${f.column} [${f.rule}] ${f.message} -- ${f.text}`);
    }
  }
  return lines;
}
