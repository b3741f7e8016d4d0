import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Edition, ProductFamily, ServerProfile } from '../procedure/index.js';
import { PRODUCTS, psQuote } from '../procedure/index.js';
import type { ShellSpec } from '../runner/shell.js';
import { labPackage, labPackageSources, LAB_PACKAGE_VERSIONS, simulatedPackageContent } from './package.js';
import { findRealPwsh } from './real-pwsh.js';
import {
  readLabState,
  restartLabState,
  updateLabState,
  writeLabState,
  type LabCommandRecord,
  type LabConditions,
  type LabFaultRule,
  type LabState,
} from './state.js';

/**
 * The lab fleet: SIMULATED Lync Server 2013 / Skype for Business Server machines for `npm start`
 * lab mode, tests and benchmarks. Each is a JSON state file plus the lab host executable, which
 * the runner drives through the real node-powershell exactly as it would drive powershell.exe.
 */

export interface LabServerSpec {
  /** What the runner on this server is configured with. */
  profile: ServerProfile;
  /** The server's real role, which the simulated Install-CsDatabase enforces. */
  edition: Edition;
  sqlServerFqdn: string | null;
  /** Archiving/Monitoring databases collocated on the Back End SQL Server. */
  collocatedStores: boolean;
  /** Patch version before the update. */
  installedVersion: string;
  /** The pool's FQDN (a Standard Edition server is its own pool). */
  poolFqdn: string;
}

export const LAB_HOST_EXECUTABLE = fileURLToPath(new URL('./bin/lab-powershell', import.meta.url));

/** The fake Windows/Lync layer for real pwsh (src/lab/powershell/, see README.md). */
export const LAB_WINDOWS_MODULE = fileURLToPath(new URL('./powershell/LabWindows.psm1', import.meta.url));
const LAB_MODULES_DIR = fileURLToPath(new URL('./powershell/modules', import.meta.url));

/**
 * What plays PowerShell on a lab server. 'pwsh': the real PatchBot.psm1 in real PowerShell 7 over
 * the fake Windows/Lync layer; 'stand-in': the TypeScript host (src/lab/host/), for machines
 * without pwsh.
 */
export type LabEngine = 'pwsh' | 'stand-in';

/** Lab mode's choice: real pwsh where scripts/ensure-pwsh.sh restored it, else the stand-in. */
export function defaultLabEngine(): LabEngine {
  return findRealPwsh() ? 'pwsh' : 'stand-in';
}

/** One line for banners: which engine plays the servers. */
export function describeLabEngine(engine: LabEngine): string {
  return engine === 'pwsh'
    ? 'real PowerShell 7 (pwsh) running the real PatchBot.psm1 over a fake Windows/Lync layer (src/lab/powershell/)'
    : 'the TypeScript stand-in for PowerShell (src/lab/host/; no pwsh found: run scripts/ensure-pwsh.sh with the .NET SDK to use real PowerShell)';
}

/** How Windows names each product in its installed programs and Get-CsServerPatchVersion. */
const PRODUCT_DISPLAY_NAMES: Record<ProductFamily, string> = {
  lync2013: 'Microsoft Lync Server 2013',
  sfb2015: 'Skype for Business Server 2015',
  sfb2019: 'Skype for Business Server 2019',
  sfbse: 'Skype for Business Server Subscription Edition',
};
const COMPONENTS = ['Core Components', 'Front End Server', 'Administrative Tools'];

/** Builds a lab server description; the fleet below uses it, tests use it for the other variants. */
export function labServerSpec(args: {
  server: string;
  product: ProductFamily;
  edition: Edition;
  sqlServerFqdn?: string | null;
  collocatedStores?: boolean;
  /** Leave out the edition in the runner's profile (the runner then trusts the request). */
  profileWithoutEdition?: boolean;
}): LabServerSpec {
  const [from = '', to = ''] = LAB_PACKAGE_VERSIONS[args.product];
  return {
    profile: {
      server: args.server,
      product: args.product,
      edition: args.profileWithoutEdition ? undefined : args.edition,
      package: labPackage(args.product, to),
      stagingDir: 'C:\\PatchBot\\staging',
      minFreeGb: 10,
    },
    edition: args.edition,
    sqlServerFqdn: args.sqlServerFqdn ?? null,
    collocatedStores: args.collocatedStores ?? false,
    installedVersion: from,
    poolFqdn:
      args.edition === 'standard' ? `${args.server}.contoso.local` : `${args.server}-pool.contoso.local`,
  };
}

