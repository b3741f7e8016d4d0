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
 * the lab state. Same names, parameters and failure modes (they throw, so errors are terminating),
 * and the module's messages word for word wherever both describe the same outcome, so cards read
 * the same on the stand-in and on real PowerShell (test/powershell/PatchBot*.Tests.ps1 pins them).
 */

const ACCOUNT = 'CONTOSO\\svc-patchbot';

function fail(message: string): never {
  throw new LabCommandError(message, true);
}

function assertCsAdministrator(ctx: CommandContext): void {
  onlyParams(ctx, []);
  // The module runs whoami.exe, a native program, so $LASTEXITCODE is 0 afterwards either way.
  ctx.setExitCode(0);
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
  if (!/^[A-Za-z]:/.test(path)) {
    fail(`The staging folder ${path} is not on a local drive. Use a folder such as C:\\PatchBot\\staging.`);
  }
  // The staging drive, then the system drive (C:), as the module checks them; the lab has one free-space figure.
  const drives = [...new Set([path.slice(0, 2).toUpperCase(), 'C:'])];
  const free = ctx.state.conditions.freeSpaceGb;
  const shown = Math.floor(free * 10) / 10;
  for (const drive of drives) {
    if (free < minimum) {
      fail(
        `Only ${shown} GB free on ${drive}; the update needs at least ${minimum} GB. Free up space on ${drive}, then retry.`,
      );
    }
    ctx.out(`${drive} ${shown} GB free (needs ${minimum} GB).`);
  }
}

