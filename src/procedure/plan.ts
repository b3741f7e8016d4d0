import {
  DOWNTIME_ENDS_AFTER,
  DOWNTIME_STARTS_AT,
  stepsFor,
  stepTimeout,
  stepTitleKey,
  type StepContext,
} from './catalog.js';
import { planNotes } from './notes.js';
import { fail, ok, type Result } from './errors.js';
import { PRODUCTS } from './products.js';
import type {
  DatabaseVariant,
  Edition,
  Plan,
  PlanStep,
  ServerProfile,
  UpdatePackage,
  UpdateRequest,
} from './types.js';
import { EDITIONS, PRODUCT_FAMILIES } from './types.js';
import {
  validateFileName,
  validateHostName,
  validateLocalFolder,
  validatePackageSource,
  validateSha256,
  validateVersion,
} from './validate.js';

/** Checks a runner's description of its server; the runner refuses to start on a bad one. */
export function validateProfile(profile: ServerProfile): Result<ServerProfile> {
  const base = validateProfileBase(profile);
  if (!base.ok) return base;
  const pkg = validatePackage(profile.package);
  if (!pkg.ok) return pkg;
  return ok({ ...base.value, package: pkg.value });
}

/**
 * A profile whose package may be absent (what a runner without a local override reports, see
 * RunnerInfo in src/protocol/messages.ts); a package that is present is checked in full.
 */
export function validateReportedProfile<
  P extends Omit<ServerProfile, 'package'> & { package?: UpdatePackage },
>(profile: P): Result<P> {
  const base = validateProfileBase(profile);
  if (!base.ok) return base;
  if (profile.package === undefined) return ok(base.value);
  const pkg = validatePackage(profile.package);
  if (!pkg.ok) return pkg;
  return ok({ ...base.value, package: pkg.value });
}

/** An update package: source, file name, hash and version; the hash comes back upper-cased. */
export function validatePackage(pkg: UpdatePackage): Result<UpdatePackage> {
  const checks = [
    validatePackageSource(pkg.source),
    validateFileName(pkg.fileName),
    validateSha256(pkg.sha256),
    validateVersion(pkg.version),
  ];
  for (const check of checks) if (!check.ok) return check;
  return ok({ ...pkg, sha256: pkg.sha256.toUpperCase() });
}

function validateProfileBase<P extends Omit<ServerProfile, 'package'>>(profile: P): Result<P> {
  const server = validateHostName(profile.server);
  if (!server.ok) return server;
  if (!PRODUCT_FAMILIES.includes(profile.product)) {
    return fail('invalid-product', `Unknown product "${String(profile.product)}".`, {
      value: String(profile.product),
    });
  }
  if (profile.edition !== undefined && !EDITIONS.includes(profile.edition)) {
    return fail('invalid-edition', `Unknown edition "${String(profile.edition)}".`, {
      value: String(profile.edition),
    });
  }
  const folder = validateLocalFolder(profile.stagingDir);
  if (!folder.ok) return folder;
  if (!Number.isInteger(profile.minFreeGb) || profile.minFreeGb < 1 || profile.minFreeGb > 1000) {
    return fail('invalid-free-space', 'The free-space minimum must be a whole number of GB from 1 to 1000.', {
      value: String(profile.minFreeGb),
    });
  }
  return ok({ ...profile, server: server.value, stagingDir: profile.stagingDir.replace(/\\+$/, '') });
}

/** Picks the Install-CsDatabase parameter set (article step 11) or says why the request is inconsistent. */
export function databaseVariant(
  edition: Edition,
  sqlServerFqdn: string | null,
  collocated: boolean,
): Result<DatabaseVariant> {
  if (edition === 'standard') {
    if (collocated) {
      return fail(
        'collocated-on-standard',
        '"collocated" applies only to Enterprise Edition Back End Servers; a Standard Edition server keeps its databases locally.',
      );
    }
    if (sqlServerFqdn) {
      return fail(
        'sql-on-standard',
        'A Standard Edition server updates its local databases; leave out "sql".',
      );
    }
    return ok('standard');
  }
  if (!sqlServerFqdn) {
    return fail(
      'missing-sql',
      'An Enterprise Edition Back End Server needs the SQL Server FQDN: add "sql <fqdn>".',
    );
  }
  return ok(collocated ? 'enterprise-collocated' : 'enterprise');
}

/**
 * Turns an admin's request into the ordered steps of the reference procedure for this server.
 * Pure: the same input always gives the same plan, and nothing here touches the outside world.
 */
