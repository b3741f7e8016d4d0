import { PRODUCTS } from '../../procedure/index.js';
import { diskKey } from '../state.js';
import {
  compareVersions,
  LabCommandError,
  listedServices,
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
  for (const [name, status] of listedServices(ctx.state)) ctx.out(`${status.padEnd(8)} ${name}`);
}

function stopCsWindowsService(ctx: CommandContext): void {
  requireCsModule(ctx, 'Stop-CsWindowsService');
  onlyParams(ctx, []);
  stopCsServices(ctx);
}

/** Stop-CsWindowsService's effect (the PatchBot functions call it too). */
export function stopCsServices(ctx: CommandContext): void {
  for (const [name] of listedServices(ctx.state)) ctx.state.services[name] = 'Stopped';
}

function startCsWindowsService(ctx: CommandContext): void {
  requireCsModule(ctx, 'Start-CsWindowsService');
  onlyParams(ctx, []);
  const schemaBehind = compareVersions(ctx.state.databaseVersion, ctx.state.installedVersion) < 0;
  for (const [name] of listedServices(ctx.state)) {
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
    'Report',
  ]);
  if (param(ctx, 'Update') !== true) {
    throw new LabCommandError('simulator: only Install-CsDatabase -Update is simulated.', true);
  }
  const local = param(ctx, 'LocalDatabases') === true;
  const configured = param(ctx, 'ConfiguredDatabases') === true;
  const exclude = param(ctx, 'ExcludeCollocatedStores') === true;
  if (local === configured) {
    throw new LabCommandError(PARAMETER_SET_UNRESOLVED, true);
  }
  if (local && (param(ctx, 'SqlServerFqdn') !== undefined || exclude)) {
    throw new LabCommandError(PARAMETER_SET_UNRESOLVED, true);
  }
  const report = param(ctx, 'Report');
  updateDatabases(ctx, {
    sqlServerFqdn: local ? null : stringParam(ctx, 'SqlServerFqdn'),
    excludeCollocatedStores: exclude,
    report: typeof report === 'string' ? report : null,
  });
}

/**
 * Install-CsDatabase -Update's effect. Throws (non-terminating, as the cmdlet writes an error)
 * when the parameter set does not fit the server, or when the databases are mirrored and the
 * mirror is their principal (the update cannot run against mirrored databases that way).
 */
export function updateDatabases(
  ctx: CommandContext,
  args: { sqlServerFqdn: string | null; excludeCollocatedStores: boolean; report: string | null },
): void {
  const state = ctx.state;
  const refuse = (message: string): never => {
    throw new LabCommandError(`Install-CsDatabase: ${message}`, false);
  };
  if (args.sqlServerFqdn === null) {
    if (state.edition !== 'standard') {
      refuse(
        `${state.server} is an Enterprise Edition Back End Server and has no local databases to update. Use -ConfiguredDatabases -SqlServerFqdn.`,
      );
    }
    ctx.out(
      `Updating databases on ${state.server}\\RTC and ${state.server}\\RTCLOCAL (local SQL Server Express) ...`,
    );
  } else {
    const sql = args.sqlServerFqdn.toLowerCase();
    if (state.edition === 'standard') {
      refuse(`${state.server} is a Standard Edition server; its databases are local. Use -LocalDatabases.`);
    }
    if (sql !== state.sqlServerFqdn) refuse(`${sql} is not the SQL Server store of this pool.`);
    if (state.collocatedStores && !args.excludeCollocatedStores) {
      refuse(`Archiving and Monitoring databases are collocated on ${sql}; add -ExcludeCollocatedStores.`);
    }
    if (state.conditions.mirrored && state.conditions.principalOnMirror) {
      refuse(
        `the databases are mirrored and ${mirrorFqdn(sql)} is their principal; make ${sql} the principal (Invoke-CsDatabaseFailover) first.`,
      );
    }
    ctx.out(
      `Updating configured databases on ${sql}${args.excludeCollocatedStores ? ' (collocated stores excluded)' : ''} ...`,
    );
  }
  const from = state.databaseVersion;
  state.databaseVersion = state.installedVersion;
  ctx.out(`Database schema now matches ${state.installedVersion}.`);
  if (args.report !== null) {
    state.files[diskKey(args.report)] = databaseReport(state.server, from, state.installedVersion);
  }
}

/** The lab's Install-CsDatabase report: a small HTML page, one paragraph per database, then a summary. */
export function databaseReport(server: string, from: string, to: string): string {
  const lines = LAB_DATABASES.map((db) => `<p>${db}: ${from} to ${to}: Success</p>`);
  return [
    '<html><body>',
    ...lines,
    `<p>Summary: ${LAB_DATABASES.length} databases updated on ${server}, 0 errors.</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** The back-end databases the lab's Test-CsDatabase lists (the collocated stores are excluded). */
export const LAB_DATABASES = ['xds', 'lis', 'rtcxds', 'rtcshared', 'rtcab', 'rgsconfig', 'rgsdyn', 'cpsdyn'];

/** Test-CsDatabase's answer per database: the schema the binaries expect and the one installed. */
export function testDatabases(ctx: CommandContext): {
  DatabaseName: string;
  ExpectedVersion: string;
  InstalledVersion: string;
  Succeed: boolean;
}[] {
  const { installedVersion, databaseVersion } = ctx.state;
  return LAB_DATABASES.map((name) => ({
    DatabaseName: name,
    ExpectedVersion: installedVersion,
    InstalledVersion: databaseVersion,
    Succeed: compareVersions(databaseVersion, installedVersion) >= 0,
  }));
}

/** The lab's mirror of a back-end SQL Server. */
export function mirrorFqdn(sqlServerFqdn: string): string {
  const [host, ...domain] = sqlServerFqdn.split('.');
  return [`${host ?? ''}-mirror`, ...domain].join('.');
}

export const CS_COMMANDS: Record<string, CommandHandler> = {
  'Import-Module': importCsModule,
  'Get-CsWindowsService': getCsWindowsService,
  'Stop-CsWindowsService': stopCsWindowsService,
  'Start-CsWindowsService': startCsWindowsService,
  'Install-CsDatabase': installCsDatabase,
  net,
};
