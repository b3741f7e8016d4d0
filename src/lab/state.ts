import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Edition, ProductFamily } from '../procedure/index.js';

/**
 * The SIMULATED server's state: one JSON file per lab server, read and written by the lab host
 * (the stand-in for powershell.exe) and read by tests. Nothing here touches a real server.
 */

export type ServiceStatus = 'Running' | 'Stopped';

/** What can go wrong on purpose, per command (see README.md). */
export type LabFault =
  /** The command throws: message on stderr, marker ok=false (a cmdlet error). */
  | { kind: 'error'; message: string }
  /** Text on stderr but the command carries on and succeeds (a chatty native tool). */
  | { kind: 'stderr'; text: string }
  /** A native command ends with this exit code (stderr text optional). */
  | { kind: 'exit'; code: number; stderr?: string }
  /** The command never returns. */
  | { kind: 'hang' }
  /** The shell process exits mid-command with this code, after optional partial output. */
  | { kind: 'crash'; exitCode: number; partialOutput?: string }
  /** Extra output before the command's own (huge output, non-ASCII text). */
  | { kind: 'output'; stdout?: string; stderr?: string; repeat?: number };

export interface LabFaultRule {
  /** Command name as the lab keys it: the cmdlet/function name, or "net stop" / "net start". */
  command: string;
  /** Only the n-th call of that command (1-based); every call when omitted. */
  occurrence?: number;
  fault: LabFault;
}

/** Facts of the server the checks look at; flip them to make a pre-check fail. */
export interface LabConditions {
  csAdministrator: boolean;
  pendingReboot: boolean;
  freeSpaceGb: number;
  /** Process ids of other (simulated) shells holding the Lync/SfB module. */
  foreignModuleHolders: number[];
  /** Exit code the update installer ends with (3010: installed, restart required). */
  installerExitCode: number;
  /** The package source serves bytes that do not match the published hash. */
  corruptDownload: boolean;
  /** $PSVersionTable.PSVersion the server reports, e.g. '5.1', '4.0', '3.0', '2.0'. */
  powershellVersion: string;
  /** .NET Framework 4.5 or later is installed. */
  dotNet45: boolean;
  /** Get-CsServerPatchVersion exists (SfB 2015 from the November 2015 CU, 6.0.9319.102, on). */
  serverPatchVersionCmdlet: boolean;
  /** A component the installer leaves at its old version (the post-check must catch it), or null. */
  laggingComponent: string | null;
  /** After an exit code 0 the installer still leaves a restart pending (flags set). */
  installerLeavesRestartPending: boolean;
  /** Topology Builder / Deployment Wizard is open on the server. */
  deploymentToolsRunning: boolean;
  /** Get-CsWindowsService lists the Cs services (false: a machine that cannot run the procedure). */
  csServicesInstalled: boolean;
  /** The runner's account is sysadmin on the back end's SQL Server (Enterprise). */
  sqlSysadmin: boolean;
  /** The back-end databases are mirrored (Enterprise). */
  mirrored: boolean;
  /** Mirrored, and the mirror (not the primary) is principal for the databases. */
  principalOnMirror: boolean;
  /** Invoke-CsDatabaseFailover fails (the mirror cannot take over / give back). */
  failoverFails: boolean;
}

export interface LabCommandRecord {
  seq: number;
  pid: number;
  /** init: the runner's session set-up; step: anything else the envelope carried; unknown: not understood. */
  kind: 'init' | 'step' | 'unknown';
  command: string;
  key: string;
  /** The simulator's clock (simulated ms since the lab server was created). */
  simStartMs: number;
  simEndMs: number | null;
  wallStart: string;
  wallEnd: string | null;
  result: 'running' | 'ok' | 'error' | 'hang' | 'crash' | 'interrupted' | 'unknown';
  exitCode: number | null;
}

export interface LabDowntime {
  stoppedAtSimMs: number;
  stoppedAtWall: string;
  runningAtSimMs: number | null;
  runningAtWall: string | null;
}

