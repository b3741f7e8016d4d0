import path from 'node:path';
import { DEFAULT_POLICY, type MaintenanceWindow, type Policy, type Pool } from './runs/policy.js';

/** Everything the bot reads from its environment. This module is the only reader of process.env. */
export interface Config {
  /** Lab mode: no Bot Framework credentials; simulated servers, local runners and the Playground. */
  lab: boolean;
  port: number;
  host: string;
  dataDir: string;
  /**
   * PostgreSQL store (PATCHBOT_DATABASE_URL): shared by the instances of a highly available
   * bot. null = the lowdb store in dataDir, as a single instance.
   */
  databaseUrl: string | null;
  /** How often a standby instance tries to become the active one (PATCHBOT_HA_RETRY_MS). */
  haRetryMs: number;
  logLevel: string;
  /** Bot Framework settings, named as botbuilder expects them. */
  bot: {
    MicrosoftAppId: string;
    MicrosoftAppPassword: string;
    MicrosoftAppType: string;
    MicrosoftAppTenantId: string;
  };
  policy: Policy;
  heartbeatTimeoutMs: number;
  longPollMs: number;
  /** Lab only: Playground port (0 = any free port) and simulated-duration scale. */
  playgroundPort: number;
  labTimeScale: number;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(
      `Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`,
    );
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const json = <T>(name: string, fallback: T): T => {
    const raw = env[name];
    if (!raw) return fallback;
    try {
      return JSON.parse(raw) as T;
    } catch {
      problems.push(`${name} must be JSON (see .env.example)`);
      return fallback;
    }
  };
  const list = (name: string, fallback: string[]): string[] =>
    env[name] === undefined
      ? fallback
      : (env[name] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);

  const appId = env.MicrosoftAppId ?? '';
  const password = env.MicrosoftAppPassword ?? '';
  const lab = appId === '';
  if (!lab && password === '' && (env.MicrosoftAppType ?? 'MultiTenant') !== 'UserAssignedMSI') {
    problems.push('MicrosoftAppPassword is required when MicrosoftAppId is set');
  }
  const appType = env.MicrosoftAppType ?? 'MultiTenant';
  if (!['MultiTenant', 'SingleTenant', 'UserAssignedMSI'].includes(appType)) {
    problems.push('MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI');
  }
  if (appType === 'SingleTenant' && !env.MicrosoftAppTenantId)
    problems.push('MicrosoftAppTenantId is required for SingleTenant');

  const policy: Policy = {
    requesters: list('PATCHBOT_REQUESTERS', DEFAULT_POLICY.requesters),
    approvers: list('PATCHBOT_APPROVERS', DEFAULT_POLICY.approvers),
    readers: list('PATCHBOT_READERS', DEFAULT_POLICY.readers),
    approvalsRequired: int('PATCHBOT_APPROVALS_REQUIRED', DEFAULT_POLICY.approvalsRequired, 0, 10),
    approvalExpiryMinutes: int(
      'PATCHBOT_APPROVAL_EXPIRY_MINUTES',
      DEFAULT_POLICY.approvalExpiryMinutes,
      1,
      24 * 60,
    ),
    maintenanceWindows: json<Record<string, MaintenanceWindow[]>>('PATCHBOT_MAINTENANCE_WINDOWS', {}),
    pools: json<Pool[]>('PATCHBOT_POOLS', []),
  };
  if (
    policy.approvalsRequired > 0 &&
    policy.approvers.length < policy.approvalsRequired &&
    !policy.approvers.includes('*')
  ) {
    problems.push(
      `PATCHBOT_APPROVALS_REQUIRED is ${policy.approvalsRequired} but PATCHBOT_APPROVERS names only ${policy.approvers.length}`,
    );
  }
  for (const [server, windows] of Object.entries(policy.maintenanceWindows)) {
    for (const w of Array.isArray(windows) ? windows : [null]) {
      if (
        !w ||
        !Array.isArray(w.days) ||
        !/^\d\d:\d\d$/.test(w.start) ||
        !/^\d\d:\d\d$/.test(w.end) ||
        !validTimeZone(w.timeZone)
      ) {
        problems.push(
          `PATCHBOT_MAINTENANCE_WINDOWS for ${server}: each window needs days [0-6], start/end "HH:MM" and a valid timeZone`,
        );
      }
    }
  }

  const config: Config = {
    lab,
    port: int('PORT', 3978, 0, 65535),
    host: env.HOST ?? (lab ? '127.0.0.1' : '0.0.0.0'),
    dataDir: path.resolve(env.PATCHBOT_DATA_DIR ?? (lab ? '.lab/data' : 'data')),
    databaseUrl: databaseUrl(env.PATCHBOT_DATABASE_URL, problems),
    haRetryMs: int('PATCHBOT_HA_RETRY_MS', 2000, 200, 60_000),
    logLevel: env.LOG_LEVEL ?? 'info',
    bot: {
      MicrosoftAppId: appId,
      MicrosoftAppPassword: password,
      MicrosoftAppType: appType,
      MicrosoftAppTenantId: env.MicrosoftAppTenantId ?? '',
    },
    policy,
    heartbeatTimeoutMs: int('PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS', 60, 5, 3600) * 1000,
    longPollMs: int('PATCHBOT_LONG_POLL_SECONDS', 25, 1, 120) * 1000,
    playgroundPort: int('PLAYGROUND_PORT', 56150, 0, 65535),
    labTimeScale: Number(env.PATCHBOT_LAB_TIME_SCALE ?? '0.01'),
  };
  // Lab mode checks no token on /api/messages: anyone who can reach it is every user. So it
  // listens on this machine only, and says so rather than quietly binding elsewhere.
  if (lab && !isLoopback(config.host))
    problems.push(
      `HOST=${config.host} is not allowed in lab mode: lab mode has no authentication (MicrosoftAppId is empty), ` +
        'so it listens on this machine only. Use 127.0.0.1, ::1 or localhost, or set MicrosoftAppId and ' +
        'MicrosoftAppPassword for production.',
    );
  if (!(config.labTimeScale > 0 && config.labTimeScale <= 1))
    problems.push('PATCHBOT_LAB_TIME_SCALE must be a number in (0, 1]');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel))
    problems.push('LOG_LEVEL must be a pino level');
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/**
 * A postgres:// or postgresql:// URL, or null when unset. A problem never quotes the value: it
 * may hold the database password.
 */
function databaseUrl(raw: string | undefined, problems: string[]): string | null {
  const value = raw?.trim() ?? '';
  if (value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(
      'PATCHBOT_DATABASE_URL is not a URL: use postgres://user:password@host:5432/database (see .env.example)',
    );
    return null;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push(
      `PATCHBOT_DATABASE_URL must start with postgres:// or postgresql:// (got ${url.protocol}//...)`,
    );
    return null;
  }
  if (url.hostname === '' && !url.searchParams.has('host')) {
    problems.push('PATCHBOT_DATABASE_URL names no host: use postgres://user:password@host:5432/database');
    return null;
  }
  return value;
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function validTimeZone(zone: unknown): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: String(zone) });
    return typeof zone === 'string';
  } catch {
    return false;
  }
}
