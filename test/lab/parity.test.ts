import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  BACKEND01,
  BE01,
  createLabServer,
  LYNCBE01,
  type CreateLabServerOptions,
  type LabEngine,
  type LabServerSpec,
} from '../../src/lab/servers.js';
import type { LabFaultRule, LabState } from '../../src/lab/state.js';
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
    databaseVersion: string;
    services: LabState['services'];
    w3svc: LabState['w3svc'];
    pendingReboot: boolean;
    downtime: { windows: number; simulatedMs: number | null }[];
  };
  stepCommands: string[];
}

async function runOn(
  engine: LabEngine,
  spec: LabServerSpec,
  options: Partial<CreateLabServerOptions> = {},
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
    const report = await executor.run(jobFor(spec));
    const state = lab.readState();
    return {
      outcome: report.outcome,
      steps: report.results.map((r) => ({
        id: r.stepId,
        status: r.status,
        exitCode: r.exitCode,
        rebootRequired: r.rebootRequired ?? false,
        errorExcerpt: r.errorExcerpt,
        stdout: r.stdout,
        stderr: r.stderr,
      })),
      server: {
        installedVersion: state.installedVersion,
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
): Promise<Outcome> {
  // One after the other: two runs at once would only slow each other down on two cores.
  const standIn = await runOn('stand-in', spec, options);
  const pwsh = await runOn('pwsh', spec, options);
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

/** A simulated BACKEND01 on one engine, and the runner's Sessions driving it. */
async function labSessionsOn(engine: LabEngine, options: Partial<CreateLabServerOptions> = {}) {
  const dir = await tempDir();
  const lab = createLabServer(BACKEND01, {
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
    change: (s) => void (s.installedVersion = BACKEND01.profile.package.version),
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
});
