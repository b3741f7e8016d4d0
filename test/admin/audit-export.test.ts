import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportAudit, formatAudit, parseAuditArgs, runAuditExport } from '../../src/admin/audit-export.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { AuditEvent } from '../../src/store/store.js';
import { tempDataDir } from '../store/support.js';
import { captureIo } from './support.js';

const ALEX = { id: '29:alex', name: 'Alex Admin' };
const EVENTS: AuditEvent[] = [
  { at: '2026-10-31T23:00:00.000Z', action: 'request', actor: ALEX, runId: 11, server: 'be01' },
  { at: '2026-11-01T00:00:00.000Z', action: 'request', actor: ALEX, runId: 12, server: 'be01' },
  { at: '2026-11-01T00:05:00.000Z', action: 'approve', actor: ALEX, runId: 12, server: 'be01' },
  { at: '2026-11-15T10:00:00.000Z', action: 'request', actor: ALEX, runId: 13, server: 'be02' },
  {
    at: '2026-11-30T23:59:59.000Z',
    action: 'step-result',
    actor: { runnerId: 'rn-be02-1' },
    runId: 13,
    server: 'be02',
  },
  { at: '2026-12-01T00:00:00.000Z', action: 'runner-register', actor: { system: true }, server: 'be03' },
];

async function storeWithEvents(): Promise<{ dataDir: string; store: LowdbStore }> {
  const dataDir = await tempDataDir();
  const store = await LowdbStore.open(dataDir);
  for (const event of EVENTS) await store.appendAudit(event);
  return { dataDir, store };
}

const query = (argv: string[]) => parseAuditArgs(argv).query;

describe('audit export', () => {
  it.each([
    [
      ['--since', '2026-11-01'],
      [1, 2, 3, 4, 5],
    ],
    [
      ['--since', '2026-11-01', '--until', '2026-11-30'],
      [1, 2, 3, 4],
    ],
    [
      ['--since', '2026-11-01T00:05:00Z', '--until', '2026-11-15T10:00:00Z'],
      [2, 3],
    ],
    [
      ['--since', '2026-11-01T01:00+01:00'],
      [1, 2, 3, 4, 5],
    ],
    [
      ['--since', '2026-10-01', '--server', 'BE01'],
      [0, 1, 2],
    ],
    [
      ['--since', '2026-10-01', '--run', '13'],
      [3, 4],
    ],
    [['--since', '2026-10-01', '--server', 'be02', '--run', '12'], []],
    [['--since', '2027-01-01'], []],
  ])('%j selects the right events', async (argv, expected) => {
    const { store } = await storeWithEvents();
    expect(await exportAudit(store, query(argv))).toEqual(expected.map((i) => EVENTS[i]));
    await store.close();
  });

  it.each([
    [[], /--since is required/],
    [['--since', 'yesterday'], /--since "yesterday" is not a date/],
    [['--since', '2026-02-30'], /not a date/],
    [['--since', '2026-11-01T08:00:00'], /not a date/],
    [['--since', '2026-11-01', '--until', '2026-13-01'], /--until "2026-13-01" is not a date/],
    [['--since', '2026-11-02', '--until', '2026-11-01'], /later than --since/],
    [['--since', '2026-11-01', '--run', 'twelve'], /not a run number/],
    [['--since', '2026-11-01', '--server', 'be_01'], /--server/],
    [['--since', '2026-11-01', '--color'], /Unknown option/],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseAuditArgs(argv)).toThrow(message);
  });

  it('prints a JSON array, or JSON Lines', () => {
    expect(JSON.parse(formatAudit(EVENTS, 'json'))).toEqual(EVENTS);
    expect(formatAudit([], 'json')).toBe('[]\n');
    const lines = formatAudit(EVENTS.slice(0, 2), 'jsonl').split('\n');
    expect(lines.slice(0, 2).map((line) => JSON.parse(line) as AuditEvent)).toEqual(EVENTS.slice(0, 2));
    expect(lines[2]).toBe('');
    expect(formatAudit([], 'jsonl')).toBe('');
  });

  it('runs as a command: output on stdout, a bad date on stderr with exit code 2', async () => {
    const { dataDir, store } = await storeWithEvents();
    const ok = captureIo();
    expect(await runAuditExport(['--since', '2026-12-01', '--jsonl'], { dataDir, io: ok.io })).toBe(0);
    expect(ok.out()).toBe(`${JSON.stringify(EVENTS[5])}\n`);
    expect(ok.err()).toBe('');

    const bad = captureIo();
    expect(await runAuditExport(['--since', '2026-11-31'], { dataDir, io: bad.io })).toBe(2);
    expect(bad.out()).toBe('');
    expect(bad.err()).toMatch(/--since "2026-11-31" is not a date[\s\S]*Usage:/);

    const missing = captureIo();
    const nowhere = path.join(dataDir, 'nowhere');
    expect(await runAuditExport(['--since', '2026-11-01'], { dataDir: nowhere, io: missing.io })).toBe(1);
    expect(missing.err()).toContain(`There is no store at ${nowhere}`);
    await store.close();
  });
});
