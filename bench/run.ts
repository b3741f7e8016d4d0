import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.js';
import { formatTable, writeReport, type BenchRow } from './table.js';

/**
 * `npm run bench [-- name...]`: runs the benchmarks one after another (each starts and stops its own
 * bot, connector and runners on 127.0.0.1), prints one table and writes it to bench/results.json.
 * Exits 1 only when a benchmark could not complete; a missed goal is a FAIL line in the table.
 */

// restify reads process.binding('http_parser'); keep Node's deprecation notice out of the table.
process.noDeprecation = true;

type Benchmark = () => Promise<BenchRow[]>;

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  turn: async () => (await import('./turn-latency.js')).benchTurnLatency,
  result: async () => (await import('./result-latency.js')).benchResultLatency,
  downtime: async () => (await import('./downtime.js')).benchDowntime,
  storage: async () => (await import('./storage-growth.js')).benchStorageGrowth,
  fleet: async () => (await import('./fleet.js')).benchFleet,
  notifications: async () => (await import('./notification-throughput.js')).benchNotificationThroughput,
  'store-writes': async () => (await import('./store-writes.js')).benchStoreWrites,
  handover: async () => (await import('./handover.js')).benchHandOver,
};

async function main(): Promise<number> {
  const chosen = process.argv.slice(2).filter((arg) => arg !== '--');
  const unknown = chosen.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`,
    );
    return 64;
  }
  const names = chosen.length > 0 ? chosen : Object.keys(BENCHMARKS);
  const machine = describeMachine();
  const startedAt = new Date();
  console.log(
    `patch bot benchmarks: nproc ${machine.nproc}, ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverage}`,
  );
  const rows: BenchRow[] = [];
  let incomplete = false;
  for (const name of names) {
    const began = Date.now();
    console.log(`- ${name} ...`);
    try {
      const benchmark = await BENCHMARKS[name]!();
      rows.push(...(await benchmark()));
    } catch (error) {
      incomplete = true;
      console.error(`  ${name} failed:`, error);
      const reason = error instanceof Error ? error.message : String(error);
      rows.push({
        benchmark: name,
        figure: `did not complete: ${reason.slice(0, 100)}`,
        value: Number.NaN,
        unit: '',
        goal: '-',
        pass: false,
      });
    }
    console.log(`  ${name} took ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  console.log(`\n${formatTable(rows)}\n`);
  const loadAtEnd = describeMachine().loadAverage;
  console.log(
    `${rows.filter((r) => r.pass === false).length} goal(s) missed; took ${durationSeconds.toFixed(0)} s; load average ${machine.loadAverage} at start, ${loadAtEnd} at end`,
  );
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.json');
  await writeReport(file, { machine, startedAt: startedAt.toISOString(), durationSeconds, rows });
  console.log(`written to ${path.relative(process.cwd(), file)}`);
  return incomplete ? 1 : 0;
}

process.exitCode = await main();
