import { readPackageFields, sha256Hex } from '../package.js';
import { diskKey } from '../state.js';
import {
  ACCOUNT,
  compareVersions,
  fail,
  listedServices,
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
  failOnOtherShells(module, ctx.otherModuleHolders());
  ctx.out(`No other PowerShell process holds the ${module} module.`);
}

/** Other shells holding the management module lock the files the installer replaces. */
export function failOnOtherShells(module: string, others: number[]): void {
  if (others.length > 0) {
    // The lab knows only the process ids of the simulated shells.
    const listed = others.map((pid) => `${pid} (powershell, started at an unknown time)`).join(', ');
    fail(
      `Other PowerShell processes may have the ${module} module loaded: PID ${listed}. Close them, then retry.`,
    );
  }
}

/** The .NET Framework Release value the lab's registry holds while dotNet45 (4.8 on Windows Server 2019). */
export const LAB_DOTNET_RELEASE = 528049;

function assertPowerShellVersion(ctx: CommandContext): void {
  onlyParams(ctx, []);
  const { powershellVersion, dotNet45 } = ctx.state.conditions;
  // The module reads the engine from PowerShell\3\PowerShellEngine, which 2.0 does not write.
  if (compareVersions(powershellVersion, '3.0') < 0) {
    fail(
      'Windows PowerShell 2.0 or older is installed; the patch bot needs 3.0 or later. Install Windows Management Framework 3.0 or later (5.1 recommended), then retry.',
    );
  }
  if (!dotNet45) {
    fail(
      '.NET Framework 4.5 or later is not installed (found: none). Install .NET Framework 4.5 or later, then retry.',
    );
  }
  ctx.out(
    `Windows PowerShell ${majorMinor(powershellVersion)} and .NET Framework 4.5 or later (release ${LAB_DOTNET_RELEASE}) are installed.`,
  );
}

/** '5.1' for '5.1.14393.0', as the module prints [version]'s Major.Minor. */
export function majorMinor(version: string): string {
  const [major = '0', minor = '0'] = version.split('.');
  return `${Number(major)}.${Number(minor)}`;
}

function assertCsServicesPresent(ctx: CommandContext): void {
  onlyParams(ctx, []);
  requireCsModule(ctx, 'Get-CsWindowsService');
  const services = listedServices(ctx.state);
  if (services.length === 0) {
    fail(
      'Get-CsWindowsService lists no services: this machine runs no Lync or Skype for Business services. Install the runner on a Front End or Standard Edition server of the pool.',
    );
  }
  ctx.out(`${services.length} Lync/Skype for Business services are installed on this server.`);
}

function assertSqlRights(ctx: CommandContext): void {
  onlyParams(ctx, ['SqlServerFqdn']);
  const sql = stringParam(ctx, 'SqlServerFqdn');
  // The module asks sqlcmd.exe, a native program.
  ctx.setExitCode(0);
  if (!ctx.state.conditions.sqlSysadmin) {
    fail(
      `${ACCOUNT} is not a member of the sysadmin role on ${sql}, so it cannot update the back-end databases. Grant it the role (or run the runner as an account that has it), then retry.`,
    );
  }
  ctx.out(`${ACCOUNT} is a member of the sysadmin role on ${sql}.`);
}

export const PATCHBOT_COMMANDS: Record<string, CommandHandler> = {
  'Assert-PatchBotCsAdministrator': assertCsAdministrator,
  'Assert-PatchBotNoPendingReboot': assertNoPendingReboot,
  'Assert-PatchBotFreeSpace': assertFreeSpace,
  'Save-PatchBotPackage': savePackage,
  'Assert-PatchBotFileHash': assertFileHash,
  'Expand-PatchBotPackage': expandPackage,
  'Assert-PatchBotNoOtherShells': assertNoOtherShells,
  'Assert-PatchBotPowerShellVersion': assertPowerShellVersion,
  'Assert-PatchBotCsServicesPresent': assertCsServicesPresent,
  'Assert-PatchBotSqlRights': assertSqlRights,
};
