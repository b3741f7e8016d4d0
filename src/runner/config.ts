import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  EDITIONS,
  PRODUCT_FAMILIES,
  validateFileName,
  validateHostName,
  validateLocalFolder,
  validatePackageSource,
  validateReportedProfile,
  validateSha256,
  validateVersion,
  type Edition,
  type ProductFamily,
  type Result,
} from '../procedure/index.js';
import type { ReportedProfile } from '../protocol/messages.js';
import { RUNNER_ID_PATTERN } from '../protocol/signing.js';
import { validateSourcePrefix } from './package-policy.js';
import { checkShellEnvironment } from './shell-config.js';
import type { ShellSpec } from './shell.js';

/**
 * The runner service's configuration. This module is the runner's only reader of process.env; it
 * checks everything at start and reports every problem at once. runner.env.example documents
 * each variable. The secret is never part of a message, and never accepted on the command line.
 */
export interface RunnerConfig {
  botUrl: string;
  runnerId: string;
  /** HMAC secret; sign with it, never log it. */
  secret: string;
  secretSource: 'PATCHBOT_RUNNER_SECRET_FILE' | 'PATCHBOT_RUNNER_SECRET';
  /** The server profile; `package` is set only for a local override (PATCHBOT_PACKAGE_*). */
  profile: ReportedProfile;
  /** Allowed package source prefixes (PATCHBOT_PACKAGE_SOURCES), each ending in / or \. */
  packageSources: string[];
  /** How often the server facts are read again between jobs. */
  factsIntervalMs: number;
  shell: ShellSpec;
  /** Journal (journal.json) and full step output (output/). */
  journalDir: string;
  logLevel: string;
  heartbeatIntervalMs: number;
  version: string;
  /** Things that work but should be fixed (e.g. a secret file others can read). */
  warnings: string[];
}

export class RunnerConfigError extends Error {
  override readonly name = 'RunnerConfigError';
  constructor(readonly problems: string[]) {
    super(
      `The runner configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'See runner.env.example for every variable.',
    );
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

export interface LoadRunnerConfigOptions {
  env?: Env;
  /** Command-line arguments after the script name. The runner takes none. */
  argv?: string[];
  readFile?: (file: string) => string;
  platform?: NodeJS.Platform;
}

export function loadRunnerConfig(options: LoadRunnerConfigOptions = {}): RunnerConfig {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const problems: string[] = [];
  const warnings: string[] = [];
  const text = (name: string): string => (env[name] ?? '').trim();
  const required = (name: string, what: string): string => {
    const value = text(name);
    if (value === '') problems.push(`${name} is required (${what})`);
    return value;
  };
  const check = <T>(name: string, value: string, result: Result<T>): void => {
    if (value !== '' && !result.ok) problems.push(`${name}: ${result.error.message}`);
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === '') return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= min && value <= max) return value;
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw.slice(0, 20)}")`);
    return fallback;
  };

  const botUrl = required('PATCHBOT_BOT_URL', "the bot's base URL, e.g. https://patchbot.contoso.com");
  if (botUrl !== '') problems.push(...checkBotUrl(botUrl));
  const runnerId = required('PATCHBOT_RUNNER_ID', 'printed by `npm run register-runner`');
  if (runnerId !== '' && !RUNNER_ID_PATTERN.test(runnerId)) {
    problems.push('PATCHBOT_RUNNER_ID may hold letters, digits, ".", "_" and "-" (at most 64 characters)');
  }
  const secret = readSecret(env, options.readFile ?? ((file) => readFileSync(file, 'utf8')), problems);
  problems.push(...argumentProblems(options.argv ?? [], secret.value));
  if (secret.source === 'PATCHBOT_RUNNER_SECRET') {
    warnings.push('the secret comes from PATCHBOT_RUNNER_SECRET; prefer PATCHBOT_RUNNER_SECRET_FILE');
  } else if (secret.file && platform !== 'win32' && othersCanRead(secret.file)) {
    warnings.push(`${secret.file} can be read by other users; restrict it to the service account`);
  }