/** Skype for Business Server 2019 Standard Edition server. */
export const BACKEND01 = labServerSpec({ server: 'backend01', product: 'sfb2019', edition: 'standard' });
/** Skype for Business Server 2019 Enterprise Edition Back End, databases on sql01. */
export const BE01 = labServerSpec({
  server: 'be01',
  product: 'sfb2019',
  edition: 'enterprise',
  sqlServerFqdn: 'sql01.contoso.local',
});
/** Lync Server 2013 Enterprise Edition Back End with collocated Archiving/Monitoring databases. */
export const LYNCBE01 = labServerSpec({
  server: 'lyncbe01',
  product: 'lync2013',
  edition: 'enterprise',
  sqlServerFqdn: 'lyncsql01.contoso.local',
  collocatedStores: true,
});

export const LAB_FLEET: readonly LabServerSpec[] = [BACKEND01, BE01, LYNCBE01];

export function labFleetServer(name: string): LabServerSpec | undefined {
  return LAB_FLEET.find((s) => s.profile.server === name.toLowerCase());
}

/** Simulated durations (ms, before scaling), roughly what a real server takes. */
export const DEFAULT_DURATIONS_MS: Readonly<Record<string, number>> = {
  'session.start': 1500,
  'init.encoding': 5,
  'init.preferences': 5,
  'init.module': 300,
  'Assert-PatchBotCsAdministrator': 800,
  'Assert-PatchBotNoPendingReboot': 300,
  'Assert-PatchBotFreeSpace': 300,
  'Save-PatchBotPackage': 45_000,
  'Assert-PatchBotFileHash': 5_000,
  'Expand-PatchBotPackage': 8_000,
  'Import-Module': 12_000,
  'Assert-PatchBotNoOtherShells': 1_500,
  'Get-PatchBotPatchVersion': 4_000,
  'Get-CsWindowsService': 2_000,
  'Stop-CsWindowsService': 90_000,
  'net stop': 15_000,
  'Install-PatchBotUpdate': 480_000,
  'net start': 5_000,
  'Install-CsDatabase': 180_000,
  'Start-CsWindowsService': 120_000,
  'Assert-PatchBotCsServicesRunning': 3_000,
  'Assert-PatchBotPatchVersion': 4_000,
  'Assert-PatchBotPowerShellVersion': 300,
  'Assert-PatchBotCsServicesPresent': 2_000,
  'Assert-PatchBotVersionGap': 4_000,
  'Assert-PatchBotSqlRights': 1_500,
  'Assert-PatchBotDatabaseMirror': 5_000,
  'Stop-PatchBotCsServices': 90_000,
  'Stop-PatchBotIis': 15_000,
  'Start-PatchBotIis': 5_000,
  'Update-PatchBotDatabase': 180_000,
  'Get-PatchBotServerFacts': 3_000,
  /** LabServer.restart(): Windows going down and coming back with its services. */
  'windows.restart': 240_000,
};

const CS_SERVICES = [
  'REPLICA',
  'RTCCLSAGT',
  'RTCSRV',
  'RTCCAA',
  'RTCCAS',
  'RTCRGS',
  'RTCCPS',
  'RTCATS',
  'RTCIMMCU',
  'RTCDATAMCU',
  'RTCAVMCU',
  'RTCASMCU',
  'RTCMEDSRV',
];

export interface CreateLabServerOptions {
  /** Folder for this server's state file (created if missing). */
  dir: string;
  /** Real time per simulated ms: 0.01 for a watchable demo, 0.0005 or less in tests. */
  timeScale?: number;
  conditions?: Partial<LabConditions>;
  faults?: LabFaultRule[];
  durationsMs?: Record<string, number>;
  /** 'crlf' makes the host end lines like Windows does (to exercise the CRLF framing bug). */
  newline?: 'lf' | 'crlf';
  /** The lab host to run instead of LAB_HOST_EXECUTABLE (tests use a copy compiled to JavaScript). */
  hostExecutable?: string;
  /** 'stand-in' (the default here; tests are tuned to its speed) or 'pwsh' (needs findRealPwsh()). */
  engine?: LabEngine;
}

export interface LabServer {
  spec: LabServerSpec;
  engine: LabEngine;
  profile: ServerProfile;
  stateFile: string;
  /** Pass to the runner as its shell. */
  shell: ShellSpec;
  readState(): LabState;
  commandLog(): LabCommandRecord[];
  /** The step commands the simulator ran, in order (session set-up left out). */
  stepCommands(): string[];
  update(change: (state: LabState) => void): LabState;
  addFault(rule: LabFaultRule): void;
  /**
   * SIMULATED restart of the server's Windows (what the admin does when the installer asks for
   * one): no restart pending, every Cs service and W3SVC running again, no process left holding
   * the management module. Versions, files and the command log stay.
   */
  restart(): LabState;
}

