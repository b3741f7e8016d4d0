import { join, resolve } from 'node:path';
import { parseCommand } from '../commands/index.js';
import {
  LAB_FLEET,
  labFleetServer,
  createLabServer,
  defaultLabEngine,
  describeLabEngine,
  type LabEngine,
} from '../lab/servers.js';
import type { LabFault } from '../lab/state.js';
import { createLogger } from '../log.js';
import { planUpdate } from '../procedure/index.js';
import type { Job } from '../protocol/messages.js';
import { labRunnerSettings } from './assemble.js';
import { Executor } from './executor.js';
import { Journal } from './journal.js';
import { OutputLog } from './output.js';
import { PATCHBOT_MODULE_PATH, checkShellEnvironment } from './shell-config.js';
import { formatDuration, formatResultLine, formatStartLine } from './cli-format.js';

const USAGE = `Usage: npm run runner -- --lab <server> update <standard|enterprise> [sql <fqdn>] [collocated] [options]

Runs a whole update plan against a SIMULATED lab server (no real server is touched).
Lab servers: ${LAB_FLEET.map((s) => s.profile.server).join(', ')}

Options:
  --time-scale <n>          real time per simulated time (default 0.01: a 15-minute downtime takes ~9 s)
  --dir <folder>            lab state, journal and output logs (default .lab/runner)
  --engine <pwsh|stand-in>  what plays PowerShell: real pwsh running the real PatchBot.psm1 over
                            the lab's fake Windows/Lync layer (the default where pwsh is installed),
                            or the TypeScript stand-in (the default elsewhere)
  --fault <command>=<kind>  inject a failure, e.g. Install-CsDatabase=error, net stop=exit:2,
                            Stop-CsWindowsService=hang, Install-PatchBotUpdate=crash
`;

interface CliArgs {
  server: string;
  words: string[];
  timeScale: number;
  dir: string;
  engine: LabEngine;
  faults: { command: string; fault: LabFault }[];
}

function parseArgs(argv: string[]): CliArgs | string {
  const args: CliArgs = {
    server: '',
    words: [],
    timeScale: 0.01,
    dir: '.lab/runner',
    engine: defaultLabEngine(),
    faults: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = () => argv[++i] ?? '';
    if (arg === '--lab') args.server = value();
    else if (arg === '--time-scale') args.timeScale = Number(value());
    else if (arg === '--dir') args.dir = value();
    else if (arg === '--engine') {
      const engine = value();
      if (engine !== 'pwsh' && engine !== 'stand-in') return '--engine must be pwsh or stand-in';
      if (engine === 'pwsh' && defaultLabEngine() !== 'pwsh')
        return '--engine pwsh: no pwsh found (run scripts/ensure-pwsh.sh with the .NET SDK installed)';
      args.engine = engine;
    } else if (arg === '--fault') {
      const fault = parseFault(value());
      if (typeof fault === 'string') return fault;
      args.faults.push(fault);
    } else if (arg === '--help' || arg === '-h') return USAGE;
    else if (arg.startsWith('--')) return `unknown option ${arg}\n\n${USAGE}`;
    else args.words.push(arg);
  }
  if (!args.server)
    return `--lab <server> is required (real servers are driven by the runner service).\n\n${USAGE}`;
  if (!(args.timeScale > 0 && args.timeScale <= 1))
    return '--time-scale must be a number above 0 and at most 1';
  return args;
}

