import { PRODUCTS } from '../../procedure/index.js';
import { readPackageFields } from '../package.js';
import { diskKey, setComponentVersion } from '../state.js';
import { stopCsServices, testDatabases, updateDatabases } from './cs-commands.js';
import {
  fail,
  LabCommandError,
  listedServices,
  onlyParams,
  param,
  requireCsModule,
  stringParam,
  type CommandContext,
  type CommandHandler,
} from './context.js';
import { MIRROR_COMMANDS } from './patchbot-mirror.js';

/**
 * SIMULATOR: the PatchBot functions of the downtime (src/runner/powershell/PatchBot.psm1) acted
 * out against the lab state. Every start and stop is idempotent: the state it brings about
 * already holds -> it succeeds and says so, so a Retry after a restart never fails on it.
 */

/**
 * Topology Builder, as Get-Process lists it on a lab server while conditions.deploymentToolsRunning
 * (the module looks for Microsoft.Rtc.Management.TopologyBuilder and Deploy).
 */
export const LAB_DEPLOYMENT_TOOL = { id: 4242, name: 'Microsoft.Rtc.Management.TopologyBuilder' };

function stopCsServicesStep(ctx: CommandContext): void {
  onlyParams(ctx, ['Graceful', 'TimeoutMinutes']);
  requireCsModule(ctx, 'Stop-CsWindowsService');
  const graceful = param(ctx, 'Graceful') === true;
  const minutes = param(ctx, 'TimeoutMinutes');
  const running = listedServices(ctx.state).filter(([, status]) => status !== 'Stopped');
  if (running.length === 0) {
    ctx.out('The Cs services are already stopped.');
    return;
  }
  stopCsServices(ctx);
  if (graceful) {
    // The lab has no calls or conferences to drain: they stop within the limit.
    ctx.out(
      `The Cs services drained and stopped within ${typeof minutes === 'string' ? minutes : '30'} minutes.`,
    );
  }
  ctx.out('The Cs services are stopped.');
}

const W3SVC_NAME = 'The World Wide Web Publishing Service service';

/** Stop-PatchBotIis / Start-PatchBotIis: read W3SVC's state, run net only when it must change. */
function iis(verb: 'stop' | 'start'): CommandHandler {
  return (ctx) => {
    onlyParams(ctx, []);
    const wanted = verb === 'stop' ? 'Stopped' : 'Running';
    const word = verb === 'stop' ? 'stopped' : 'running';
    ctx.setExitCode(0);
    if (ctx.state.w3svc === wanted) {
      ctx.out(`W3SVC (IIS) is already ${word}.`);
      return;
    }
    ctx.state.w3svc = wanted;
    // net.exe's own lines, its blank line included.
    ctx.out(`${W3SVC_NAME} is ${verb === 'stop' ? 'stopping' : 'starting'}.`);
    ctx.out(`${W3SVC_NAME} was ${verb === 'stop' ? 'stopped' : 'started'} successfully.`);
    ctx.out('');
    ctx.out(`W3SVC (IIS) is ${word}.`);
  };
}

/** yyyyMMdd-HHmmss, as the lab installer stamps its log file (UTC) and the module its report (local). */
function stamp(now: Date, utc: boolean): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const [y, mo, d, h, mi, s] = utc
    ? [
        now.getUTCFullYear(),
        now.getUTCMonth() + 1,
        now.getUTCDate(),
        now.getUTCHours(),
        now.getUTCMinutes(),
        now.getUTCSeconds(),
      ]
    : [
        now.getFullYear(),
        now.getMonth() + 1,
        now.getDate(),
        now.getHours(),
        now.getMinutes(),
        now.getSeconds(),
      ];
  return `${y}${p(mo)}${p(d)}-${p(h)}${p(mi)}${p(s)}`;
}

/** What the lab installer writes into its log file. */
export function labInstallerLog(exitCode: number): string {
  return `SIMULATED installer log (patch bot lab)\nExit code: ${exitCode}\n`;
}

