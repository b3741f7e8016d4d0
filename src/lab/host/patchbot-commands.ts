import { PRODUCTS } from '../../procedure/index.js';
import { readPackageFields, sha256Hex } from '../package.js';
import { diskKey } from '../state.js';
import {
  compareVersions,
  LabCommandError,
  onlyParams,
  requireCsModule,
  stringParam,
  type CommandContext,
  type CommandHandler,
} from './context.js';

/**
 * SIMULATOR: the runner's helper functions (src/runner/powershell/PatchBot.psm1) acted out against
 * the lab state. Same names, parameters and failure modes (they throw, so errors are terminating).
 */

const ACCOUNT = 'CONTOSO\\svc-patchbot';

function fail(message: string): never {
  throw new LabCommandError(message, true);
}

function assertCsAdministrator(ctx: CommandContext): void {
  onlyParams(ctx, []);
  if (!ctx.state.conditions.csAdministrator) {
    fail(
      `${ACCOUNT} is not a member of CsAdministrator (whoami /groups). Add the account, sign in again, then retry.`,
    );
  }
  ctx.out(`${ACCOUNT} is a member of CONTOSO\\CsAdministrator.`);
}

function assertNoPendingReboot(ctx: CommandContext): void {
  onlyParams(ctx, []);
  if (ctx.state.conditions.pendingReboot) {
    fail(
      'A restart is pending (Component Based Servicing\\RebootPending). Restart the server before updating it.',
    );
  }
  ctx.out('No restart pending.');
}

function assertFreeSpace(ctx: CommandContext): void {
  onlyParams(ctx, ['Path', 'MinimumGB']);
  const path = stringParam(ctx, 'Path');
  const minimum = Number(stringParam(ctx, 'MinimumGB'));
  if (!Number.isInteger(minimum)) fail('Assert-PatchBotFreeSpace: -MinimumGB must be a whole number.');
  const free = ctx.state.conditions.freeSpaceGb;
  if (free < minimum) fail(`Only ${free} GB free for ${path} (C:); the update needs at least ${minimum} GB.`);
  ctx.out(`C: ${free} GB free (needs ${minimum} GB).`);
}

function savePackage(ctx: CommandContext): void {
  onlyParams(ctx, ['Source', 'Destination']);
  const source = stringParam(ctx, 'Source');
  const destination = stringParam(ctx, 'Destination');
  const content = ctx.state.packageSources[source];
  if (content === undefined) {
    fail(
      source.startsWith('https://')
        ? `Download of ${source} failed: (404) Not Found.`
        : `Cannot find path '${source}'.`,
    );
  }
  ctx.state.files[diskKey(destination)] = ctx.state.conditions.corruptDownload
    ? `${content}CORRUPTED BYTES\n`
    : content;
  ctx.out(`Saved ${source} to ${destination} (${content.length} bytes).`);
}

function assertFileHash(ctx: CommandContext): void {
  onlyParams(ctx, ['Path', 'Sha256']);
  const path = stringParam(ctx, 'Path');
  const expected = stringParam(ctx, 'Sha256').toUpperCase();
  const content = ctx.state.files[diskKey(path)];
  if (content === undefined) fail(`Cannot find path '${path}' because it does not exist.`);
  const actual = sha256Hex(content);
  if (actual !== expected)
    fail(`SHA-256 of ${path} is ${actual}, expected ${expected}. The package is not the published one.`);
  if (path.toLowerCase().endsWith('.exe') && readPackageFields(content).signer !== 'Microsoft Corporation') {
    fail(`${path} is not signed by Microsoft Corporation.`);
  }
  ctx.out(`SHA-256 ${actual} matches.`);
}

function expandPackage(ctx: CommandContext): void {
  onlyParams(ctx, ['Path', 'Destination', 'Installer']);
  const path = stringParam(ctx, 'Path');
  const destination = stringParam(ctx, 'Destination');
  const installer = stringParam(ctx, 'Installer');
  const content = ctx.state.files[diskKey(path)];
  if (content === undefined) fail(`Cannot find path '${path}' because it does not exist.`);
  if (readPackageFields(content).installer !== installer)
    fail(`${installer} was not found in the package ${path}.`);
  ctx.state.files[diskKey(`${destination}\\${installer}`)] = content;
  ctx.out(`${installer} is ready in ${destination}.`);
}

