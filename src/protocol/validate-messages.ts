import {
  EDITIONS,
  PRODUCT_FAMILIES,
  STEP_CATALOG,
  STEP_IDS,
  validatePackage,
  validateReportedProfile,
  type Result,
  type StepId,
  type UpdatePackage,
  type UpdateRequest,
} from '../procedure/index.js';
import {
  EXCERPT_CAP_CHARS,
  OUTPUT_CAP_CHARS,
  STEP_STATUSES,
  type Heartbeat,
  type HeartbeatAnswer,
  type Job,
  type ReportedProfile,
  type RunnerInfo,
  type StepResult,
} from './messages.js';
import {
  finite,
  flag,
  guard,
  hostName,
  integer,
  Invalid,
  isoTime,
  list,
  member,
  record,
  text,
} from './read.js';
import { RUNNER_ID_PATTERN } from './signing.js';
import { readServerFacts } from './validate-facts.js';

/**
 * The runner API's request and answer bodies, and strict validators for every one of them. Both
 * sides validate what they receive: the bot trusts no runner body, the runner trusts no job.
 * Validators never throw; they return the first problem found, naming the field path.
 * String caps count UTF-16 code units (String.length), the same measure the runner truncates by.
 */

export const RUNNER_API_PATHS = {
  poll: '/api/runner/poll',
  results: '/api/runner/results',
  heartbeat: '/api/runner/heartbeat',
} as const;

export const MAX_RESULTS_PER_REQUEST = 50;
/** Upper bound on the wait a runner may ask for; the bot also caps it at its own long-poll setting. */
export const MAX_POLL_WAIT_MS = 120_000;
const MAX_CANCELS = 1000;
const MAX_STEPS_PER_JOB = 64;
const MAX_DURATION_MS = 7 * 24 * 3_600_000;

export interface PollRequest {
  /** How long the runner is willing to wait for a job, ms (its HTTP stack may time out sooner). */
  waitMs?: number;
}
export interface PollAnswer {
  job: Job;
}
export interface ResultsRequest {
  /** In execution order; the bot records them in this order. */
  results: StepResult[];
}
export type ResultOutcome = 'accepted' | 'duplicate';
/** Results are keyed by (runId, stepId, attempt); a resent result is acknowledged as 'duplicate'. */
export interface ResultAck {
  /** The result's job key, when it carried one. */
  key?: string;
  runId: number;
  stepId: StepId;
  attempt: number;
  outcome: ResultOutcome;
}
export interface ResultsAnswer {
  acks: ResultAck[];
}
/** Every non-2xx answer from the runner API. On a 403 to /results, acks covers the results recorded before it. */
export interface ApiErrorBody {
  error: string;
  message: string;
  acks?: ResultAck[];
}

export function resultKey(result: Pick<StepResult, 'runId' | 'stepId' | 'attempt' | 'key'>): string {
  return `${result.key === undefined ? '' : `${result.key}@`}${result.runId}/${result.stepId}/${result.attempt}`;
}

export const validatePollRequest = (value: unknown): Result<PollRequest> =>
  guard(() => {
    const o = record(value, 'body', [], ['waitMs']);
    return Object.hasOwn(o, 'waitMs')
      ? { waitMs: integer(o.waitMs, 'body.waitMs', 0, MAX_POLL_WAIT_MS) }
      : {};
  });

export const validateResultsRequest = (value: unknown): Result<ResultsRequest> =>
  guard(() => {
    const o = record(value, 'body', ['results']);
    return { results: list(o.results, 'body.results', 1, MAX_RESULTS_PER_REQUEST, readStepResult) };
  });

export const validateStepResult = (value: unknown): Result<StepResult> =>
  guard(() => readStepResult(value, 'result'));

export const validateHeartbeat = (value: unknown): Result<Heartbeat> =>
  guard(() => {
    const o = record(value, 'body', ['info', 'runId', 'stepId'], ['facts']);
    return {
      info: readRunnerInfo(o.info, 'body.info'),
      ...(Object.hasOwn(o, 'facts') ? { facts: readServerFacts(o.facts, 'body.facts') } : {}),
      runId: o.runId === null ? null : integer(o.runId, 'body.runId', 1, Number.MAX_SAFE_INTEGER),
      stepId: o.stepId === null ? null : member(o.stepId, 'body.stepId', STEP_IDS),
    };
  });

export const validateJob = (value: unknown): Result<Job> => guard(() => readJob(value, 'job'));

export const validatePollAnswer = (value: unknown): Result<PollAnswer> =>
  guard(() => ({ job: readJob(record(value, 'body', ['job']).job, 'body.job') }));

