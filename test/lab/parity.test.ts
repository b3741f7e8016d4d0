import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  BACKEND01,
  BE01,
  createLabServer,
  labServerSpec,
  LYNCBE01,
  type CreateLabServerOptions,
  type LabEngine,
  type LabServer,
  type LabServerSpec,
} from '../../src/lab/servers.js';
import { resumeIndex, type UpdateRequest } from '../../src/procedure/index.js';
import { setComponentVersion, type LabFaultRule, type LabState } from '../../src/lab/state.js';
import { silentLogger } from '../../src/log.js';
import { Executor } from '../../src/runner/executor.js';
import { Sessions } from '../../src/runner/sessions.js';
import { Journal } from '../../src/runner/journal.js';
import { OutputLog } from '../../src/runner/output.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';
import { compiledLabHost } from '../runner/compiled-host.js';
import { jobFor, planFor, removeTempDirs, requestFor, tempDir, waitFor } from '../runner/support.js';

afterAll(removeTempDirs);

/**
 * Lab parity: the same plan through the real Executor on both lab engines, the TypeScript
 * stand-in (src/lab/host/) and real pwsh running the real PatchBot.psm1 over the fake Windows/Lync
 * layer (src/lab/powershell/). Every step must end the same way and leave the same server.
 *
 * Durations are the defaults at a small time scale; a process start counts as no simulated time
 * here, because when a spare process becomes ready depends on how fast each engine's process
 * boots (a tsx host or pwsh), not on the lab state.
 */
const TIME_SCALE = 0.0001;

interface Outcome {
  outcome: string;
  steps: {
    id: string;
    status: string;
    exitCode: number | null;
    rebootRequired: boolean;
    errorExcerpt: string | null;
    stdout: string;
    stderr: string;
  }[];
  server: {
    installedVersion: string;
    componentVersions: LabState['componentVersions'];
    databaseVersion: string;
    services: LabState['services'];
    w3svc: LabState['w3svc'];
    pendingReboot: boolean;
    downtime: { windows: number; simulatedMs: number | null }[];
  };
  stepCommands: string[];
}

/**
 * What differs between the engines by nature, not by behaviour: the time stamps in the names of
 * the installer's log and the database report (each engine writes them when it gets there).
 */
function normalizeFilePaths(text: string): string {
  return text.replace(/-\d{8}-\d{6}\.(log|html)\b/g, '-<stamp>.$1');
}

/** A second attempt after the first one ended: what happens to the server in between. */
interface Retry {
  between(lab: LabServer): void;
}

async function runOn(
  engine: LabEngine,
  spec: LabServerSpec,
  options: Partial<CreateLabServerOptions> = {},
  request: UpdateRequest = requestFor(spec),
  retry?: Retry,
): Promise<Outcome> {
  const dir = await tempDir();
  const lab = createLabServer(spec, {
    timeScale: TIME_SCALE,
    ...options,
    durationsMs: { 'session.start': 0, ...options.durationsMs },
    dir: join(dir, 'lab'),
    engine,
  });
  const logger = silentLogger();
  const journal = await Journal.open(join(dir, 'journal.json'), logger);
  // The stand-in as the other runner tests start it (compiled once; the same source).
  const shell = engine === 'pwsh' ? lab.shell : { ...lab.shell, executable: await compiledLabHost() };
  const executor = new Executor({
    profile: spec.profile,
    shell,
    modulePath: PATCHBOT_MODULE_PATH,
    journal,
    outputLog: new OutputLog(join(dir, 'logs'), logger),
    logger,
    stepTimeoutMs: () => 60_000,
    sessionStartTimeoutMs: 60_000,
  });
  try {
    const job = jobFor(spec, {}, request);
    let report = await executor.run(job);
    const results = [...report.results];
    const last = results.at(-1);
    if (retry && last && report.outcome !== 'succeeded') {
      retry.between(lab);
      const plan = planFor(spec.profile, request);
      const failedIndex = plan.steps.findIndex((s) => s.id === last.stepId);
      const startIndex = resumeIndex(plan, failedIndex, last.rebootRequired ?? false);
      report = await executor.run({ ...job, attempt: 2, startIndex });
      results.push(...report.results);
    }
    const state = lab.readState();
    return {
      outcome: report.outcome,
      steps: results.map((r) => ({
        id: r.stepId,
        status: r.status,
        exitCode: r.exitCode,
        rebootRequired: r.rebootRequired ?? false,
        errorExcerpt: r.errorExcerpt === null ? null : normalizeFilePaths(r.errorExcerpt),
        stdout: normalizeFilePaths(r.stdout),
        stderr: normalizeFilePaths(r.stderr),
      })),
      server: {
        installedVersion: state.installedVersion,
        componentVersions: state.componentVersions,
        databaseVersion: state.databaseVersion,
        services: state.services,
        w3svc: state.w3svc,
        pendingReboot: state.conditions.pendingReboot,
        downtime: state.downtime.map((d) => ({
          windows: 1,
          simulatedMs: d.runningAtSimMs === null ? null : d.runningAtSimMs - d.stoppedAtSimMs,
        })),
      },
      stepCommands: lab.stepCommands(),
    };
  } finally {
    await journal.close();
  }
}

