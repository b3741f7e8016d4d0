import {
  EDITIONS,
  fail,
  ok,
  planUpdate,
  preview,
  STEP_IDS,
  validateHostName,
  validatePackage,
  type DomainError,
  type Plan,
  type Result,
  type StepId,
  type UpdatePackage,
  type UpdateRequest,
} from '../procedure/index.js';
import type { Job, ReportedProfile } from '../protocol/messages.js';
import { effectivePackage, type PackagePolicy } from './package-policy.js';

const JOB_FIELDS = [
  'key',
  'runId',
  'attempt',
  'server',
  'request',
  'steps',
  'startIndex',
  'kind',
  'package',
] as const;
const REQUEST_FIELDS = [
  'server',
  'edition',
  'sqlServerFqdn',
  'collocated',
  'graceful',
  'force',
  'poolFqdn',
  'mirrored',
] as const;
const PACKAGE_FIELDS = ['source', 'fileName', 'sha256', 'version'] as const;

export interface CheckedJob {
  job: Job;
  /** The runner's own plan; every command it runs comes from here, never from the job. */
  plan: Plan;
}

/**
 * The allow-list gate. A job is data from the network: it may only name steps of our own catalog,
 * for our own server, with values that pass validation, in exactly the order we would plan them
 * ourselves. Anything else (an unknown step, an extra field that could smuggle script text, a
 * different sequence, another server) is refused before a PowerShell process is even started.
 */
export function checkJob(
  raw: unknown,
  profile: ReportedProfile,
  policy: PackagePolicy = { sources: [] },
): Result<CheckedJob> {
  const shape = checkShape(raw);
  if (!shape.ok) return shape;
  const job = shape.value;

  const own = validateHostName(profile.server);
  const named = validateHostName(job.server);
  const requested = validateHostName(job.request.server);
  if (!own.ok) return own;
  if (!named.ok) return named;
  if (!requested.ok) return requested;
  if (named.value !== own.value || requested.value !== own.value) {
    return fail('wrong-server', `This runner serves ${own.value}; the job is for ${preview(job.server)}.`, {
      server: preview(job.server),
      expected: own.value,
    });
  }

  const pkg = effectivePackage(job.package, profile.package, policy);
  if (!pkg.ok) return pkg;
  const planned = planUpdate(job.request, { ...profile, package: pkg.value });
  if (!planned.ok) return planned;
  // A readiness check runs the steps before downtime and nothing else.
  const plan =
    job.kind === 'check'
      ? { ...planned.value, steps: planned.value.steps.filter((s) => s.phase === 'prestage') }
      : planned.value;
  const ours = plan.steps.map((s) => s.id);
  if (ours.length !== job.steps.length || ours.some((id, i) => id !== job.steps[i])) {
    return fail(
      'plan-mismatch',
      "The job's step sequence differs from the plan this runner makes for the request.",
      {
        expected: ours.join(','),
      },
    );
  }
  if (job.startIndex >= ours.length) {
    return fail('job-malformed', `startIndex ${job.startIndex} is past the last step.`, {});
  }
  return ok({ job, plan });
}