export const validateResultsAnswer = (value: unknown): Result<ResultsAnswer> =>
  guard(() => {
    const o = record(value, 'body', ['acks']);
    return { acks: list(o.acks, 'body.acks', 0, MAX_RESULTS_PER_REQUEST, readAck) };
  });

export const validateHeartbeatAnswer = (value: unknown): Result<HeartbeatAnswer> =>
  guard(() => {
    const o = record(value, 'body', ['cancel']);
    const runIds = (v: unknown, where: string) => integer(v, where, 1, Number.MAX_SAFE_INTEGER);
    return { cancel: list(o.cancel, 'body.cancel', 0, MAX_CANCELS, runIds) };
  });

/** Every StepResult field but the optional rebootRequired. */
const STEP_RESULT_FIELDS = [
  ...(['runId', 'attempt', 'stepId', 'index', 'status', 'startedAt', 'endedAt', 'durationMs'] as const),
  ...(['exitCode', 'stdout', 'stderr', 'truncated', 'errorExcerpt'] as const),
] satisfies Array<keyof StepResult>;

function readStepResult(value: unknown, where: string): StepResult {
  const o = record(value, where, STEP_RESULT_FIELDS, ['rebootRequired', 'key', 'declined']);
  const result: StepResult = {
    runId: integer(o.runId, `${where}.runId`, 1, Number.MAX_SAFE_INTEGER),
    attempt: integer(o.attempt, `${where}.attempt`, 0, 1_000_000),
    stepId: member(o.stepId, `${where}.stepId`, STEP_IDS),
    index: integer(o.index, `${where}.index`, 0, MAX_STEPS_PER_JOB - 1),
    status: member(o.status, `${where}.status`, STEP_STATUSES),
    startedAt: isoTime(o.startedAt, `${where}.startedAt`),
    endedAt: isoTime(o.endedAt, `${where}.endedAt`),
    durationMs: finite(o.durationMs, `${where}.durationMs`, 0, MAX_DURATION_MS),
    // Windows exit codes are 32-bit and show up both signed and unsigned.
    exitCode: o.exitCode === null ? null : integer(o.exitCode, `${where}.exitCode`, -(2 ** 31), 2 ** 32 - 1),
    stdout: text(o.stdout, `${where}.stdout`, OUTPUT_CAP_CHARS),
    stderr: text(o.stderr, `${where}.stderr`, OUTPUT_CAP_CHARS),
    truncated: flag(o.truncated, `${where}.truncated`),
    errorExcerpt:
      o.errorExcerpt === null ? null : text(o.errorExcerpt, `${where}.errorExcerpt`, EXCERPT_CAP_CHARS),
  };
  if (Object.hasOwn(o, 'rebootRequired'))
    result.rebootRequired = flag(o.rebootRequired, `${where}.rebootRequired`);
  if (Object.hasOwn(o, 'key')) result.key = jobKey(o.key, `${where}.key`);
  if (Object.hasOwn(o, 'declined')) result.declined = code(o.declined, `${where}.declined`);
  return result;
}

/** A job key: letters, digits and : . _ - (a UUID, or the form older runs get). */
export const JOB_KEY_PATTERN = /^[A-Za-z0-9:._-]{1,100}$/;

function jobKey(value: unknown, where: string): string {
  const key = text(value, where, 100);
  if (!JOB_KEY_PATTERN.test(key)) throw new Invalid(where, 'not a valid job key');
  return key;
}

function code(value: unknown, where: string): string {
  const checked = text(value, where, 40);
  if (!/^[a-z0-9-]{1,40}$/.test(checked)) throw new Invalid(where, 'not a valid code');
  return checked;
}

function readRunnerInfo(value: unknown, where: string): RunnerInfo {
  const o = record(value, where, ['runnerId', 'version', 'profile']);
  const runnerId = text(o.runnerId, `${where}.runnerId`, 64);
  if (!RUNNER_ID_PATTERN.test(runnerId)) throw new Invalid(`${where}.runnerId`, 'not a valid runner id');
  return {
    runnerId,
    version: text(o.version, `${where}.version`, 64),
    profile: readProfile(o.profile, `${where}.profile`),
  };
}