export interface LabState {
  version: 1;
  server: string;
  product: ProductFamily;
  edition: Edition;
  sqlServerFqdn: string | null;
  /** The pool's FQDN (a Standard Edition server is its own pool). */
  poolFqdn: string;
  collocatedStores: boolean;
  installedVersion: string;
  /**
   * The product's installed components, as Get-CsServerPatchVersion and the installed-programs list
   * name them; each is at installedVersion. Both engines read them from here.
   */
  components: string[];
  /**
   * Each component's own patch version (keys = the names in `components`). The installer brings
   * them to the package's version (except `conditions.laggingComponent`); installedVersion is
   * always the lowest of them. Both engines read and write this field.
   */
  componentVersions: Record<string, string>;
  databaseVersion: string;
  /** Real sleep = simulated duration x timeScale (0.001 in tests: a 10-minute install takes 0.6 s). */
  timeScale: number;
  /** Simulated duration per command key, ms. */
  durationsMs: Record<string, number>;
  conditions: LabConditions;
  /** What each package source (URL or UNC path) serves. */
  packageSources: Record<string, string>;
  /** Simulated disk: lower-cased Windows path -> content. */
  files: Record<string, string>;
  services: Record<string, ServiceStatus>;
  w3svc: ServiceStatus;
  /** Lab host pids that imported the Lync/SfB module (checked for liveness when read). */
  moduleHolders: number[];
  faults: LabFaultRule[];
  callCounts: Record<string, number>;
  clockSimMs: number;
  log: LabCommandRecord[];
  downtime: LabDowntime[];
  sessions: { pid: number; startedAtWall: string; args: string[] }[];
}

export function readLabState(file: string): LabState {
  const state = JSON.parse(readFileSync(file, 'utf-8')) as LabState;
  if (state.version !== 1) throw new Error(`simulator: ${file} is not a lab state file (version 1)`);
  return state;
}

/** Temp file + rename, so a reader (a test, another lab host) never sees half a file. */
export function writeLabState(file: string, state: LabState): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 1));
  renameSync(temp, file);
}

export function updateLabState(file: string, change: (state: LabState) => void): LabState {
  const state = readLabState(file);
  change(state);
  writeLabState(file, state);
  return state;
}

/** Windows paths are case-insensitive; the simulated disk keys them lower-cased. */
export function diskKey(path: string): string {
  return path.replace(/\//g, '\\').toLowerCase();
}

/** Numeric comparison of dotted versions. */
export function compareLabVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The components and their versions, in the order the server lists them. */
export function componentVersionList(state: LabState): { name: string; version: string }[] {
  return state.components.map((name) => ({
    name,
    version: state.componentVersions[name] ?? state.installedVersion,
  }));
}

/** Sets one component's version (all when `name` is omitted) and keeps installedVersion the lowest. */
export function setComponentVersion(state: LabState, version: string, name?: string): void {
  for (const component of state.components) {
    if (name === undefined || component === name) state.componentVersions[component] = version;
  }
  const versions = componentVersionList(state).map((c) => c.version);
  state.installedVersion = versions.reduce((low, v) => (compareLabVersions(v, low) < 0 ? v : low));
}

/**
 * SIMULATED restart of the lab server's Windows: the pending restart is gone, Windows starts
 * every Cs service (none on a machine without them) and W3SVC, and no process survives (module
 * holders and sessions are forgotten). Versions, files and the command log stay.
 */
export function restartLabState(state: LabState): void {
  state.conditions.pendingReboot = false;
  for (const name of Object.keys(state.services)) state.services[name] = 'Running';
  state.w3svc = 'Running';
  state.moduleHolders = [];
  state.sessions = [];
  state.clockSimMs += state.durationsMs['windows.restart'] ?? 0;
  const open = state.downtime.at(-1);
  if (open && open.runningAtSimMs === null) {
    open.runningAtSimMs = state.clockSimMs;
    open.runningAtWall = new Date().toISOString();
  }
}