async function compareEngines(
  spec: LabServerSpec,
  options: Partial<CreateLabServerOptions> = {},
  request: UpdateRequest = requestFor(spec),
  retry?: Retry,
): Promise<Outcome> {
  // One after the other: two runs at once would only slow each other down on two cores.
  const standIn = await runOn('stand-in', spec, options, request, retry);
  const pwsh = await runOn('pwsh', spec, options, request, retry);
  expect(pwsh).toEqual(standIn);
  return pwsh;
}

const VARIANTS: [string, LabServerSpec][] = [
  ['backend01 (SfB 2019 Standard Edition)', BACKEND01],
  ['be01 (SfB 2019 Enterprise Edition)', BE01],
  ['lyncbe01 (Lync 2013 Enterprise Edition, collocated stores)', LYNCBE01],
];

/** Injected faults, keyed as the stand-in keys commands. */
const FAULTS: LabFaultRule[] = [
  {
    command: 'Assert-PatchBotNoPendingReboot',
    fault: { kind: 'output', stdout: 'Grüße, 你好', repeat: 2 },
  },
  { command: 'Assert-PatchBotFreeSpace', fault: { kind: 'stderr', text: 'simulated chatter' } },
  {
    command: 'Get-CsWindowsService',
    occurrence: 1,
    fault: { kind: 'error', message: 'simulated RPC failure' },
  },
  { command: 'net stop', fault: { kind: 'exit', code: 5, stderr: 'simulated access denied' } },
  { command: 'Stop-CsWindowsService', fault: { kind: 'hang' } },
  {
    command: 'Assert-PatchBotCsAdministrator',
    fault: { kind: 'crash', exitCode: 3, partialOutput: 'half a line' },
  },
];

const FAULT_STEPS: { command: string; timeoutMs?: number }[] = [
  { command: 'Assert-PatchBotNoPendingReboot' },
  { command: "Assert-PatchBotFreeSpace -Path 'C:\\PatchBot\\staging' -MinimumGB 10" },
  { command: 'Import-Module SkypeForBusiness' },
  { command: 'Get-CsWindowsService' },
  { command: 'Get-CsWindowsService' },
  { command: 'net stop w3svc /y' },
  { command: 'Stop-CsWindowsService', timeoutMs: 2_500 },
  { command: 'Assert-PatchBotCsAdministrator' },
];

/** A simulated BACKEND01 (or another spec) on one engine, and the runner's Sessions driving it. */
async function labSessionsOn(
  engine: LabEngine,
  options: Partial<CreateLabServerOptions> = {},
  spec: LabServerSpec = BACKEND01,
) {
  const dir = await tempDir();
  const lab = createLabServer(spec, {
    timeScale: TIME_SCALE,
    ...options,
    dir: join(dir, 'lab'),
    engine,
  });
  const shell = engine === 'pwsh' ? lab.shell : { ...lab.shell, executable: await compiledLabHost() };
  const sessions = new Sessions({
    shell,
    modulePath: PATCHBOT_MODULE_PATH,
    startTimeoutMs: 60_000,
    logger: silentLogger(),
  });
  return { lab, sessions };
}

async function faultsOn(engine: LabEngine) {
  const { lab, sessions } = await labSessionsOn(engine, { faults: FAULTS });
  const answers: { kind: string; ok?: boolean; exit?: number | null; stdout: string; stderr: string }[] = [];
  try {
    for (const step of FAULT_STEPS) {
      const execution = await sessions.execute(step.command, {
        fresh: false,
        replay: [],
        timeoutMs: step.timeoutMs ?? 60_000,
        prestart: false,
      });
      answers.push({
        kind: execution.kind,
        ok: execution.kind === 'answered' ? execution.ok : undefined,
        exit:
          execution.kind === 'answered'
            ? execution.exit
            : execution.kind === 'shell-exited'
              ? execution.exit.code
              : undefined,
        stdout: execution.stdout,
        stderr: execution.stderr,
      });
    }
  } finally {
    await sessions.runEnded();
  }
  const log = lab
    .readState()
    .log.map((r) => ({ kind: r.kind, key: r.key, result: r.result, exitCode: r.exitCode }));
  return { answers, log };
}

/**
 * Each check on its own, in one session: the server's state is changed before the command, and
 * both engines must answer the same way with the same message on stderr.
 */