function assertNoOtherShells(ctx: CommandContext): void {
  onlyParams(ctx, ['Module']);
  const module = stringParam(ctx, 'Module');
  const others = ctx.otherModuleHolders();
  if (others.length > 0) {
    fail(
      `Other PowerShell processes have the ${module} module loaded (PID ${others.join(', ')}). Close them first.`,
    );
  }
  ctx.out(`No other PowerShell process holds the ${module} module.`);
}

function productName(ctx: CommandContext): string {
  const product = stringParam(ctx, 'Product');
  const expected = ctx.state.product === 'lync2013' ? 'Lync2013' : 'SkypeForBusiness';
  if (product !== expected) fail(`${product} is not installed on this server.`);
  // Skype for Business reads the version with Get-CsServerPatchVersion (module needed);
  // Lync 2013 reads it from the installed-products registry.
  if (product === 'SkypeForBusiness') requireCsModule(ctx, 'Get-CsServerPatchVersion');
  return product;
}

function getPatchVersion(ctx: CommandContext): void {
  onlyParams(ctx, ['Product']);
  productName(ctx);
  ctx.out(`Core Components ${ctx.state.installedVersion}`);
  ctx.out(ctx.state.installedVersion);
}

function assertPatchVersion(ctx: CommandContext): void {
  onlyParams(ctx, ['Product', 'Expected']);
  productName(ctx);
  const expected = stringParam(ctx, 'Expected');
  const installed = ctx.state.installedVersion;
  if (compareVersions(installed, expected) < 0)
    fail(`Installed patch version is ${installed}; expected ${expected} or later.`);
  ctx.out(`Patch version ${installed} (expected ${expected}).`);
}

function installUpdate(ctx: CommandContext): void {
  onlyParams(ctx, ['Installer']);
  const installer = stringParam(ctx, 'Installer');
  const content = ctx.state.files[diskKey(installer)];
  if (content === undefined) fail(`Cannot find path '${installer}' because it does not exist.`);
  const fields = readPackageFields(content);
  if (fields.installer !== PRODUCTS[ctx.state.product].installer || fields.product !== ctx.state.product) {
    ctx.setExitCode(1603);
    fail(`${installer} exited with code 1603: the update does not apply to this server.`);
  }
  const holders = ctx.otherModuleHolders();
  if (ctx.session.csModule || holders.length > 0) {
    // Simulator rule: management-shell processes lock the files the installer must replace.
    ctx.setExitCode(1603);
    fail(
      `${installer} exited with code 1603: files are in use by PowerShell processes holding the management module.`,
    );
  }
  const exitCode = ctx.state.conditions.installerExitCode;
  ctx.setExitCode(exitCode);
  if (exitCode !== 0 && exitCode !== 3010) fail(`${installer} exited with code ${exitCode}.`);
  ctx.state.installedVersion = fields.version ?? ctx.state.installedVersion;
  if (exitCode === 3010) ctx.state.conditions.pendingReboot = true;
  ctx.out(`Installed ${fields.version ?? '?'} with ${installer} /silentmode (exit code ${exitCode}).`);
  if (exitCode === 3010) ctx.out('A restart is required to finish the update.');
}

function assertServicesRunning(ctx: CommandContext): void {
  onlyParams(ctx, []);
  requireCsModule(ctx, 'Get-CsWindowsService');
  const down = Object.entries(ctx.state.services).filter(([, status]) => status !== 'Running');
  if (down.length > 0)
    fail(`Not running: ${down.map(([name, status]) => `${name} (${status})`).join(', ')}.`);
  ctx.out(`All ${Object.keys(ctx.state.services).length} Cs services are running.`);
}

export const PATCHBOT_COMMANDS: Record<string, CommandHandler> = {
  'Assert-PatchBotCsAdministrator': assertCsAdministrator,
  'Assert-PatchBotNoPendingReboot': assertNoPendingReboot,
  'Assert-PatchBotFreeSpace': assertFreeSpace,
  'Save-PatchBotPackage': savePackage,
  'Assert-PatchBotFileHash': assertFileHash,
  'Expand-PatchBotPackage': expandPackage,
  'Assert-PatchBotNoOtherShells': assertNoOtherShells,
  'Get-PatchBotPatchVersion': getPatchVersion,
  'Assert-PatchBotPatchVersion': assertPatchVersion,
  'Install-PatchBotUpdate': installUpdate,
  'Assert-PatchBotCsServicesRunning': assertServicesRunning,
};