function savePackage(ctx: CommandContext): void {
  onlyParams(ctx, ['Source', 'Destination']);
  const source = stringParam(ctx, 'Source');
  const destination = stringParam(ctx, 'Destination');
  const fromWeb = source.startsWith('https://');
  if (!fromWeb && !source.startsWith('\\\\')) {
    fail(
      `The package source '${source}' is neither an https:// URL nor a UNC path (\\\\server\\share\\file). Correct the package source, then retry.`,
    );
  }
  const content = ctx.state.packageSources[source];
  if (content === undefined) {
    // The reasons Windows PowerShell 5.1 gives for a missing download and a missing share file.
    fail(
      fromWeb
        ? `Download of ${source} failed: The remote server returned an error: (404) Not Found. Check the address and that this server can reach it.`
        : `Copy of ${source} failed: Cannot find path '${source}' because it does not exist. Check the share path and that this account can read it.`,
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
  if (content === undefined) fail(missingPackage(path));
  const actual = sha256Hex(content);
  if (actual !== expected) {
    fail(
      `SHA-256 of ${path} is ${actual}, expected ${expected}. The package is not the published one; download it again.`,
    );
  }
  if (path.toLowerCase().endsWith('.exe')) assertMicrosoftSignature(path, readPackageFields(content).signer);
  ctx.out(`SHA-256 ${actual} matches.`);
}

function missingPackage(path: string): string {
  return `The package file ${path} does not exist. Download the package again.`;
}

/** The package's signer line stands in for the Authenticode signature; none means unsigned. */
function assertMicrosoftSignature(path: string, signer: string | undefined): void {
  if (signer === undefined) {
    fail(
      `The Authenticode signature of ${path} is not valid (NotSigned). Download the package again from Microsoft.`,
    );
  }
  if (signer !== 'Microsoft Corporation') {
    fail(
      `${path} is signed by 'CN=${signer}, O=${signer}', not by Microsoft Corporation. Use the package Microsoft publishes.`,
    );
  }
}

function expandPackage(ctx: CommandContext): void {
  onlyParams(ctx, ['Path', 'Destination', 'Installer']);
  const path = stringParam(ctx, 'Path');
  const destination = stringParam(ctx, 'Destination');
  const installer = stringParam(ctx, 'Installer');
  const content = ctx.state.files[diskKey(path)];
  if (content === undefined) fail(missingPackage(path));
  if (!/\.(zip|exe)$/i.test(path)) {
    fail(
      `The package ${path} is neither a .zip nor an .exe file, so it cannot be extracted. Use the package Microsoft publishes.`,
    );
  }
  if (readPackageFields(content).installer !== installer) {
    fail(
      `${installer} was not found in the package ${path}. Check that the package is the update for this product.`,
    );
  }
  ctx.state.files[diskKey(`${destination}\\${installer}`)] = content;
  ctx.out(`${installer} is ready in ${destination}.`);
}

function assertNoOtherShells(ctx: CommandContext): void {
  onlyParams(ctx, ['Module']);
  const module = stringParam(ctx, 'Module');
  const others = ctx.otherModuleHolders();
  if (others.length > 0) {
    // The lab knows only the process ids of the simulated shells.
    const listed = others.map((pid) => `${pid} (powershell, started at an unknown time)`).join(', ');
    fail(
      `Other PowerShell processes may have the ${module} module loaded: PID ${listed}. Close them, then retry.`,
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
  // Like the module: one line per component the server lists, then the highest version alone.
  for (const component of ctx.state.components) ctx.out(`${component} ${ctx.state.installedVersion}`);
  ctx.out(ctx.state.installedVersion);
}

function assertPatchVersion(ctx: CommandContext): void {
  onlyParams(ctx, ['Product', 'Expected']);
  productName(ctx);
  const expected = stringParam(ctx, 'Expected');
  const installed = ctx.state.installedVersion;
  if (compareVersions(installed, expected) < 0) {
    fail(
      `Installed patch version is ${installed}; expected ${expected} or later. The update did not take effect: see the installer log, then run the update again.`,
    );
  }
  ctx.out(`Patch version ${installed} (expected ${expected}).`);
}

function installUpdate(ctx: CommandContext): void {
  onlyParams(ctx, ['Installer']);
  const installer = stringParam(ctx, 'Installer');
  const content = ctx.state.files[diskKey(installer)];
  if (content === undefined) fail(`Cannot find the installer ${installer}. Extract the package again.`);
  const fields = readPackageFields(content);
  // Simulator rules, both ending in 1603 as the real installer does: the update does not apply to
  // this server, or management-shell processes lock the files the installer must replace.
  const wrongProduct =
    fields.installer !== PRODUCTS[ctx.state.product].installer || fields.product !== ctx.state.product;
  const filesInUse = ctx.session.csModule || ctx.otherModuleHolders().length > 0;
  const exitCode = wrongProduct || filesInUse ? 1603 : ctx.state.conditions.installerExitCode;
  ctx.setExitCode(exitCode);
  if (exitCode !== 0 && exitCode !== 3010) {
    fail(`${installer} exited with code ${exitCode}. See the installer log next to it.`);
  }
  ctx.state.installedVersion = fields.version ?? ctx.state.installedVersion;
  if (exitCode === 3010) {
    ctx.state.conditions.pendingReboot = true;
    ctx.out(`${installer} finished (exit code 3010): a restart is required to complete the update.`);
  } else {
    ctx.out(`${installer} finished (exit code 0).`);
  }
}

function assertServicesRunning(ctx: CommandContext): void {
  onlyParams(ctx, []);
  requireCsModule(ctx, 'Get-CsWindowsService');
  const services = Object.entries(ctx.state.services);
  if (services.length === 0) {
    fail(
      'Get-CsWindowsService listed no services, so they cannot be confirmed as running. Check the server with Get-CsWindowsService.',
    );
  }
  for (const [name, status] of services) ctx.out(`${status} ${name}`);
  const down = services.filter(([, status]) => status !== 'Running');
  if (down.length > 0) {
    fail(
      `Not running: ${down.map(([name, status]) => `${name} (${status})`).join(', ')}. Start them with Start-CsWindowsService, or see the Lync Server event log for why they stopped.`,
    );
  }
  ctx.out(`All ${services.length} Cs services are running.`);
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
