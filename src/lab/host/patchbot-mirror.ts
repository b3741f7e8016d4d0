import { LAB_DATABASES } from './cs-commands.js';
import {
  fail,
  LabCommandError,
  onlyParams,
  param,
  requireCsModule,
  stringParam,
  type CommandContext,
  type CommandHandler,
} from './context.js';

/**
 * SIMULATOR: database mirroring of an Enterprise back end (conditions.mirrored,
 * principalOnMirror, failoverFails), as Get-CsDatabaseMirrorState and Invoke-CsDatabaseFailover
 * report it, and the PatchBot function that makes the back end's SQL Server the principal.
 */

/** What Get-CsDatabaseMirrorState reports on both sides of a database that is not mirrored. */
export const NOT_MIRRORED = 'DatabaseInaccessibleOrMirroringNotEnabled';

type MirrorRole = 'Principal' | 'Mirror' | typeof NOT_MIRRORED;

export interface LabMirrorState {
  DatabaseName: string;
  StateOnPrimary: MirrorRole;
  StateOnMirror: MirrorRole;
}

/** Get-CsDatabaseMirrorState -PoolFqdn: one row per back-end database of an Enterprise pool. */
export function mirrorStates(ctx: CommandContext): LabMirrorState[] {
  const { conditions, edition } = ctx.state;
  if (edition !== 'enterprise') return [];
  const onMirror = conditions.principalOnMirror;
  return LAB_DATABASES.map((name) => ({
    DatabaseName: name,
    StateOnPrimary: !conditions.mirrored ? NOT_MIRRORED : onMirror ? 'Mirror' : 'Principal',
    StateOnMirror: !conditions.mirrored ? NOT_MIRRORED : onMirror ? 'Principal' : 'Mirror',
  }));
}

/** The store type Invoke-CsDatabaseFailover -DatabaseType takes for each lab database. */
const DATABASE_TYPES: Record<string, string> = {
  rtcxds: 'User',
  rtcshared: 'User',
  rtcab: 'Application',
  rgsconfig: 'Application',
  rgsdyn: 'Application',
  cpsdyn: 'Application',
  xds: 'CentralMgmt',
  lis: 'CentralMgmt',
};

/** Invoke-CsDatabaseFailover -NewPrincipal Primary (the lab fails every database over at once). */
function failOverToPrimary(ctx: CommandContext, pool: string): void {
  if (ctx.state.conditions.failoverFails) throw new LabCommandError(FAILOVER_ERROR(pool), false);
  ctx.state.conditions.principalOnMirror = false;
}

/** The lab's Invoke-CsDatabaseFailover error while conditions.failoverFails. */
export const FAILOVER_ERROR = (pool: string): string =>
  `The mirror of the pool ${pool} did not give up the principal role (simulated failover failure).`;

function assertDatabaseMirror(ctx: CommandContext): void {
  onlyParams(ctx, ['SqlServerFqdn', 'PoolFqdn', 'Mirrored']);
  requireCsModule(ctx, 'Get-CsDatabaseMirrorState');
  const sql = stringParam(ctx, 'SqlServerFqdn');
  const given = param(ctx, 'PoolFqdn');
  const planned = param(ctx, 'Mirrored') === true;
  // Without -PoolFqdn, the module asks Get-CsComputer -Local for this server's pool.
  const pool = typeof given === 'string' ? given : ctx.state.poolFqdn;
  const rows = pool.toLowerCase() === ctx.state.poolFqdn.toLowerCase() ? mirrorStates(ctx) : [];
  if (rows.length === 0) {
    fail(
      `Get-CsDatabaseMirrorState listed no databases for the pool ${pool}, so mirroring could not be checked. Check the pool's name and that this account may read the topology.`,
    );
  }
  for (const row of rows) {
    ctx.out(`${row.DatabaseName}: primary ${row.StateOnPrimary}, mirror ${row.StateOnMirror}`);
  }
  const mirrored = rows.filter((r) => r.StateOnPrimary !== NOT_MIRRORED || r.StateOnMirror !== NOT_MIRRORED);
  const replan = 'Ask for the update again so that it is planned with what the server reports now.';
  if (mirrored.length === 0) {
    if (planned) {
      fail(
        `The back-end databases of the pool ${pool} are not mirrored, but the plan expected mirroring. ${replan}`,
      );
    }
    ctx.out(`The back-end databases of the pool ${pool} are not mirrored.`);
    return;
  }
  if (!planned)
    fail(`The back-end databases of the pool ${pool} are mirrored, but the plan did not know. ${replan}`);
  const elsewhere = mirrored.filter((r) => r.StateOnPrimary !== 'Principal');
  if (elsewhere.length > 0) {
    const types = [...new Set(elsewhere.map((r) => DATABASE_TYPES[r.DatabaseName] ?? ''))];
    for (const type of types) {
      try {
        failOverToPrimary(ctx, pool);
      } catch (error) {
        if (!(error instanceof LabCommandError)) throw error;
        fail(
          `Failing the ${type} databases of the pool ${pool} back to ${sql} failed: ${error.message.replace(/\.$/, '')}. Nothing has been stopped; make ${sql} the principal by hand, then retry.`,
        );
      }
      ctx.out(
        `Failed the ${type} databases over to ${sql} (Invoke-CsDatabaseFailover -NewPrincipal Primary).`,
      );
    }
    const still = mirrorStates(ctx).filter(
      (r) => r.StateOnMirror !== NOT_MIRRORED && r.StateOnPrimary !== 'Principal',
    );
    if (still.length > 0) {
      fail(
        `Still principal on the mirror after the failover: ${still.map((r) => r.DatabaseName).join(', ')}. Nothing has been stopped; make ${sql} the principal by hand, then retry.`,
      );
    }
  }
  ctx.out(`Every mirrored database of the pool ${pool} is principal on ${sql}.`);
}

export const MIRROR_COMMANDS: Record<string, CommandHandler> = {
  'Assert-PatchBotDatabaseMirror': assertDatabaseMirror,
};