/** Creates (or resets) a SIMULATED server in `options.dir` and returns what runner and tests need. */
export function createLabServer(spec: LabServerSpec, options: CreateLabServerOptions): LabServer {
  mkdirSync(options.dir, { recursive: true });
  const stateFile = join(options.dir, `${spec.profile.server}.lab.json`);
  const { profile } = spec;
  const components = COMPONENTS.map((c) => `${PRODUCT_DISPLAY_NAMES[profile.product]}, ${c}`);
  const state: LabState = {
    version: 1,
    server: profile.server,
    product: profile.product,
    edition: spec.edition,
    sqlServerFqdn: spec.sqlServerFqdn,
    poolFqdn: spec.poolFqdn,
    collocatedStores: spec.collocatedStores,
    installedVersion: spec.installedVersion,
    components,
    componentVersions: Object.fromEntries(components.map((c) => [c, spec.installedVersion])),
    databaseVersion: spec.installedVersion,
    timeScale: options.timeScale ?? 0.01,
    durationsMs: { ...DEFAULT_DURATIONS_MS, ...options.durationsMs },
    conditions: {
      csAdministrator: true,
      pendingReboot: false,
      freeSpaceGb: 120,
      foreignModuleHolders: [],
      installerExitCode: 0,
      corruptDownload: false,
      powershellVersion: '5.1',
      dotNet45: true,
      serverPatchVersionCmdlet: true,
      laggingComponent: null,
      installerLeavesRestartPending: false,
      deploymentToolsRunning: false,
      csServicesInstalled: true,
      sqlSysadmin: true,
      mirrored: false,
      principalOnMirror: false,
      failoverFails: false,
      ...options.conditions,
    },
    // The simulated update server: every lab version of the product, and the profile's package.
    packageSources: {
      ...labPackageSources(profile.product),
      [profile.package.source]: simulatedPackageContent(profile.product, profile.package.version),
    },
    files: {},
    services: Object.fromEntries(CS_SERVICES.map((name) => [name, 'Running' as const])),
    w3svc: 'Running',
    moduleHolders: [],
    faults: options.faults ?? [],
    callCounts: {},
    clockSimMs: 0,
    log: [],
    downtime: [],
    sessions: [],
  };
  writeLabState(stateFile, state);
  const engine = options.engine ?? 'stand-in';
  return {
    spec,
    engine,
    profile,
    stateFile,
    shell: engine === 'pwsh' ? pwshShell(options.dir, stateFile) : standInShell(options, stateFile),
    readState: () => readLabState(stateFile),
    commandLog: () => readLabState(stateFile).log,
    // The runner reads the server's facts between jobs; those reads are not steps.
    stepCommands: () =>
      readLabState(stateFile)
        .log.filter((r) => r.kind === 'step' && r.key !== 'Get-PatchBotServerFacts')
        .map((r) => r.command),
    update: (change) => updateLabState(stateFile, change),
    addFault: (rule) => updateLabState(stateFile, (s) => void s.faults.push(rule)),
    restart: () => updateLabState(stateFile, restartLabState),
  };
}

function standInShell(options: CreateLabServerOptions, stateFile: string): ShellSpec {
  const executableOptions: Record<string, string> = { '-LabState': stateFile };
  if (options.newline === 'crlf') executableOptions['-LabNewline'] = 'crlf';
  return { executable: options.hostExecutable ?? LAB_HOST_EXECUTABLE, executableOptions };
}

/**
 * Real pwsh: the runner sends the set-up line first in every session, before its own set-up and
 * the import of PatchBot.psm1. It puts the fake management module of the server's product on the
 * module path, imports the fake Windows layer -Global (its functions then shadow the Windows
 * touchpoints for PatchBot.psm1 too) and hands it the state file and the folder that is drive C:.
 */
function pwshShell(dir: string, stateFile: string): ShellSpec {
  const pwsh = findRealPwsh();
  if (!pwsh) throw new Error('simulator: no pwsh for the lab (run scripts/ensure-pwsh.sh)');
  const state = readLabState(stateFile);
  const driveRoot = resolve(dir, 'C');
  // A fresh server: an empty drive C:.
  rmSync(driveRoot, { recursive: true, force: true });
  mkdirSync(driveRoot, { recursive: true });
  const modules = join(LAB_MODULES_DIR, PRODUCTS[state.product].module);
  const setup =
    `$env:PSModulePath = ${psQuote(modules)} + [System.IO.Path]::PathSeparator + $env:PSModulePath; ` +
    `Import-Module -Name ${psQuote(LAB_WINDOWS_MODULE)} -Global -ArgumentList ${psQuote(resolve(stateFile))}, ${psQuote(driveRoot)}`;
  if (!/^[\x20-\x7e]*$/.test(setup)) {
    throw new Error(`simulator: the lab's paths must be printable ASCII for pwsh (${dir})`);
  }
  return { executable: pwsh, executableOptions: {}, setupCommands: [setup] };
}