function checkShape(raw: unknown): Result<Job> {
  if (!isPlainObject(raw)) return fail('job-malformed', 'A job must be a JSON object.', {});
  const extra = Object.keys(raw).filter((k) => !(JOB_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) return extraFields(extra);
  const { key, runId, attempt, server, request, steps, startIndex, kind } = raw;
  if (kind !== undefined && kind !== 'update' && kind !== 'check')
    return fail('job-malformed', 'kind must be "update" or "check".', {});
  if (key !== undefined && (typeof key !== 'string' || !/^[A-Za-z0-9:._-]{1,100}$/.test(key)))
    return fail('job-malformed', 'key must be 1-100 letters, digits or : . _ -', {});
  if (!isCount(runId, 1)) return fail('job-malformed', 'runId must be a positive whole number.', {});
  if (!isCount(attempt, 1)) return fail('job-malformed', 'attempt must be a positive whole number.', {});
  if (!isCount(startIndex, 0)) return fail('job-malformed', 'startIndex must be a whole number from 0.', {});
  if (typeof server !== 'string') return fail('job-malformed', 'server must be a string.', {});
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > STEP_IDS.length * 2) {
    return fail('job-malformed', 'steps must be a non-empty list of step ids.', {});
  }
  for (const id of steps) {
    if (typeof id !== 'string' || !(STEP_IDS as readonly string[]).includes(id)) {
      return fail('unknown-step', `"${preview(String(id))}" is not a step this runner knows.`, {
        value: preview(String(id)),
      });
    }
  }
  const checkedRequest = checkRequest(request);
  if (!checkedRequest.ok) return checkedRequest;
  let pkg: UpdatePackage | undefined;
  if (raw.package !== undefined) {
    const checkedPackage = checkPackage(raw.package);
    if (!checkedPackage.ok) return checkedPackage;
    pkg = checkedPackage.value;
  }
  return ok({
    ...(key === undefined ? {} : { key }),
    runId,
    attempt,
    server,
    request: checkedRequest.value,
    steps: steps as StepId[],
    startIndex,
    ...(kind === undefined ? {} : { kind }),
    ...(pkg === undefined ? {} : { package: pkg }),
  });
}

function checkPackage(raw: unknown): Result<UpdatePackage> {
  if (!isPlainObject(raw)) return fail('job-malformed', 'package must be an object.', {});
  const extra = Object.keys(raw).filter((k) => !(PACKAGE_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) return extraFields(extra.map((k) => `package.${k}`));
  const { source, fileName, sha256, version } = raw;
  if (![source, fileName, sha256, version].every((v) => typeof v === 'string'))
    return fail('job-malformed', 'package needs source, fileName, sha256 and version as strings.', {});
  return validatePackage({
    source: source as string,
    fileName: fileName as string,
    sha256: sha256 as string,
    version: version as string,
  });
}

function checkRequest(raw: unknown): Result<UpdateRequest> {
  if (!isPlainObject(raw)) return fail('job-malformed', 'request must be an object.', {});
  const extra = Object.keys(raw).filter((k) => !(REQUEST_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) return extraFields(extra.map((k) => `request.${k}`));
  const { server, edition, sqlServerFqdn, poolFqdn } = raw;
  if (typeof server !== 'string') return fail('job-malformed', 'request.server must be a string.', {});
  if (typeof edition !== 'string' || !(EDITIONS as readonly string[]).includes(edition)) {
    return fail('invalid-edition', 'Edition must be "standard" or "enterprise".', {
      value: preview(String(edition)),
    });
  }
  // The bot's Plan.request carries null for "no SQL server"; JSON has no undefined.
  if (sqlServerFqdn !== undefined && sqlServerFqdn !== null && typeof sqlServerFqdn !== 'string') {
    return fail('job-malformed', 'request.sqlServerFqdn must be a string.', {});
  }
  if (poolFqdn !== undefined && poolFqdn !== null && typeof poolFqdn !== 'string') {
    return fail('job-malformed', 'request.poolFqdn must be a string.', {});
  }
  const flags: Partial<Record<'collocated' | 'graceful' | 'force' | 'mirrored', boolean>> = {};
  for (const name of ['collocated', 'graceful', 'force', 'mirrored'] as const) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean')
      return fail('job-malformed', `request.${name} must be true or false.`, {});
    flags[name] = value;
  }
  // Host names and the options' consistency are checked by planUpdate, as for the bot's plan.
  return ok({
    server,
    edition: edition as UpdateRequest['edition'],
    sqlServerFqdn: sqlServerFqdn ?? undefined,
    ...flags,
    ...(poolFqdn === undefined || poolFqdn === null ? {} : { poolFqdn }),
  });
}

function extraFields(names: string[]): { ok: false; error: DomainError } {
  const list = names.map((n) => preview(n, 30)).join(', ');
  return fail('job-extra-field', `The job carries fields this runner does not accept: ${list}.`, {
    fields: list,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}
