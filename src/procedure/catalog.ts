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
}

export interface StepDefinition {
  id: StepId;
  phase: Phase;
  articleStep: number | null;
  session: SessionEffect;
  retrySafe: boolean;
  timeoutMs: number;
  render(ctx: StepContext): string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const packagePath = (c: StepContext) => `${c.stagingDir}\\${c.packageFile}`;
const extractDir = (c: StepContext) => `${c.stagingDir}\\${c.packageVersion}`;
const moduleOf = (c: StepContext) => PRODUCTS[c.product].module;

function databaseUpdate(c: StepContext): string {
  switch (c.variant) {
    case 'standard':
      return 'Install-CsDatabase -Update -LocalDatabases';
    case 'enterprise':
      return `Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn ${psQuote(c.sqlServerFqdn ?? '')}`;
    case 'enterprise-collocated':
      return `Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn ${psQuote(c.sqlServerFqdn ?? '')} -ExcludeCollocatedStores`;
  }
}

/**
 * The allow-list: every step the runner will ever execute, in procedure order.
 * Commands named *-PatchBot* live in the runner's own helper module (src/runner/powershell/PatchBot.psm1).
 */
export const STEP_CATALOG: readonly StepDefinition[] = [
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
    (c) => `Get-PatchBotPatchVersion -Product ${versionProductName(c.product)}`,
  ),
  step('services.stop', 'downtime', 4, true, 15 * MINUTE, () => 'Stop-CsWindowsService'),
  step('iis.stop', 'downtime', 5, true, 5 * MINUTE, () => 'net stop w3svc /y'),
  { ...step('shell.close', 'downtime', 6, true, 30 * SECOND, () => ''), session: 'close-session' },
  {
    ...step(
      'update.install',
      'downtime',
      7,
      false,
      45 * MINUTE,
      (c) =>
        `Install-PatchBotUpdate -Installer ${psQuote(`${extractDir(c)}\\${PRODUCTS[c.product].installer}`)}`,
    ),
    session: 'new-session',
  },
  {
    ...step('shell.reopen', 'downtime', 8, true, 5 * MINUTE, (c) => `Import-Module ${moduleOf(c)}`),
    session: 'new-session',
  },
  step('services.stop-again', 'downtime', 9, true, 15 * MINUTE, () => 'Stop-CsWindowsService'),
  step('iis.start', 'downtime', 10, true, 5 * MINUTE, () => 'net start w3svc'),
  step('database.update', 'downtime', 11, false, 20 * MINUTE, databaseUpdate),
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
  ),
];

function step(
  id: StepId,
  phase: Phase,
  articleStep: number | null,
  retrySafe: boolean,
  timeoutMs: number,
  render: (ctx: StepContext) => string,
): StepDefinition {
  return { id, phase, articleStep, session: 'run', retrySafe, timeoutMs, render };
}

export const DOWNTIME_STARTS_AT: StepId = 'services.stop';
export const DOWNTIME_ENDS_AFTER: StepId = 'services.verify';

export function stepTitleKey(id: StepId): string {
  return `step.${id}`;
}