function installUpdate(ctx: CommandContext): void {
  onlyParams(ctx, ['Installer', 'Module']);
  const installer = stringParam(ctx, 'Installer');
  const module = stringParam(ctx, 'Module');
  const content = ctx.state.files[diskKey(installer)];
  if (content === undefined) fail(`Cannot find the installer ${installer}. Extract the package again.`);
  // Checked again right before the installer: these hold files it must replace.
  const holders = ctx.otherModuleHolders();
  if (holders.length > 0) {
    const listed = holders.map((pid) => `${pid} (powershell, started at an unknown time)`).join(', ');
    fail(
      `Other PowerShell processes may have the ${module} module loaded: PID ${listed}. Close them, then retry; the installer was not started.`,
    );
  }
  if (ctx.state.conditions.deploymentToolsRunning) {
    fail(
      `Topology Builder or the Deployment Wizard is open: PID ${LAB_DEPLOYMENT_TOOL.id} (${LAB_DEPLOYMENT_TOOL.name}). Close it, then retry; the installer was not started.`,
    );
  }
  const fields = readPackageFields(content);
  // Simulator rules, ending in 1603 as the real installer does: the update is not for this
  // server, or this very shell holds the management module.
  const wrongProduct =
    fields.installer !== PRODUCTS[ctx.state.product].installer || fields.product !== ctx.state.product;
  const exitCode = wrongProduct || ctx.session.csModule ? 1603 : ctx.state.conditions.installerExitCode;
  const conditions = ctx.state.conditions;
  if ((exitCode === 0 || exitCode === 3010 || exitCode === 1641) && fields.version !== undefined) {
    for (const component of ctx.state.components) {
      if (component !== conditions.laggingComponent)
        setComponentVersion(ctx.state, fields.version, component);
    }
    if (exitCode !== 0 || conditions.installerLeavesRestartPending) conditions.pendingReboot = true;
  }
  const folder = installer.slice(0, installer.lastIndexOf('\\'));
  const base = installer.slice(folder.length + 1).replace(/\.[^.]*$/, '');
  const log = `${folder}\\${base}-${stamp(new Date(), true)}.log`;
  ctx.state.files[diskKey(log)] = labInstallerLog(exitCode);
  ctx.out(`--- last lines of ${log} ---`);
  for (const line of labInstallerLog(exitCode).trimEnd().split('\n')) ctx.out(line);
  ctx.setExitCode(exitCode);
  if (exitCode === 0) {
    ctx.out(
      conditions.pendingReboot
        ? `${installer} finished (exit code 0), but a restart is pending (Component Based Servicing\\RebootPending): a restart is required to complete the update.`
        : `${installer} finished (exit code 0).`,
    );
  } else if (exitCode === 3010) {
    ctx.out(`${installer} finished (exit code 3010): a restart is required to complete the update.`);
  } else if (exitCode === 1641) {
    ctx.out(
      `${installer} finished (exit code 1641): the installer has started a restart of the server to complete the update.`,
    );
  } else if (exitCode === 1618) {
    fail(
      `${installer} exited with code 1618: another installation is already in progress on this server. Wait until it has finished, then retry.`,
    );
  } else {
    fail(`${installer} exited with code ${exitCode}. See the installer log next to it.`);
  }
}

/** Where the module writes Install-CsDatabase's report on a lab server (the stand-in's temp folder). */
const LAB_TEMP = 'C:\\Windows\\Temp\\';

function updateDatabase(ctx: CommandContext): void {
  onlyParams(ctx, ['Variant', 'SqlServerFqdn']);
  requireCsModule(ctx, 'Install-CsDatabase');
  const variant = stringParam(ctx, 'Variant');
  const sqlParam = param(ctx, 'SqlServerFqdn');
  const sql = typeof sqlParam === 'string' ? sqlParam : null;
  if (!['standard', 'enterprise', 'enterprise-collocated'].includes(variant)) {
    fail(`Update-PatchBotDatabase: '${variant}' is not one of standard, enterprise, enterprise-collocated.`);
  }
  if (variant === 'standard' && sql !== null) {
    fail(
      'A Standard Edition server updates its local databases; -SqlServerFqdn does not apply. Leave it out.',
    );
  }
  if (variant !== 'standard' && sql === null) {
    fail(`The ${variant} variant updates the back end's databases on its SQL Server; give -SqlServerFqdn.`);
  }
  const test = (): number => {
    const rows = testDatabases(ctx);
    for (const row of rows) {
      ctx.out(`${row.DatabaseName}: installed ${row.InstalledVersion}, expected ${row.ExpectedVersion}`);
    }
    return rows.filter((r) => !r.Succeed).length;
  };
  ctx.out(test() > 0 ? 'Test-CsDatabase: update needed.' : 'Test-CsDatabase: up to date.');
  const report = `${LAB_TEMP}PatchBot-Install-CsDatabase-${stamp(new Date(), false)}.html`;
  let failure: string | null = null;
  try {
    updateDatabases(ctx, {
      sqlServerFqdn: sql,
      excludeCollocatedStores: variant === 'enterprise-collocated',
      report,
    });
  } catch (error) {
    if (!(error instanceof LabCommandError)) throw error;
    failure = error.message.trim().replace(/\.$/, '');
  }
  const text = ctx.state.files[diskKey(report)];
  if (text !== undefined) {
    ctx.out(`--- report ${report} ---`);
    for (const line of reportLines(text)) ctx.out(line);
  }
  if (failure !== null) {
    fail(
      `Install-CsDatabase -Update failed: ${failure}. See the report ${report}, fix the cause, then retry.`,
    );
  }
  const behind = testDatabases(ctx).filter((r) => !r.Succeed);
  test();
  if (behind.length > 0) {
    fail(
      `Test-CsDatabase after the update: still behind: ${behind.map((r) => r.DatabaseName).join(', ')}. See the report ${report}, then run the database update again.`,
    );
  }
  ctx.out('Test-CsDatabase: done.');
}

/** The report's text without its HTML, as the module reads it: non-empty lines, the last 20. */
function reportLines(html: string): string[] {
  return html
    .replace(/<[^>]*>/g, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-20);
}

function assertServicesRunning(ctx: CommandContext): void {
  onlyParams(ctx, []);
  requireCsModule(ctx, 'Get-CsWindowsService');
  const services = listedServices(ctx.state);
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

export const DOWNTIME_COMMANDS: Record<string, CommandHandler> = {
  'Stop-PatchBotCsServices': stopCsServicesStep,
  'Stop-PatchBotIis': iis('stop'),
  'Start-PatchBotIis': iis('start'),
  'Install-PatchBotUpdate': installUpdate,
  'Update-PatchBotDatabase': updateDatabase,
  'Assert-PatchBotCsServicesRunning': assertServicesRunning,
  ...MIRROR_COMMANDS,
};