  const server = required('PATCHBOT_SERVER', 'host name of the server this runner patches');
  check('PATCHBOT_SERVER', server, validateHostName(server));
  const product = required('PATCHBOT_PRODUCT', PRODUCT_FAMILIES.join(', '));
  if (product !== '' && !(PRODUCT_FAMILIES as readonly string[]).includes(product)) {
    problems.push(
      `PATCHBOT_PRODUCT must be one of ${PRODUCT_FAMILIES.join(', ')} (got "${product.slice(0, 20)}")`,
    );
  }
  const edition = text('PATCHBOT_EDITION');
  if (edition !== '' && !(EDITIONS as readonly string[]).includes(edition)) {
    problems.push(
      `PATCHBOT_EDITION must be ${EDITIONS.join(' or ')}, or empty (got "${edition.slice(0, 20)}")`,
    );
  }
  // The local override: all four or none. Without it, jobs bring the bot's catalog package.
  const packageVars = [
    'PATCHBOT_PACKAGE_SOURCE',
    'PATCHBOT_PACKAGE_FILE',
    'PATCHBOT_PACKAGE_SHA256',
    'PATCHBOT_PACKAGE_VERSION',
  ] as const;
  const [source, fileName, sha256, version] = packageVars.map(text) as [string, string, string, string];
  const setVars = packageVars.filter((name) => text(name) !== '');
  const hasOverride = setVars.length === packageVars.length;
  if (setVars.length > 0 && !hasOverride) {
    problems.push(
      `${packageVars.filter((name) => text(name) === '').join(', ')} missing: a local package override ` +
        'needs all four PATCHBOT_PACKAGE_* variables (or none, to take packages from the bot)',
    );
  }
  check('PATCHBOT_PACKAGE_SOURCE', source, validatePackageSource(source));
  check('PATCHBOT_PACKAGE_FILE', fileName, validateFileName(fileName));
  check('PATCHBOT_PACKAGE_SHA256', sha256, validateSha256(sha256));
  check('PATCHBOT_PACKAGE_VERSION', version, validateVersion(version));
  const packageSources: string[] = [];
  for (const entry of text('PATCHBOT_PACKAGE_SOURCES').split(',')) {
    const prefix = entry.trim();
    if (prefix === '') continue;
    const checked = validateSourcePrefix(prefix);
    if (checked.ok) packageSources.push(checked.value);
    else problems.push(`PATCHBOT_PACKAGE_SOURCES: ${checked.error.message}`);
  }
  if (!hasOverride && setVars.length === 0 && text('PATCHBOT_PACKAGE_SOURCES') === '') {
    problems.push(
      'PATCHBOT_PACKAGE_SOURCES is required without a local package (comma-separated https:// or ' +
        "\\\\server\\share\\ prefixes the bot's packages may come from)",
    );
  }
  const stagingDir = text('PATCHBOT_STAGING_DIR') || 'C:\\PatchBot\\staging';
  check('PATCHBOT_STAGING_DIR', stagingDir, validateLocalFolder(stagingDir));
  const minFreeGb = int('PATCHBOT_MIN_FREE_GB', 10, 1, 1000);

  const shell = checkShellEnvironment(
    { executable: text('PATCHBOT_POWERSHELL') || 'powershell', executableOptions: {} },
    { lab: false, env },
  );
  if (!shell.ok) {
    const prefix = shell.error.code === 'node-powershell-override' ? '' : 'PATCHBOT_POWERSHELL: ';
    problems.push(prefix + shell.error.message);
  }
  const journalDir =
    text('PATCHBOT_JOURNAL_DIR') || (platform === 'win32' ? 'C:\\PatchBot\\data' : 'runner-data');
  const logLevel = text('LOG_LEVEL') || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const heartbeatIntervalMs = int('PATCHBOT_HEARTBEAT_SECONDS', 5, 1, 60) * 1000;
  const factsIntervalMs = int('PATCHBOT_FACTS_INTERVAL_MINUTES', 60, 1, 1440) * 60_000;

