import { PRODUCTS, versionProductName } from './products.js';
import { psQuote } from './powershell.js';
import type { DatabaseVariant, Phase, ProductFamily, SessionEffect, StepId } from './types.js';

/** Everything a step's command may depend on; every field is validated before it gets here. */
export interface StepContext {
  product: ProductFamily;
  variant: DatabaseVariant;
  sqlServerFqdn: string | null;
  stagingDir: string;
  packageFile: string;
  packageSource: string;
  packageSha256: string;
  packageVersion: string;
  minFreeGb: number;
  /** Drain calls and conferences before stopping (services.stop only). */
  graceful: boolean;
  /** Re-install the version the server already runs (precheck.version). */
  force: boolean;
  /** Enterprise: the pool whose mirror state is read, when the runner's facts named it. */
  poolFqdn: string | null;
  /** Enterprise: the back-end databases are mirrored (from the facts). */
  mirrored: boolean;
}

export interface StepDefinition {
  id: StepId;
  /** Only in Enterprise plans (variants enterprise and enterprise-collocated). */
  enterpriseOnly?: boolean;
  phase: Phase;
  articleStep: number | null;
  session: SessionEffect;
  retrySafe: boolean;
  /** The step's time limit; a function when it grows with the request (graceful drain). */
  timeoutMs: number | ((ctx: StepContext) => number);
  render(ctx: StepContext): string;
  /**
   * The Microsoft cmdlet or native command the step's wrapper runs on the server, as an admin
   * would type it (the reference article's line where there is one), for the plan card. Display
   * only: the runner compares step ids, never this.
   */
  underlying?(ctx: StepContext): string;
}

/**
 * How long `graceful` lets calls and conferences drain before the services are stopped anyway.
 * The drain counts as downtime (the first Stop-CsWindowsService starts the clock), and the whole
 * downtime must stay under 30 minutes or users fall into resiliency mode: 10 leaves the rest of
 * the procedure (installer, database update, start) room within those 30 minutes.
 */
export const GRACEFUL_DRAIN_MINUTES = 10;

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const packagePath = (c: StepContext) => `${c.stagingDir}\\${c.packageFile}`;
const extractDir = (c: StepContext) => `${c.stagingDir}\\${c.packageVersion}`;
const moduleOf = (c: StepContext) => PRODUCTS[c.product].module;

function databaseUpdate(c: StepContext): string {
  const sql = c.variant === 'standard' ? '' : ` -SqlServerFqdn ${psQuote(c.sqlServerFqdn ?? '')}`;
  return `Update-PatchBotDatabase -Variant ${c.variant}${sql}`;
}

function servicesStop(c: StepContext): string {
  return c.graceful
    ? `Stop-PatchBotCsServices -Graceful -TimeoutMinutes ${GRACEFUL_DRAIN_MINUTES}`
    : 'Stop-PatchBotCsServices';
}

/** What `Get-PatchBotPatchVersion` reads (Versions.ps1): the cmdlet on SfB, installed programs on Lync 2013. */
function versionSource(c: StepContext): string {
  return versionProductName(c.product) === 'Lync2013'
    ? "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'"
    : 'Get-CsServerPatchVersion';
}

/** The reference article's Install-CsDatabase line for the variant (Database.ps1 adds -Report). */
export function installCsDatabaseLine(c: Pick<StepContext, 'variant' | 'sqlServerFqdn'>): string {
  if (c.variant === 'standard') return 'Install-CsDatabase -Update -LocalDatabases';
  const line = `Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn ${psQuote(c.sqlServerFqdn ?? '')}`;
  return c.variant === 'enterprise-collocated' ? `${line} -ExcludeCollocatedStores` : line;
}

function mirrorCheck(c: StepContext): string {
  const pool = c.poolFqdn ? ` -PoolFqdn ${psQuote(c.poolFqdn)}` : '';
  const mirrored = c.mirrored ? ' -Mirrored' : '';
  return `Assert-PatchBotDatabaseMirror -SqlServerFqdn ${psQuote(c.sqlServerFqdn ?? '')}${pool}${mirrored}`;
}

/**
 * The allow-list: every step the runner will ever execute, in procedure order.
 * Commands named *-PatchBot* live in the runner's own helper module (src/runner/powershell/PatchBot.psm1).
 */