export function planUpdate(request: UpdateRequest, rawProfile: ServerProfile): Result<Plan> {
  const profileCheck = validateProfile(rawProfile);
  if (!profileCheck.ok) return profileCheck;
  const profile = profileCheck.value;

  const server = validateHostName(String(request.server ?? ''));
  if (!server.ok) return server;
  if (server.value !== profile.server) {
    return fail('server-mismatch', `This plan is for ${profile.server}, not ${server.value}.`, {
      server: server.value,
      expected: profile.server,
    });
  }
  if (!EDITIONS.includes(request.edition)) {
    return fail('invalid-edition', `Edition must be "standard" or "enterprise".`, {
      value: String(request.edition),
    });
  }
  if (profile.edition && profile.edition !== request.edition) {
    return fail(
      'edition-mismatch',
      `${profile.server} is registered as ${profile.edition} edition, not ${request.edition}.`,
      {
        server: profile.server,
        expected: profile.edition,
        value: request.edition,
      },
    );
  }
  let sql: string | null = null;
  if (request.sqlServerFqdn !== undefined && request.sqlServerFqdn !== '') {
    const checked = validateHostName(String(request.sqlServerFqdn), 'sql');
    if (!checked.ok) return checked;
    sql = checked.value;
  }
  const collocated = request.collocated === true;
  const variant = databaseVariant(request.edition, sql, collocated);
  if (!variant.ok) return variant;
  const options = planOptions(request, variant.value);
  if (!options.ok) return options;
  const { graceful, force, poolFqdn, mirrored } = options.value;

  const ctx: StepContext = {
    product: profile.product,
    variant: variant.value,
    sqlServerFqdn: sql,
    stagingDir: profile.stagingDir,
    packageFile: profile.package.fileName,
    packageSource: profile.package.source,
    packageSha256: profile.package.sha256,
    packageVersion: profile.package.version,
    minFreeGb: profile.minFreeGb,
    graceful,
    force,
    poolFqdn,
    mirrored,
  };
  const steps: PlanStep[] = stepsFor(variant.value).map((def, i) => ({
    id: def.id,
    index: i + 1,
    phase: def.phase,
    titleKey: stepTitleKey(def.id),
    command: def.render(ctx),
    ...(def.underlying ? { underlying: def.underlying(ctx) } : {}),
    session: def.session,
    retrySafe: def.retrySafe,
    timeoutMs: stepTimeout(def, ctx),
    articleStep: def.articleStep,
  }));
  return ok({
    request: {
      server: profile.server,
      edition: request.edition,
      sqlServerFqdn: sql,
      collocated,
      graceful,
      force,
      poolFqdn,
      mirrored,
    },
    product: profile.product,
    variant: variant.value,
    package: profile.package,
    notes: planNotes(ctx, profile.server),
    steps,
    downtimeStartsAt: DOWNTIME_STARTS_AT,
    downtimeEndsAfter: DOWNTIME_ENDS_AFTER,
    downtimeBudgetMs: steps.filter((s) => s.phase === 'downtime').reduce((sum, s) => sum + s.timeoutMs, 0),
    typicalDowntimeMinutes: PRODUCTS[profile.product].typicalDowntimeMinutes,
  });
}

interface PlanOptions {
  graceful: boolean;
  force: boolean;
  poolFqdn: string | null;
  mirrored: boolean;
}

/** graceful, force, and the Enterprise facts the bot filled in (pool, mirroring), validated. */
function planOptions(request: UpdateRequest, variant: DatabaseVariant): Result<PlanOptions> {
  for (const name of ['graceful', 'force', 'mirrored'] as const) {
    const value: unknown = request[name];
    if (value !== undefined && typeof value !== 'boolean') {
      return fail('invalid-option', `"${name}" must be true or false.`, { value: name });
    }
  }
  const enterprise = variant !== 'standard';
  let poolFqdn: string | null = null;
  if (request.poolFqdn !== undefined && request.poolFqdn !== '') {
    const checked = validateHostName(String(request.poolFqdn), 'pool');
    if (!checked.ok) return checked;
    // A Standard Edition server is its own pool; only the Enterprise mirror check takes it.
    poolFqdn = enterprise ? checked.value : null;
  }
  const mirrored = request.mirrored === true;
  if (mirrored && !enterprise) {
    return fail(
      'mirror-on-standard',
      'Database mirroring applies only to Enterprise Edition back ends; a Standard Edition server keeps its databases locally.',
    );
  }
  return ok({ graceful: request.graceful === true, force: request.force === true, poolFqdn, mirrored });
}