  let profile: ReportedProfile | null = null;
  if (problems.length === 0) {
    const checked = validateReportedProfile<ReportedProfile>({
      server,
      product: product as ProductFamily,
      edition: edition === '' ? undefined : (edition as Edition),
      ...(hasOverride ? { package: { source, fileName, sha256, version } } : {}),
      stagingDir,
      minFreeGb,
    });
    if (checked.ok) profile = checked.value;
    else problems.push(`server profile: ${checked.error.message}`);
  }
  if (problems.length > 0 || !profile || !shell.ok) throw new RunnerConfigError(problems);
  return {
    botUrl: botUrl.replace(/\/+$/, ''),
    runnerId,
    secret: secret.value,
    secretSource: secret.source ?? 'PATCHBOT_RUNNER_SECRET_FILE',
    profile,
    packageSources,
    factsIntervalMs,
    shell: shell.value,
    journalDir: path.resolve(journalDir),
    logLevel,
    heartbeatIntervalMs,
    version: runnerVersion(),
    warnings,
  };
}

function checkBotUrl(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ['PATCHBOT_BOT_URL is not a URL (expected e.g. https://patchbot.contoso.com)'];
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.includes(url.hostname))) {
    if (url.username || url.password) return ['PATCHBOT_BOT_URL must not carry a user name or password'];
    // The runner API lives at /api/runner/ on that host; a path here would be silently dropped.
    return url.pathname === '/' && !url.search && !url.hash
      ? []
      : ['PATCHBOT_BOT_URL must be the bot address only (e.g. https://patchbot.contoso.com), without a path'];
  }
  return ['PATCHBOT_BOT_URL must use https:// (plain http:// only to this machine, for lab set-ups)'];
}

interface SecretRead {
  value: string;
  source: RunnerConfig['secretSource'] | null;
  file: string | null;
}

function readSecret(env: Env, readFile: (file: string) => string, problems: string[]): SecretRead {
  const file = (env.PATCHBOT_RUNNER_SECRET_FILE ?? '').trim();
  const inline = env.PATCHBOT_RUNNER_SECRET ?? '';
  if (file !== '' && inline !== '') {
    problems.push('set PATCHBOT_RUNNER_SECRET_FILE or PATCHBOT_RUNNER_SECRET, not both');
    return { value: '', source: null, file: null };
  }
  if (file === '' && inline === '') {
    problems.push(
      'PATCHBOT_RUNNER_SECRET_FILE is required (a file holding the secret `register-runner` printed)',
    );
    return { value: '', source: null, file: null };
  }
  if (inline !== '') return checkSecret(inline.trim(), 'PATCHBOT_RUNNER_SECRET', null, problems);
  let content: string;
  try {
    content = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    problems.push(
      `PATCHBOT_RUNNER_SECRET_FILE: cannot read ${file} (${code}); the service account needs read access`,
    );
    return { value: '', source: null, file };
  }
  // Editors and Set-Content add a BOM or a trailing newline; neither is part of the secret.
  return checkSecret(content.replace(/^\uFEFF/, '').trim(), 'PATCHBOT_RUNNER_SECRET_FILE', file, problems);
}

function checkSecret(
  value: string,
  source: RunnerConfig['secretSource'],
  file: string | null,
  problems: string[],
): SecretRead {
  if (value.length < 16 || /\s/.test(value)) {
    // Never echo the value, not even its start.
    problems.push(
      `${source}: the secret must be one line of at least 16 characters, as register-runner prints it`,
    );
  }
  return { value, source, file };
}

/** The runner takes no arguments, and a secret on a command line shows in process lists and logs. */
function argumentProblems(argv: string[], secret: string): string[] {
  const problems: string[] = [];
  argv.forEach((arg, i) => {
    if (/secret/i.test(arg) || (secret !== '' && arg.includes(secret))) {
      problems.push(
        `argument ${i + 1} looks like a secret: never pass the secret on the command line; ` +
          'use PATCHBOT_RUNNER_SECRET_FILE',
      );
    } else {
      problems.push(
        `argument ${i + 1}: the runner takes no arguments; it is configured by environment variables`,
      );
    }
  });
  return problems;
}

function othersCanRead(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** The version in package.json (two folders up, from src/runner and from dist/runner alike). */
export function runnerVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