export const STEP_CATALOG: readonly StepDefinition[] = [
  step('precheck.powershell', 'prestage', null, true, 1 * MINUTE, () => 'Assert-PatchBotPowerShellVersion'),
  step('precheck.role', 'prestage', 1, true, 1 * MINUTE, () => 'Assert-PatchBotCsAdministrator'),
  step('precheck.reboot', 'prestage', null, true, 1 * MINUTE, () => 'Assert-PatchBotNoPendingReboot'),
  step(
    'precheck.disk',
    'prestage',
    null,
    true,
    1 * MINUTE,
    (c) => `Assert-PatchBotFreeSpace -Path ${psQuote(c.stagingDir)} -MinimumGB ${c.minFreeGb}`,
  ),
  step(
    'stage.fetch',
    'prestage',
    2,
    true,
    30 * MINUTE,
    (c) => `Save-PatchBotPackage -Source ${psQuote(c.packageSource)} -Destination ${psQuote(packagePath(c))}`,
  ),
  step(
    'stage.verify',
    'prestage',
    2,
    true,
    10 * MINUTE,
    (c) => `Assert-PatchBotFileHash -Path ${psQuote(packagePath(c))} -Sha256 ${psQuote(c.packageSha256)}`,
  ),
  step(
    'stage.extract',
    'prestage',
    2,
    true,
    10 * MINUTE,
    (c) =>
      `Expand-PatchBotPackage -Path ${psQuote(packagePath(c))} -Destination ${psQuote(extractDir(c))} -Installer ${psQuote(PRODUCTS[c.product].installer)}`,
  ),
  step('shell.open', 'prestage', 3, true, 5 * MINUTE, (c) => `Import-Module ${moduleOf(c)}`),
  step('precheck.services', 'prestage', null, true, 2 * MINUTE, () => 'Assert-PatchBotCsServicesPresent'),
  step(
    'precheck.shells',
    'prestage',
    null,
    true,
    1 * MINUTE,
    (c) => `Assert-PatchBotNoOtherShells -Module ${moduleOf(c)}`,
  ),
  step(
    'precheck.version',
    'prestage',
    null,
    true,
    2 * MINUTE,
    (c) =>
      `Assert-PatchBotVersionGap -Product ${versionProductName(c.product)} -PackageVersion ${psQuote(c.packageVersion)}${c.force ? ' -AllowSameVersion' : ''}`,
    versionSource,
  ),
  {
    ...step(
      'precheck.sql',
      'prestage',
      null,
      true,
      2 * MINUTE,
      (c) => `Assert-PatchBotSqlRights -SqlServerFqdn ${psQuote(c.sqlServerFqdn ?? '')}`,
    ),
    enterpriseOnly: true,
  },
  // Failing the databases over can take a while per database; it all happens before downtime.
  {
    ...step('precheck.mirror', 'prestage', null, true, 15 * MINUTE, mirrorCheck, (c) =>
      c.mirrored
        ? 'Get-CsDatabaseMirrorState; Invoke-CsDatabaseFailover -NewPrincipal Primary'
        : 'Get-CsDatabaseMirrorState',
    ),
    enterpriseOnly: true,
  },
  {
    // Graceful: Services.ps1 runs Stop-CsWindowsService -Graceful -NoWait and polls; at the limit
    // a plain Stop-CsWindowsService stops what is left (plain -Graceful would wait without limit).
    ...step('services.stop', 'downtime', 4, true, 15 * MINUTE, servicesStop, (c) =>
      c.graceful ? 'Stop-CsWindowsService -Graceful -NoWait' : 'Stop-CsWindowsService',
    ),
    // The drain limit comes on top of the stop itself, so the downtime budget counts it.
    timeoutMs: (c) => 15 * MINUTE + (c.graceful ? GRACEFUL_DRAIN_MINUTES * MINUTE : 0),
  },
  // Idempotent: an already stopped W3SVC is reported as such, so a retry after a restart passes.
  step(
    'iis.stop',
    'downtime',
    5,
    true,
    5 * MINUTE,
    () => 'Stop-PatchBotIis',
    () => 'net stop w3svc /y',
  ),
  { ...step('shell.close', 'downtime', 6, true, 30 * SECOND, () => ''), session: 'close-session' },
  {
    ...step(
      'update.install',
      'downtime',
      7,
      false,
      45 * MINUTE,
      (c) =>
        `Install-PatchBotUpdate -Installer ${psQuote(`${extractDir(c)}\\${PRODUCTS[c.product].installer}`)} -Module ${moduleOf(c)}`,
      (c) => `${PRODUCTS[c.product].installer} /silentmode`,
    ),
    session: 'new-session',
  },
  {
    ...step('shell.reopen', 'downtime', 8, true, 5 * MINUTE, (c) => `Import-Module ${moduleOf(c)}`),
    session: 'new-session',
  },
  step(
    'services.stop-again',
    'downtime',
    9,
    true,
    15 * MINUTE,
    () => 'Stop-PatchBotCsServices',
    () => 'Stop-CsWindowsService',
  ),
  step(
    'iis.start',
    'downtime',
    10,
    true,
    5 * MINUTE,
    () => 'Start-PatchBotIis',
    () => 'net start w3svc',
  ),
  step('database.update', 'downtime', 11, false, 20 * MINUTE, databaseUpdate, installCsDatabaseLine),
  step('services.start', 'downtime', null, true, 15 * MINUTE, () => 'Start-CsWindowsService'),
  step('services.verify', 'downtime', null, true, 10 * MINUTE, () => 'Assert-PatchBotCsServicesRunning'),
  step(
    'postcheck.version',
    'post',
    null,
    true,
    5 * MINUTE,
    (c) =>
      `Assert-PatchBotPatchVersion -Product ${versionProductName(c.product)} -Expected ${psQuote(c.packageVersion)}`,
    versionSource,
  ),
];

function step(
  id: StepId,
  phase: Phase,
  articleStep: number | null,
  retrySafe: boolean,
  timeoutMs: number,
  render: (ctx: StepContext) => string,
  underlying?: (ctx: StepContext) => string,
): StepDefinition & { timeoutMs: number } {
  return {
    id,
    phase,
    articleStep,
    session: 'run',
    retrySafe,
    timeoutMs,
    render,
    ...(underlying ? { underlying } : {}),
  };
}

export const DOWNTIME_STARTS_AT: StepId = 'services.stop';
export const DOWNTIME_ENDS_AFTER: StepId = 'services.verify';

export function stepTitleKey(id: StepId): string {
  return `step.${id}`;
}

/** The definitions that belong in a plan for this database variant, in catalog order. */
export function stepsFor(variant: DatabaseVariant): StepDefinition[] {
  return STEP_CATALOG.filter((def) => variant !== 'standard' || def.enterpriseOnly !== true);
}

export function stepTimeout(def: StepDefinition, ctx: StepContext): number {
  return typeof def.timeoutMs === 'function' ? def.timeoutMs(ctx) : def.timeoutMs;
}