function readProfile(value: unknown, where: string): ReportedProfile {
  const o = record(value, where, ['server', 'product', 'stagingDir', 'minFreeGb'], ['edition', 'package']);
  const shaped: ReportedProfile = {
    server: text(o.server, `${where}.server`, 253),
    product: member(o.product, `${where}.product`, PRODUCT_FAMILIES),
    stagingDir: text(o.stagingDir, `${where}.stagingDir`, 1000),
    minFreeGb: integer(o.minFreeGb, `${where}.minFreeGb`, 1, 1000),
  };
  if (Object.hasOwn(o, 'edition')) shaped.edition = member(o.edition, `${where}.edition`, EDITIONS);
  if (Object.hasOwn(o, 'package')) shaped.package = readPackage(o.package, `${where}.package`);
  // The domain owns the content rules (host names, paths, hash); reuse them rather than restate them.
  const checked = validateReportedProfile(shaped);
  if (!checked.ok) throw new Invalid(where, checked.error.message);
  return checked.value;
}

function readPackage(value: unknown, where: string): UpdatePackage {
  const pkg = record(value, where, ['source', 'fileName', 'sha256', 'version']);
  const checked = validatePackage({
    source: text(pkg.source, `${where}.source`, 1000),
    fileName: text(pkg.fileName, `${where}.fileName`, 200),
    sha256: text(pkg.sha256, `${where}.sha256`, 64),
    version: text(pkg.version, `${where}.version`, 40),
  });
  if (!checked.ok) throw new Invalid(where, checked.error.message);
  return checked.value;
}

const PRESTAGE: ReadonlySet<string> = new Set(
  STEP_CATALOG.filter((s) => s.phase === 'prestage').map((s) => s.id),
);

function readJob(value: unknown, where: string): Job {
  const o = record(
    value,
    where,
    ['runId', 'attempt', 'server', 'request', 'steps', 'startIndex'],
    ['key', 'kind', 'package'],
  );
  const steps = list(o.steps, `${where}.steps`, 1, MAX_STEPS_PER_JOB, (v, w) => member(v, w, STEP_IDS));
  const kind = Object.hasOwn(o, 'kind')
    ? member(o.kind, `${where}.kind`, ['update', 'check'] as const)
    : undefined;
  // The readiness check never reaches downtime: a check job naming a later step is refused whole.
  if (kind === 'check' && steps.some((id) => !PRESTAGE.has(id)))
    throw new Invalid(`${where}.steps`, 'a check job may name only steps before downtime');
  return {
    ...(Object.hasOwn(o, 'key') ? { key: jobKey(o.key, `${where}.key`) } : {}),
    runId: integer(o.runId, `${where}.runId`, 1, Number.MAX_SAFE_INTEGER),
    attempt: integer(o.attempt, `${where}.attempt`, 0, 1_000_000),
    server: hostName(o.server, `${where}.server`, 'server'),
    request: readUpdateRequest(o.request, `${where}.request`),
    steps,
    startIndex: integer(o.startIndex, `${where}.startIndex`, 0, steps.length - 1),
    ...(kind === undefined ? {} : { kind }),
    ...(Object.hasOwn(o, 'package') ? { package: readPackage(o.package, `${where}.package`) } : {}),
  };
}

const REQUEST_OPTIONAL = [
  'sqlServerFqdn',
  'collocated',
  'graceful',
  'force',
  'poolFqdn',
  'mirrored',
] as const;

function readUpdateRequest(value: unknown, where: string): UpdateRequest {
  const o = record(value, where, ['server', 'edition'], REQUEST_OPTIONAL);
  const request: UpdateRequest = {
    server: hostName(o.server, `${where}.server`, 'server'),
    edition: member(o.edition, `${where}.edition`, EDITIONS),
  };
  if (Object.hasOwn(o, 'sqlServerFqdn'))
    request.sqlServerFqdn = hostName(o.sqlServerFqdn, `${where}.sqlServerFqdn`, 'sql');
  if (Object.hasOwn(o, 'poolFqdn')) request.poolFqdn = hostName(o.poolFqdn, `${where}.poolFqdn`, 'pool');
  for (const name of ['collocated', 'graceful', 'force', 'mirrored'] as const)
    if (Object.hasOwn(o, name)) request[name] = flag(o[name], `${where}.${name}`);
  return request;
}

function readAck(value: unknown, where: string): ResultAck {
  const o = record(value, where, ['runId', 'stepId', 'attempt', 'outcome'], ['key']);
  return {
    ...(Object.hasOwn(o, 'key') ? { key: jobKey(o.key, `${where}.key`) } : {}),
    runId: integer(o.runId, `${where}.runId`, 1, Number.MAX_SAFE_INTEGER),
    stepId: member(o.stepId, `${where}.stepId`, STEP_IDS),
    attempt: integer(o.attempt, `${where}.attempt`, 0, 1_000_000),
    outcome: member(o.outcome, `${where}.outcome`, ['accepted', 'duplicate'] as const),
  };
}
