import { PRODUCTS } from '../../procedure/index.js';
import {
  LabCommandError,
  onlyParams,
  param,
  requireCsModule,
  stringParam,
  type CommandContext,
  type CommandHandler,
} from './context.js';

/**
 * SIMULATOR: the Lync/Skype for Business cmdlets, `net` and the management module, against the
 * lab state. Behaviour follows the reference procedure; error texts are the simulator's own.
 */

const W3SVC = 'The World Wide Web Publishing Service service';
/** PowerShell's own binding error (Windows PowerShell 5.1's wording) for a mix of parameter sets. */
const PARAMETER_SET_UNRESOLVED = 'Parameter set cannot be resolved using the specified named parameters.';

function importCsModule(ctx: CommandContext): void {
  const name = ctx.command.positional[0] ?? '';
  if (ctx.command.positional.length !== 1 || ctx.command.params.size > 0) {
    throw new LabCommandError('simulator: Import-Module takes one module name here.', true);
  }
  const expected = PRODUCTS[ctx.state.product].module;
  if (name.toLowerCase() !== expected.toLowerCase()) {
    throw new LabCommandError(
      `Import-Module: the module '${name}' was not loaded because no valid module file was found in any module directory.`,
      false,
    );
  }
  ctx.session.csModule = expected;
  if (!ctx.state.moduleHolders.includes(ctx.session.pid)) ctx.state.moduleHolders.push(ctx.session.pid);
}

function getCsWindowsService(ctx: CommandContext): void {
  requireCsModule(ctx, 'Get-CsWindowsService');
  onlyParams(ctx, []);
  ctx.out('Status   Name');
  ctx.out('------   ----');
  for (const [name, status] of Object.entries(ctx.state.services)) ctx.out(`${status.padEnd(8)} ${name}`);
}

function stopCsWindowsService(ctx: CommandContext): void {
  requireCsModule(ctx, 'Stop-CsWindowsService');
  onlyParams(ctx, []);
  for (const name of Object.keys(ctx.state.services)) ctx.state.services[name] = 'Stopped';
}

function startCsWindowsService(ctx: CommandContext): void {
  requireCsModule(ctx, 'Start-CsWindowsService');
  onlyParams(ctx, []);
  const schemaBehind = ctx.state.databaseVersion !== ctx.state.installedVersion;
  for (const name of Object.keys(ctx.state.services)) {
    ctx.state.services[name] = schemaBehind && name === 'RTCSRV' ? 'Stopped' : 'Running';
  }
  if (schemaBehind) {
    // Simulator rule: the Front-End service refuses binaries newer than the database schema.
    throw new LabCommandError(
      'Start-CsWindowsService: service RTCSRV did not start: the database schema is older than the installed ' +
        'binaries (simulator rule: run Install-CsDatabase -Update first).',
      false,
    );
  }
}

function net(ctx: CommandContext): void {
  const [verb, service, ...rest] = ctx.command.positional.map((p) => p.toLowerCase());
  const flagsOk = rest.every((r) => r === '/y');
  if (
    ctx.command.params.size > 0 ||
    service !== 'w3svc' ||
    !flagsOk ||
    (verb !== 'stop' && verb !== 'start')
  ) {
    throw new LabCommandError(`simulator: unknown command: net ${ctx.command.positional.join(' ')}`, true);
  }
  if (verb === 'stop') {
    if (ctx.state.w3svc === 'Stopped') return netError(ctx, `${W3SVC} is not started.`, 3521);
    ctx.state.w3svc = 'Stopped';
    ctx.out(`${W3SVC} is stopping.`);
    ctx.out(`${W3SVC} was stopped successfully.`);
  } else {
    if (ctx.state.w3svc === 'Running')
      return netError(ctx, 'The requested service has already been started.', 2182);
    ctx.state.w3svc = 'Running';
    ctx.out(`${W3SVC} is starting.`);
    ctx.out(`${W3SVC} was started successfully.`);
  }
  ctx.setExitCode(0);
}

function netError(ctx: CommandContext, text: string, helpMsg: number): void {
  ctx.err(text);
  ctx.err('');
  ctx.err(`More help is available by typing NET HELPMSG ${helpMsg}.`);
  ctx.setExitCode(2);
}

/**
 * Article step 11: the three parameter sets. Like the real cmdlet, a set that does not fit the
 * server's actual role is refused: Standard Edition keeps local databases; an Enterprise Back End
 * updates the databases of its SQL Server, excluding collocated stores where they exist.
 */
function installCsDatabase(ctx: CommandContext): void {
  requireCsModule(ctx, 'Install-CsDatabase');
  onlyParams(ctx, [
    'Update',
    'LocalDatabases',
    'ConfiguredDatabases',
    'SqlServerFqdn',
    'ExcludeCollocatedStores',
  ]);
  if (param(ctx, 'Update') !== true) {
    throw new LabCommandError('simulator: only Install-CsDatabase -Update is simulated.', true);
  }
  const local = param(ctx, 'LocalDatabases') === true;
  const configured = param(ctx, 'ConfiguredDatabases') === true;
  const exclude = param(ctx, 'ExcludeCollocatedStores') === true;
  const state = ctx.state;
  if (local === configured) {
    throw new LabCommandError(PARAMETER_SET_UNRESOLVED, true);
  }
  if (local) {
    if (param(ctx, 'SqlServerFqdn') !== undefined || exclude) {
      throw new LabCommandError(PARAMETER_SET_UNRESOLVED, true);
    }
    if (state.edition !== 'standard') {
      throw new LabCommandError(
        `Install-CsDatabase: ${state.server} is an Enterprise Edition Back End Server and has no local ` +
          'databases to update. Use -ConfiguredDatabases -SqlServerFqdn.',
        false,
      );
    }
    ctx.out(
      `Updating databases on ${state.server}\\RTC and ${state.server}\\RTCLOCAL (local SQL Server Express) ...`,
    );
  } else {
    const sql = stringParam(ctx, 'SqlServerFqdn').toLowerCase();
    if (state.edition === 'standard') {
      throw new LabCommandError(
        `Install-CsDatabase: ${state.server} is a Standard Edition server; its databases are local. Use -LocalDatabases.`,
        false,
      );
    }
    if (sql !== state.sqlServerFqdn) {
      throw new LabCommandError(
        `Install-CsDatabase: ${sql} is not the SQL Server store of this pool.`,
        false,
      );
    }
    if (state.collocatedStores && !exclude) {
      throw new LabCommandError(
        `Install-CsDatabase: Archiving and Monitoring databases are collocated on ${sql}; add -ExcludeCollocatedStores.`,
        false,
      );
    }
    ctx.out(`Updating configured databases on ${sql}${exclude ? ' (collocated stores excluded)' : ''} ...`);
  }
  state.databaseVersion = state.installedVersion;
  ctx.out(`Database schema now matches ${state.installedVersion}.`);
}

export const CS_COMMANDS: Record<string, CommandHandler> = {
  'Import-Module': importCsModule,
  'Get-CsWindowsService': getCsWindowsService,
  'Stop-CsWindowsService': stopCsWindowsService,
  'Start-CsWindowsService': startCsWindowsService,
  'Install-CsDatabase': installCsDatabase,
  net,
};