const CHECKS: { name: string; command: string; change?: (state: LabState) => void }[] = [
  {
    name: 'not in CsAdministrator',
    command: 'Assert-PatchBotCsAdministrator',
    change: (s) => void (s.conditions.csAdministrator = false),
  },
  {
    name: 'too little free space',
    command: "Assert-PatchBotFreeSpace -Path 'C:\\PatchBot\\staging' -MinimumGB 10",
    change: (s) => void (s.conditions.freeSpaceGb = 5.55),
  },
  {
    name: 'a corrupted download',
    command: `Save-PatchBotPackage -Source '${BACKEND01.profile.package.source}' -Destination 'C:\\PatchBot\\staging\\SkypeServerUpdateInstaller.exe'`,
    change: (s) => void (s.conditions.corruptDownload = true),
  },
  {
    name: 'its hash',
    command: `Assert-PatchBotFileHash -Path 'C:\\PatchBot\\staging\\SkypeServerUpdateInstaller.exe' -Sha256 '${BACKEND01.profile.package.sha256}'`,
  },
  {
    name: 'an unknown package source',
    command:
      "Save-PatchBotPackage -Source 'https://updates.contoso.local/none.exe' -Destination 'C:\\PatchBot\\staging\\none.exe'",
  },
  { name: 'the management module', command: 'Import-Module SkypeForBusiness' },
  {
    name: 'another shell holding it',
    command: 'Assert-PatchBotNoOtherShells -Module SkypeForBusiness',
    change: (s) => void (s.conditions.foreignModuleHolders = [4242]),
  },
  {
    name: 'the Enterprise parameter set on a Standard Edition server',
    command: "Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn 'sql01.contoso.local'",
  },
  {
    name: 'a parameter set that cannot be resolved',
    command: 'Install-CsDatabase -Update -LocalDatabases -ConfiguredDatabases',
  },
  {
    name: 'services started while the schema is behind the binaries',
    command: 'Start-CsWindowsService',
    change: (s) => setComponentVersion(s, BACKEND01.profile.package.version),
  },
  { name: 'services not all running', command: 'Assert-PatchBotCsServicesRunning' },
  {
    name: 'a version below the expected one',
    command: `Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '7.0.2046.999'`,
  },
  { name: 'net start while IIS runs', command: 'net start w3svc' },
];

/**
 * PowerShell's own messages differ by version: pwsh 7 adds a sentence to the parameter-binding
 * error that Windows PowerShell 5.1 (the servers', and the stand-in's) does not have.
 */
function normalizePowerShellWording(text: string): string {
  return text.replace(
    'named parameters. One or more parameters issued cannot be used together or an insufficient number of parameters were provided.',
    'named parameters.',
  );
}

async function checksOn(engine: LabEngine) {
  const { lab, sessions } = await labSessionsOn(engine);
  const answers: { name: string; kind: string; ok?: boolean; exit?: number | null; stderr: string }[] = [];
  try {
    for (const check of CHECKS) {
      if (check.change) lab.update(check.change);
      const execution = await sessions.execute(check.command, {
        fresh: false,
        replay: [],
        timeoutMs: 60_000,
        prestart: false,
      });
      answers.push({
        name: check.name,
        kind: execution.kind,
        ok: execution.kind === 'answered' ? execution.ok : undefined,
        exit: execution.kind === 'answered' ? execution.exit : undefined,
        stderr: normalizePowerShellWording(execution.stderr.trim()),
      });
    }
  } finally {
    await sessions.runEnded();
  }
  const state = lab.readState();
  return { answers, services: state.services, databaseVersion: state.databaseVersion };
}

const SQL = "-SqlServerFqdn 'sql01.contoso.local'";
const POOL = `-PoolFqdn '${BE01.poolFqdn}'`;
const NEXT = BE01.profile.package.version;

/**
 * The functions of docs/steps.md, each under the server condition it reacts to, in one session on
 * the Enterprise back end be01 (output compared too: the stand-in prints what the module prints).
 */