function parseFault(spec: string): { command: string; fault: LabFault } | string {
  const eq = spec.lastIndexOf('=');
  const command = spec.slice(0, eq);
  const [kind, arg] = spec.slice(eq + 1).split(':');
  if (eq <= 0) return `--fault needs <command>=<kind>, got "${spec}"`;
  switch (kind) {
    case 'error':
      return { command, fault: { kind: 'error', message: arg ?? `simulated failure of ${command}` } };
    case 'exit':
      return {
        command,
        fault: { kind: 'exit', code: Number(arg ?? 1), stderr: `simulated exit of ${command}` },
      };
    case 'hang':
      return { command, fault: { kind: 'hang' } };
    case 'crash':
      return { command, fault: { kind: 'crash', exitCode: Number(arg ?? 1) } };
    default:
      return `unknown fault kind "${kind ?? ''}" (error, exit, hang, crash)`;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(args);
    return args === USAGE ? 0 : 2;
  }
  const spec = labFleetServer(args.server);
  if (!spec) {
    console.error(
      `No lab server "${args.server}". Lab servers: ${LAB_FLEET.map((s) => s.profile.server).join(', ')}`,
    );
    return 2;
  }
  const parsed = parseCommand(
    [args.words[0] ?? 'update', spec.profile.server, ...args.words.slice(1)].join(' '),
  );
  if (!parsed.ok) {
    console.error(parsed.error.message);
    return 2;
  }
  const command = parsed.value;
  if (command.name !== 'update' && command.name !== 'plan') {
    console.error('Only "update" (run the plan) and "plan" (show it) are supported here.');
    return 2;
  }
  if (command.missing.length > 0 || !command.edition) {
    console.error(`Missing: ${command.missing.join(', ')}.\n\n${USAGE}`);
    return 2;
  }
  const request = {
    server: spec.profile.server,
    edition: command.edition,
    sqlServerFqdn: command.sqlServerFqdn ?? undefined,
    collocated: command.collocated,
    ...(command.graceful ? { graceful: true } : {}),
    ...(command.force ? { force: true } : {}),
  };
  const planned = planUpdate(request, spec.profile);
  if (!planned.ok) {
    console.error(planned.error.message);
    return 2;
  }
  const plan = planned.value;
  const dir = resolve(args.dir);
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const lab = createLabServer(spec, {
    dir: join(dir, 'servers'),
    timeScale: args.timeScale,
    faults: args.faults,
    engine: args.engine,
  });
  const shell = checkShellEnvironment(lab.shell, { lab: true, env: process.env });
  if (!shell.ok) {
    console.error(shell.error.message);
    return 2;
  }

  console.log(
    `SIMULATED server ${spec.profile.server} (${spec.profile.product}, ${spec.edition} edition): lab mode, nothing real is touched.`,
  );
  console.log(`PowerShell: ${describeLabEngine(lab.engine)}`);
  console.log(`state: ${lab.stateFile}`);
  for (const step of plan.steps)
    console.log(`  ${String(step.index).padStart(2)}. ${step.id.padEnd(20)} ${step.command}`);
  if (command.name === 'plan') return 0;

  const journal = await Journal.open(join(dir, 'journal.json'), logger);
  for (const result of await journal.recover())
    console.log(`recovered: ${formatResultLine(result, plan.steps.length, null)}`);
  for (const result of journal.pendingResults()) await journal.ack(result);
  const outputLog = new OutputLog(join(dir, 'logs'), logger);
  // Like a lab fleet runner: no local package; the job brings it from the simulated update server.
  const runner = labRunnerSettings(spec.profile);
  const executor = new Executor({
    profile: runner.profile,
    packagePolicy: { sources: runner.packageSources },
    shell: shell.value,
    modulePath: PATCHBOT_MODULE_PATH,
    journal,
    outputLog,
    logger,
    stepTimeoutMs: (step) => Math.max(5000, step.timeoutMs * args.timeScale),
    sessionStartTimeoutMs: 30_000,
  });
  let cancelRequested = false;
  process.on('SIGINT', () => {
    if (cancelRequested) process.exit(130);
    cancelRequested = true;
    console.log('cancel requested: stopping before the next step (Ctrl-C again to quit now)');
  });

  const job: Job = {
    runId: Math.floor(Date.now() / 1000),
    attempt: 1,
    server: spec.profile.server,
    request,
    steps: plan.steps.map((s) => s.id),
    startIndex: 0,
    kind: 'update',
    ...(plan.package ? { package: plan.package } : {}),
  };
  const report = await executor.run(job, {
    onStepStarted: (step, progress) => console.log(formatStartLine(step, progress)),
    onStepResult: async (result, progress) => {
      console.log(formatResultLine(result, plan.steps.length, progress));
      await journal.ack(result);
    },
    isCancelled: () => cancelRequested,
  });
  await journal.close();

  const state = lab.readState();
  const simulated = state.downtime.at(-1);
  console.log('');
  console.log(`outcome: ${report.outcome}${report.error ? ` (${report.error.message})` : ''}`);
  console.log(
    `downtime (wall clock): ${report.downtimeMs === null ? '-' : formatDuration(report.downtimeMs)}`,
  );
  if (simulated) {
    const end = simulated.runningAtSimMs ?? state.clockSimMs;
    console.log(
      `downtime (simulated server clock): ${formatDuration(end - simulated.stoppedAtSimMs)}${simulated.runningAtSimMs === null ? ' and counting: services are still stopped' : ''}`,
    );
  }
  console.log(`patch version: ${spec.installedVersion} -> ${state.installedVersion}`);
  console.log(`full output: ${outputLog.fileFor(job.runId)}`);
  return report.outcome === 'succeeded' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
