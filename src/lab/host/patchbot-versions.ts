import { compareLabVersions, componentVersionList } from '../state.js';
import {
  compareVersions,
  fail,
  listedServices,
  onlyParams,
  param,
  requireCsModule,
  stringParam,
  type CommandContext,
  type CommandHandler,
} from './context.js';
import { majorMinor } from './patchbot-commands.js';
import { mirrorStates, NOT_MIRRORED } from './patchbot-mirror.js';

/**
 * SIMULATOR: the PatchBot functions that read versions and facts (src/runner/powershell/
 * PatchBot.psm1), acted out against the lab state's components and their versions.
 */

type Component = { name: string; version: string };

/** 'Lync2013' | 'SkypeForBusiness', as versionProductName() names the server's product. */
function productNameOf(ctx: CommandContext): string {
  return ctx.state.product === 'lync2013' ? 'Lync2013' : 'SkypeForBusiness';
}

/**
 * The components and their versions, read as the module reads them: Get-CsServerPatchVersion
 * where the cmdlet exists (Skype for Business with the management module), else the installed
 * programs (Lync 2013, and SfB 2015 before 6.0.9319.102).
 */
function readComponents(ctx: CommandContext): Component[] {
  const product = stringParam(ctx, 'Product');
  if (product !== productNameOf(ctx)) fail(`${product} is not installed on this server.`);
  if (product === 'SkypeForBusiness' && ctx.state.conditions.serverPatchVersionCmdlet) {
    requireCsModule(ctx, 'Get-CsServerPatchVersion');
  }
  return componentVersionList(ctx.state);
}

function lowest(components: Component[]): string {
  return components.map((c) => c.version).reduce((low, v) => (compareLabVersions(v, low) < 0 ? v : low));
}

function listComponents(ctx: CommandContext, components: Component[]): void {
  for (const c of components) ctx.out(`${c.name} ${c.version}`);
}

function getPatchVersion(ctx: CommandContext): void {
  onlyParams(ctx, ['Product']);
  const components = readComponents(ctx);
  // One line per component, then the lowest version alone: what the server as a whole runs.
  listComponents(ctx, components);
  ctx.out(lowest(components));
}

function assertPatchVersion(ctx: CommandContext): void {
  onlyParams(ctx, ['Product', 'Expected']);
  const components = readComponents(ctx);
  const expected = stringParam(ctx, 'Expected');
  const lagging = components.filter((c) => compareVersions(c.version, expected) < 0);
  if (lagging.length > 0) {
    fail(
      `Below ${expected} after the update: ${named(lagging)}. The update did not take effect on every component: see the installer log, then run the update again.`,
    );
  }
  ctx.out(`All ${components.length} components are at ${expected} or later (lowest ${lowest(components)}).`);
}

function named(components: Component[]): string {
  return components.map((c) => `${c.name} (${c.version})`).join(', ');
}

function assertVersionGap(ctx: CommandContext): void {
  onlyParams(ctx, ['Product', 'PackageVersion', 'AllowSameVersion']);
  const components = readComponents(ctx);
  const target = stringParam(ctx, 'PackageVersion');
  const allowSame = param(ctx, 'AllowSameVersion') === true;
  listComponents(ctx, components);
  const newer = components.filter((c) => compareVersions(c.version, target) > 0);
  if (newer.length > 0) {
    fail(
      `Newer than the package's ${target}: ${named(newer)}. Installing it would be a downgrade, which is refused. Use a package of the installed version or later.`,
    );
  }
  const older = components.filter((c) => compareVersions(c.version, target) < 0);
  if (older.length === 0) {
    if (!allowSame) fail(`Every component already runs ${target}, the package's version: nothing to do.`);
    ctx.out(`Every component already runs ${target}; it is installed again as asked (force).`);
    return;
  }
  ctx.out(`${older.length} of ${components.length} components are below ${target}: the update is needed.`);
}

/** One JSON line: ServerFacts without readAt and product, with the module's productName. */
function getServerFacts(ctx: CommandContext): void {
  onlyParams(ctx, ['Product', 'StagingPath']);
  stringParam(ctx, 'StagingPath');
  const state = ctx.state;
  // Reading facts needs no Import-Module first: a real shell auto-loads the management module.
  const components = componentVersionList(state);
  const enterprise = state.edition === 'enterprise';
  const facts = {
    productName: stringParam(ctx, 'Product'),
    installedVersion: components.length > 0 ? lowest(components) : null,
    components,
    edition: state.edition,
    poolFqdn: state.poolFqdn,
    sqlServerFqdn: enterprise ? state.sqlServerFqdn : null,
    collocatedStores: enterprise ? state.collocatedStores : false,
    mirrored: enterprise ? mirrorStates(ctx).some((m) => m.StateOnMirror !== NOT_MIRRORED) : false,
    pendingRestart: state.conditions.pendingReboot,
    freeSpaceGb: Math.floor(state.conditions.freeSpaceGb * 10) / 10,
    // Read from PowerShell\3\PowerShellEngine, which 2.0 does not write.
    powershellVersion:
      compareVersions(state.conditions.powershellVersion, '3.0') < 0
        ? null
        : majorMinor(state.conditions.powershellVersion),
    csServiceCount: listedServices(state).length,
  };
  ctx.out(JSON.stringify(facts));
}

export const VERSION_COMMANDS: Record<string, CommandHandler> = {
  'Get-PatchBotPatchVersion': getPatchVersion,
  'Assert-PatchBotPatchVersion': assertPatchVersion,
  'Assert-PatchBotVersionGap': assertVersionGap,
  'Get-PatchBotServerFacts': getServerFacts,
};