const STEP_CHECKS: { name: string; command: string; change?: (state: LabState) => void }[] = [
  {
    name: 'PowerShell 4.0',
    command: 'Assert-PatchBotPowerShellVersion',
    change: (s) => void (s.conditions.powershellVersion = '4.0'),
  },
  {
    name: 'PowerShell 2.0',
    command: 'Assert-PatchBotPowerShellVersion',
    change: (s) => void (s.conditions.powershellVersion = '2.0'),
  },
  {
    name: 'no .NET Framework 4.5',
    command: 'Assert-PatchBotPowerShellVersion',
    change: (s) => {
      s.conditions.powershellVersion = '5.1';
      s.conditions.dotNet45 = false;
    },
  },
  {
    name: 'the facts of a mirrored back end, principal on the mirror',
    command: "Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'C:\\PatchBot\\staging'",
    change: (s) => {
      s.conditions.dotNet45 = true;
      s.conditions.mirrored = true;
      s.conditions.principalOnMirror = true;
      s.conditions.freeSpaceGb = 42.37;
    },
  },
  { name: 'the management module', command: 'Import-Module SkypeForBusiness' },
  {
    name: 'no Cs services',
    command: 'Assert-PatchBotCsServicesPresent',
    change: (s) => void (s.conditions.csServicesInstalled = false),
  },
  {
    name: 'Cs services present',
    command: 'Assert-PatchBotCsServicesPresent',
    change: (s) => void (s.conditions.csServicesInstalled = true),
  },
  {
    name: 'nothing to do',
    command: `Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '${BE01.installedVersion}'`,
  },
  {
    name: 'the same version, forced',
    command: `Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '${BE01.installedVersion}' -AllowSameVersion`,
  },
  {
    name: 'a downgrade',
    command: "Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '7.0.2046.500'",
  },
  {
    name: 'the update applies',
    command: `Assert-PatchBotVersionGap -Product SkypeForBusiness -PackageVersion '${NEXT}'`,
  },
  {
    name: 'no SQL rights',
    command: `Assert-PatchBotSqlRights ${SQL}`,
    change: (s) => void (s.conditions.sqlSysadmin = false),
  },
  {
    name: 'SQL rights',
    command: `Assert-PatchBotSqlRights ${SQL}`,
    change: (s) => void (s.conditions.sqlSysadmin = true),
  },
  { name: 'mirroring the plan did not know', command: `Assert-PatchBotDatabaseMirror ${SQL} ${POOL}` },
  {
    name: 'a failover that fails',
    command: `Assert-PatchBotDatabaseMirror ${SQL} ${POOL} -Mirrored`,
    change: (s) => void (s.conditions.failoverFails = true),
  },
  {
    name: 'a database update while the mirror is principal',
    command: `Update-PatchBotDatabase -Variant enterprise ${SQL}`,
    change: (s) => setComponentVersion(s, NEXT),
  },
  {
    name: 'a failover to the primary',
    command: `Assert-PatchBotDatabaseMirror ${SQL} ${POOL} -Mirrored`,
    change: (s) => void (s.conditions.failoverFails = false),
  },
  {
    name: 'stopping the Cs services gracefully',
    command: 'Stop-PatchBotCsServices -Graceful -TimeoutMinutes 5',
  },
  { name: 'stopping them again', command: 'Stop-PatchBotCsServices' },
  { name: 'stopping IIS', command: 'Stop-PatchBotIis' },
  { name: 'stopping IIS again', command: 'Stop-PatchBotIis' },
  { name: 'starting IIS', command: 'Start-PatchBotIis' },
  { name: 'starting IIS again', command: 'Start-PatchBotIis' },
  { name: 'the database update', command: `Update-PatchBotDatabase -Variant enterprise ${SQL}` },
  { name: 'the database update again', command: `Update-PatchBotDatabase -Variant enterprise ${SQL}` },
  {
    name: 'one lagging component',
    command: `Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '${NEXT}'`,
    change: (s) => setComponentVersion(s, BE01.installedVersion, s.components[1]),
  },
  {
    name: 'every component at the version',
    command: `Assert-PatchBotPatchVersion -Product SkypeForBusiness -Expected '${NEXT}'`,
    change: (s) => setComponentVersion(s, NEXT),
  },
  {
    name: 'the facts after the update',
    command: "Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'C:\\PatchBot\\staging'",
  },
];

async function stepChecksOn(engine: LabEngine) {
  const { lab, sessions } = await labSessionsOn(engine, {}, BE01);
  const answers: { name: string; ok?: boolean; exit?: number | null; stdout: string; stderr: string }[] = [];
  try {
    for (const check of STEP_CHECKS) {
      if (check.change) lab.update(check.change);
      const execution = await sessions.execute(check.command, {
        fresh: false,
        replay: [],
        timeoutMs: 60_000,
        prestart: false,
      });
      answers.push({
        name: check.name,
        ok: execution.kind === 'answered' ? execution.ok : undefined,
        exit: execution.kind === 'answered' ? execution.exit : undefined,
        stdout: normalizeFilePaths(execution.stdout.trim()),
        stderr: normalizeFilePaths(execution.stderr.trim()),
      });
    }
  } finally {
    await sessions.runEnded();
  }
  const state = lab.readState();
  return {
    answers,
    server: {
      services: state.services,
      w3svc: state.w3svc,
      databaseVersion: state.databaseVersion,
      principalOnMirror: state.conditions.principalOnMirror,
    },
  };
}

