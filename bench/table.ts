import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineInfo } from './machine.js';
import { round } from './stats.js';

/** One line of the results table: a measured figure, its goal, and whether it meets it. */
export interface BenchRow {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  /** Human-readable goal, e.g. "<= 1.5"; '-' for figures shown for context only. */
  goal: string;
  /** null for context figures without a goal. */
  pass: boolean | null;
}

export interface BenchReport {
  machine: MachineInfo;
  startedAt: string;
  durationSeconds: number;
  rows: BenchRow[];
}

function verdict(pass: boolean | null): string {
  return pass === null ? '' : pass ? 'pass' : 'FAIL';
}

function cells(row: BenchRow): string[] {
  const value = Number.isFinite(row.value) ? String(round(row.value)) : 'n/a';
  return [row.benchmark, row.figure, `${value} ${row.unit}`.trim(), row.goal, verdict(row.pass)];
}

const HEADINGS = ['benchmark', 'figure', 'value', 'goal', 'result'];

/** The rows as a Markdown table (also readable as plain text in a terminal). */
export function formatTable(rows: readonly BenchRow[]): string {
  const table = [HEADINGS, ...rows.map(cells)];
  const widths = HEADINGS.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
  const line = (values: string[]) =>
    `| ${values.map((value, column) => value.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(HEADINGS), rule, ...rows.map((row) => line(cells(row)))].join('\n');
}

export async function writeReport(file: string, report: BenchReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const rows = report.rows.map((row) => ({ ...row, value: Number.isFinite(row.value) ? row.value : null }));
  await writeFile(file, `${JSON.stringify({ ...report, rows }, null, 2)}\n`, 'utf8');
}