describeOnRealPwsh('lab parity: stand-in and real PatchBot.psm1 on pwsh', () => {
  it('checks and refusals answer the same, with the same message, on both engines', async () => {
    const standIn = await checksOn('stand-in');
    const pwsh = await checksOn('pwsh');
    // whoami.exe is a native program: $LASTEXITCODE is 0 after the role check on both engines.
    expect([standIn.answers[0]?.exit, pwsh.answers[0]?.exit]).toEqual([0, 0]);
    expect(pwsh.answers).toEqual(standIn.answers);
    expect(pwsh.answers.map((a) => `${a.name}: ${a.ok === true ? 'ok' : 'refused'}`)).toEqual([
      'not in CsAdministrator: refused',
      'too little free space: refused',
      'a corrupted download: ok',
      'its hash: refused',
      'an unknown package source: refused',
      'the management module: ok',
      'another shell holding it: refused',
      'the Enterprise parameter set on a Standard Edition server: refused',
      'a parameter set that cannot be resolved: refused',
      'services started while the schema is behind the binaries: refused',
      'services not all running: refused',
      'a version below the expected one: refused',
      'net start while IIS runs: ok',
    ]);
    expect(pwsh.answers.at(-1)?.exit).toBe(2);
    expect(pwsh.services).toEqual(standIn.services);
    expect(pwsh.services.RTCSRV).toBe('Stopped');
    expect(pwsh.databaseVersion).toBe(standIn.databaseVersion);
  }, 120_000);

  it('a process start counts on the simulated clock the same way on both engines', async () => {
    const first = async (engine: LabEngine) => {
      const { lab, sessions } = await labSessionsOn(engine);
      await sessions.execute('Assert-PatchBotNoPendingReboot', {
        fresh: false,
        replay: [],
        timeoutMs: 60_000,
        prestart: false,
      });
      await sessions.runEnded();
      const state = lab.readState();
      return { first: state.log[0], sessions: state.sessions };
    };
    const standIn = await first('stand-in');
    const pwsh = await first('pwsh');
    // Started when needed: its whole start-up (session.start, 1.5 s) passes before its first command.
    expect(pwsh.first?.simStartMs).toBe(1500);
    expect(standIn.first?.simStartMs).toBe(1500);
    expect(pwsh.sessions).toHaveLength(1);
    expect(pwsh.sessions[0]?.pid).toBe(pwsh.first?.pid);
    expect(pwsh.sessions[0]?.args).toContain('-NonInteractive');
  }, 60_000);

  it('Ctrl-C stops the running command and keeps the session on both engines', async () => {
    const interrupt = async (engine: LabEngine) => {
      // Stop-CsWindowsService (90 s simulated) takes 9 s here; Ctrl-C comes well before.
      const { lab, sessions } = await labSessionsOn(engine, { timeScale: 0.1 });
      const opts = { fresh: false, replay: [], timeoutMs: 60_000, prestart: false };
      try {
        await sessions.execute('Import-Module SkypeForBusiness', opts);
        const stopping = sessions.execute('Stop-CsWindowsService', opts);
        await waitFor(() => lab.commandLog().some((r) => r.key === 'Stop-CsWindowsService'));
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(sessions.pid!, 'SIGINT');
        const stopped = await stopping;
        const next = await sessions.execute('Assert-PatchBotNoPendingReboot', opts);
        return {
          kinds: [stopped.kind, next.kind],
          log: lab
            .commandLog()
            .filter((r) => r.kind === 'step')
            .map((r) => `${r.key} ${r.result}`),
          stoppedLasted: (() => {
            const r = lab.commandLog().find((x) => x.key === 'Stop-CsWindowsService');
            return r?.wallEnd ? Date.parse(r.wallEnd) - Date.parse(r.wallStart) : null;
          })(),
        };
      } finally {
        await sessions.runEnded();
      }
    };
    const standIn = await interrupt('stand-in');
    const pwsh = await interrupt('pwsh');
    expect({ ...pwsh, stoppedLasted: null }).toEqual({ ...standIn, stoppedLasted: null });
    expect(pwsh.kinds).toEqual(['no-marker', 'answered']);
    expect(pwsh.log).toEqual([
      'Import-Module ok',
      'Stop-CsWindowsService interrupted',
      'Assert-PatchBotNoPendingReboot ok',
    ]);
    // Its end is when Ctrl-C came, not when it would have finished.
    expect(pwsh.stoppedLasted).toBeLessThan(5_000);
  }, 120_000);

  it('injected faults, keyed the same way, act the same on both engines', async () => {
    const standIn = await faultsOn('stand-in');
    const pwsh = await faultsOn('pwsh');
    const outcome = (a: (typeof pwsh.answers)[number]) => ({ kind: a.kind, ok: a.ok, exit: a.exit });
    expect(pwsh.answers.map(outcome)).toEqual(standIn.answers.map(outcome));
    expect(pwsh.answers.map(outcome)).toEqual([
      { kind: 'answered', ok: true, exit: null },
      { kind: 'answered', ok: true, exit: null },
      { kind: 'answered', ok: true, exit: null },
      { kind: 'answered', ok: false, exit: null },
      { kind: 'answered', ok: true, exit: null },
      { kind: 'answered', ok: true, exit: 5 },
      { kind: 'timed-out', ok: undefined, exit: undefined },
      { kind: 'shell-exited', ok: undefined, exit: 3 },
    ]);
    for (const answers of [standIn.answers, pwsh.answers]) {
      expect(answers[0]?.stdout).toContain('Grüße, 你好\nGrüße, 你好\n');
      expect(answers[1]?.stderr).toContain('simulated chatter');
      expect(answers[3]?.stderr).toContain('simulated RPC failure');
      expect(answers[5]?.stderr).toContain('simulated access denied');
      expect(answers[7]?.stdout).toContain('half a line');
    }
    expect(pwsh.log).toEqual(standIn.log);
    expect(pwsh.log.filter((r) => r.kind === 'step').map((r) => `${r.key} ${r.result}`)).toEqual([
      'Assert-PatchBotNoPendingReboot ok',
      'Assert-PatchBotFreeSpace ok',
      'Import-Module ok',
      'Get-CsWindowsService error',
      'Get-CsWindowsService ok',
      'net stop ok',
      'Stop-CsWindowsService hang',
      'Assert-PatchBotCsAdministrator crash',
    ]);
  }, 120_000);

  it.each(VARIANTS)(
    'a full update of %s ends the same on both engines',
    async (_name, spec) => {
      const pwsh = await compareEngines(spec);
      const plan = planFor(spec.profile, requestFor(spec));
      expect(pwsh.outcome).toBe('succeeded');
      expect(pwsh.steps.map((s) => s.status)).toEqual(plan.steps.map(() => 'succeeded'));
      expect(pwsh.stepCommands).toEqual(
        plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command),
      );
      expect(pwsh.server.installedVersion).toBe(spec.profile.package.version);
      expect(pwsh.server.databaseVersion).toBe(spec.profile.package.version);
      expect(pwsh.server.downtime).toHaveLength(1);
      expect(pwsh.server.downtime[0]?.simulatedMs).toBeGreaterThan(0);
    },
    120_000,
  );

  it('a pending restart fails the pre-check on both engines, before any downtime', async () => {
    const pwsh = await compareEngines(BE01, { conditions: { pendingReboot: true } });
    expect(pwsh.outcome).toBe('failed');
    expect(pwsh.steps.map((s) => `${s.id} ${s.status}`)).toEqual([
      'precheck.powershell succeeded',
      'precheck.role succeeded',
      'precheck.reboot failed',
    ]);
    expect(pwsh.server.downtime).toEqual([]);
    expect(pwsh.server.installedVersion).toBe(BE01.installedVersion);
  }, 120_000);

  it('an installer failing with 1603 stops the run at the install on both engines', async () => {
    const pwsh = await compareEngines(LYNCBE01, { conditions: { installerExitCode: 1603 } });
    expect(pwsh.outcome).toBe('failed');
    expect(pwsh.steps.at(-1)).toMatchObject({
      id: 'update.install',
      status: 'failed',
      exitCode: 1603,
      rebootRequired: false,
    });
    expect(pwsh.server.installedVersion).toBe(LYNCBE01.installedVersion);
    // Services stay stopped: the window is open.
    expect(pwsh.server.downtime).toEqual([{ windows: 1, simulatedMs: null }]);
  }, 120_000);

  it('an installer asking for a restart (3010) ends the same on both engines', async () => {
    const pwsh = await compareEngines(BACKEND01, { conditions: { installerExitCode: 3010 } });
    const install = pwsh.steps.find((s) => s.id === 'update.install');
    expect(install?.exitCode).toBe(3010);
    expect(pwsh.server.pendingReboot).toBe(true);
  }, 120_000);

  it('the functions of docs/steps.md answer the same, word for word, on both engines', async () => {
    const standIn = await stepChecksOn('stand-in');
    const pwsh = await stepChecksOn('pwsh');
    for (const [index, answer] of pwsh.answers.entries()) expect(answer).toEqual(standIn.answers[index]);
    expect(pwsh.server).toEqual(standIn.server);
    expect(pwsh.answers.map((a) => `${a.name}: ${a.ok === true ? 'ok' : 'refused'}`)).toEqual([
      'PowerShell 4.0: ok',
      'PowerShell 2.0: refused',
      'no .NET Framework 4.5: refused',
      'the facts of a mirrored back end, principal on the mirror: ok',
      'the management module: ok',
      'no Cs services: refused',
      'Cs services present: ok',
      'nothing to do: refused',
      'the same version, forced: ok',
      'a downgrade: refused',
      'the update applies: ok',
      'no SQL rights: refused',
      'SQL rights: ok',
      'mirroring the plan did not know: refused',
      'a failover that fails: refused',
      'a database update while the mirror is principal: refused',
      'a failover to the primary: ok',
      'stopping the Cs services gracefully: ok',
      'stopping them again: ok',
      'stopping IIS: ok',
      'stopping IIS again: ok',
      'starting IIS: ok',
      'starting IIS again: ok',
      'the database update: ok',
      'the database update again: ok',
      'one lagging component: refused',
      'every component at the version: ok',
      'the facts after the update: ok',
    ]);
    const byName = new Map(pwsh.answers.map((a) => [a.name, a]));
    const facts = JSON.parse(byName.get('the facts of a mirrored back end, principal on the mirror')!.stdout);
    expect(facts).toMatchObject({
      productName: 'SkypeForBusiness',
      installedVersion: BE01.installedVersion,
      edition: 'enterprise',
      poolFqdn: BE01.poolFqdn,
      sqlServerFqdn: 'sql01.contoso.local',
      collocatedStores: false,
      mirrored: true,
      pendingRestart: false,
      freeSpaceGb: 42.3,
      powershellVersion: '5.1',
      csServiceCount: 13,
    });
    expect(JSON.parse(byName.get('the facts after the update')!.stdout).installedVersion).toBe(NEXT);
    expect(byName.get('PowerShell 2.0')!.stderr).toContain('Windows Management Framework 3.0');
    expect(byName.get('a failover that fails')!.stderr).toContain('Nothing has been stopped');
    expect(byName.get('stopping IIS again')!.stdout).toContain('already stopped');
    expect(byName.get('starting IIS again')!.stdout).toContain('already running');
    expect(byName.get('stopping them again')!.stdout).toContain('already stopped');
    expect(byName.get('stopping the Cs services gracefully')!.stdout).toContain(
      'drained and stopped within 5 minutes',
    );
    expect(byName.get('the database update')!.stdout).toContain('Test-CsDatabase: update needed.');
    expect(byName.get('the database update')!.stdout).toContain('Test-CsDatabase: done.');
    expect(byName.get('the database update again')!.stdout).toContain('Test-CsDatabase: up to date.');
    expect(byName.get('one lagging component')!.stderr).toContain(
      `Skype for Business Server 2019, Front End Server (${BE01.installedVersion})`,
    );
    expect(pwsh.server.databaseVersion).toBe(NEXT);
    expect(pwsh.server.principalOnMirror).toBe(false);
  }, 180_000);

  it('an installer asking for a restart, a restart and Retry finish the run the same on both engines', async () => {
    const pwsh = await compareEngines(
      BACKEND01,
      { conditions: { installerExitCode: 3010 } },
      requestFor(BACKEND01),
      {
        between: (lab) => {
          lab.restart();
          lab.update((s) => void (s.conditions.installerExitCode = 0));
        },
      },
    );
    expect(pwsh.outcome).toBe('succeeded');
    const ids = pwsh.steps.map((s) => s.id);
    const install = ids.indexOf('update.install');
    expect(pwsh.steps[install]).toMatchObject({ exitCode: 3010, rebootRequired: true });
    // Retry picks up at shell.reopen: the Cs services are stopped again before the database update.
    expect(ids.slice(install + 1, install + 4)).toEqual(['shell.reopen', 'services.stop-again', 'iis.start']);
    expect(pwsh.steps.find((s) => s.id === 'iis.start')?.stdout).toContain('already running');
    const commands = pwsh.stepCommands;
    const lastInstall = commands.findIndex((c) => c.startsWith('Install-PatchBotUpdate'));
    expect(commands.slice(lastInstall).findIndex((c) => c === 'Stop-PatchBotCsServices')).toBeGreaterThan(0);
    expect(pwsh.server).toMatchObject({
      installedVersion: BACKEND01.profile.package.version,
      databaseVersion: BACKEND01.profile.package.version,
      w3svc: 'Running',
      pendingReboot: false,
    });
    expect(Object.values(pwsh.server.services).every((s) => s === 'Running')).toBe(true);
  }, 180_000);

  it('a mirrored back end with the mirror as principal is failed over before downtime on both engines', async () => {
    const request = { ...requestFor(BE01), poolFqdn: BE01.poolFqdn, mirrored: true };
    const conditions = { mirrored: true, principalOnMirror: true };
    const pwsh = await compareEngines(BE01, { conditions }, request);
    expect(pwsh.outcome).toBe('succeeded');
    expect(pwsh.steps.find((s) => s.id === 'precheck.mirror')?.stdout).toContain('Invoke-CsDatabaseFailover');
    expect(pwsh.server.databaseVersion).toBe(BE01.profile.package.version);

    const failing = await compareEngines(
      BE01,
      { conditions: { ...conditions, failoverFails: true } },
      request,
    );
    expect(failing.outcome).toBe('failed');
    expect(failing.steps.at(-1)).toMatchObject({ id: 'precheck.mirror', status: 'failed' });
    expect(failing.server.downtime).toEqual([]);
  }, 240_000);

  it('PowerShell 4.0 runs and 2.0 is refused before downtime on both engines', async () => {
    const four = await compareEngines(LYNCBE01, { conditions: { powershellVersion: '4.0' } });
    expect(four.outcome).toBe('succeeded');
    const two = await compareEngines(LYNCBE01, { conditions: { powershellVersion: '2.0' } });
    expect(two.outcome).toBe('failed');
    expect(two.steps.map((s) => `${s.id} ${s.status}`)).toEqual(['precheck.powershell failed']);
    expect(two.server.downtime).toEqual([]);
  }, 240_000);

  it('one lagging component fails the post-check, and an open Topology Builder stops the installer, on both engines', async () => {
    const component = 'Skype for Business Server 2019, Administrative Tools';
    const lagging = await compareEngines(BE01, { conditions: { laggingComponent: component } });
    expect(lagging.outcome).toBe('failed');
    expect(lagging.steps.at(-1)).toMatchObject({ id: 'postcheck.version', status: 'failed' });
    expect(lagging.steps.at(-1)?.errorExcerpt).toContain(component);
    expect(lagging.server.componentVersions[component]).toBe(BE01.installedVersion);

    const tools = await compareEngines(BACKEND01, { conditions: { deploymentToolsRunning: true } });
    expect(tools.steps.at(-1)).toMatchObject({ id: 'update.install', status: 'failed', exitCode: null });
    expect(tools.server.installedVersion).toBe(BACKEND01.installedVersion);
  }, 240_000);

  it('facts and versions read from the installed programs answer the same on both engines', async () => {
    const sfb2015 = labServerSpec({ server: 'fe2015', product: 'sfb2015', edition: 'standard' });
    const cases: [LabServerSpec, string, Partial<LabState['conditions']>][] = [
      [LYNCBE01, 'Lync2013', { powershellVersion: '2.0', pendingReboot: true }],
      [sfb2015, 'SkypeForBusiness', { serverPatchVersionCmdlet: false, csServicesInstalled: false }],
    ];
    const answersOn = async (
      engine: LabEngine,
      spec: LabServerSpec,
      product: string,
      conditions: Partial<LabState['conditions']>,
    ) => {
      const { sessions } = await labSessionsOn(engine, { conditions }, spec);
      const opts = { fresh: false, replay: [], timeoutMs: 60_000, prestart: false };
      try {
        const answers = [];
        for (const command of [
          `Get-PatchBotServerFacts -Product ${product} -StagingPath 'C:\\PatchBot\\staging'`,
          `Import-Module ${spec.profile.product === 'lync2013' ? 'Lync' : 'SkypeForBusiness'}`,
          `Get-PatchBotPatchVersion -Product ${product}`,
        ]) {
          const execution = await sessions.execute(command, opts);
          const stdout = execution.stdout.trim();
          answers.push({
            ok: execution.kind === 'answered' ? execution.ok : undefined,
            // The facts as JSON values: pwsh 7 writes a whole double as 120.0, Windows
            // PowerShell 5.1 (the servers') and the stand-in as 120.
            stdout: command.startsWith('Get-PatchBotServerFacts') ? (JSON.parse(stdout) as unknown) : stdout,
            stderr: execution.stderr.trim(),
          });
        }
        return answers;
      } finally {
        await sessions.runEnded();
      }
    };
    for (const [spec, product, conditions] of cases) {
      const standIn = await answersOn('stand-in', spec, product, conditions);
      const pwsh = await answersOn('pwsh', spec, product, conditions);
      expect(pwsh).toEqual(standIn);
      expect(pwsh.map((a) => a.ok)).toEqual([true, true, true]);
      const facts = pwsh[0]!.stdout as Record<string, unknown>;
      expect(facts.installedVersion).toBe(spec.installedVersion);
      expect(facts.components).toHaveLength(3);
      expect(String(pwsh[2]!.stdout).split('\n').at(-1)).toBe(spec.installedVersion);
      if (spec === LYNCBE01) {
        expect(facts).toMatchObject({
          powershellVersion: null,
          pendingRestart: true,
          collocatedStores: true,
        });
      } else {
        expect(facts).toMatchObject({ csServiceCount: 0, edition: 'standard', mirrored: false });
      }
    }
  }, 120_000);
});
