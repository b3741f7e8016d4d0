import { randomBytes } from 'node:crypto';
import { validateHostName } from '../procedure/index.js';
import { RUNNER_ID_PATTERN } from '../protocol/signing.js';
import type { RunnerAdmin } from '../store/runner-admin-store.js';
import type { RunnerRecord } from '../store/store.js';
import { AdminRefusal, UsageError } from './cli-support.js';

/** Bytes of randomness in a runner secret (base64url: 43 characters). */
export const RUNNER_SECRET_BYTES = 32;

/** The runner's settings (runner.env.example, src/runner/config.ts) that registration fills in. */
export const RUNNER_SETTINGS = {
  botUrl: 'PATCHBOT_BOT_URL',
  id: 'PATCHBOT_RUNNER_ID',
  secretFile: 'PATCHBOT_RUNNER_SECRET_FILE',
  secret: 'PATCHBOT_RUNNER_SECRET',
  server: 'PATCHBOT_SERVER',
} as const;

export interface Registration {
  runner: RunnerRecord;
  /** Runners of the same server that --replace removed. */
  replaced: RunnerRecord[];
}

/** A runner as --list shows it: everything but the secret. */
export type RunnerSummary = Omit<RunnerRecord, 'secret' | 'info'> & { version: string | null };

export interface RegisterOptions {
  replace?: boolean;
  now?: () => Date;
  random?: (bytes: number) => Buffer;
}

/**
 * Creates a runner for a server: a fresh id and secret. A server has one runner; registering
 * again needs `replace`, which revokes the old runner (a running bot refuses its secret within
 * 2 seconds). `store` is the running bot's store, or a RunnerAdminStore (data folder) or
 * PgRunnerAdmin (PostgreSQL) beside it.
 */
export async function registerRunner(
  store: RunnerAdmin,
  rawServer: string,
  options: RegisterOptions = {},
): Promise<Registration> {
  const server = validateHostName(rawServer);
  if (!server.ok) throw new UsageError(server.error.message);
  const now = (options.now ?? (() => new Date()))();
  const random = options.random ?? randomBytes;

  const existing = store.runners().filter((r) => r.server === server.value);
  if (existing.length > 0 && !options.replace) {
    const ids = existing.map((r) => r.id).join(', ');
    throw new AdminRefusal(
      `${server.value} already has a runner (${ids}). To issue a new id and secret, run again with --replace; ` +
        'the old runner stops working at once.',
    );
  }
  const runner: RunnerRecord = {
    id: runnerIdFor(server.value, random),
    server: server.value,
    secret: random(RUNNER_SECRET_BYTES).toString('base64url'),
    createdAt: now.toISOString(),
    lastSeenAt: null,
    info: null,
  };
  await store.saveRunner(runner);
  for (const old of existing) await store.removeRunner(old.id);
  await auditOrExplain(store, runner, {
    at: now.toISOString(),
    action: 'runner-register',
    actor: { system: true },
    server: runner.server,
    detail: { runnerId: runner.id, replaced: existing.map((r) => r.id) },
  });
  return { runner, replaced: existing };
}

export function listRunners(store: Pick<RunnerAdmin, 'runners'>): RunnerSummary[] {
  return store
    .runners()
    .map(({ id, server, createdAt, lastSeenAt, info }) => ({
      id,
      server,
      createdAt,
      lastSeenAt,
      version: info?.version ?? null,
    }))
    .sort((a, b) => a.server.localeCompare(b.server) || a.id.localeCompare(b.id));
}

export async function removeRunner(
  store: RunnerAdmin,
  id: string,
  now: () => Date = () => new Date(),
): Promise<RunnerRecord> {
  const runner = store.getRunner(id);
  if (!runner) throw new AdminRefusal(`There is no runner ${id}. See the registered ones with --list.`);
  await store.removeRunner(id);
  await store.appendAudit({
    at: now().toISOString(),
    action: 'runner-remove',
    actor: { system: true },
    server: runner.server,
    detail: { runnerId: id },
  });
  return runner;
}

/** rn-<first label of the server, shortened>-<8 hex>: readable in logs, unique, within the id rules. */
export function runnerIdFor(server: string, random: (bytes: number) => Buffer = randomBytes): string {
  const label = (server.split('.')[0] ?? server).slice(0, 40).replace(/-+$/, '');
  const id = `rn-${label}-${random(4).toString('hex')}`;
  if (!RUNNER_ID_PATTERN.test(id)) throw new Error(`runner id ${id} breaks the id rules`);
  return id;
}

/** The one time the secret is shown, with what to do with it. */
export function formatRegistration({ runner, replaced }: Registration, dataDir: string): string {
  const settings = RUNNER_SETTINGS;
  const lines = [
    `Registered runner ${runner.id} for ${runner.server} in the store at ${dataDir}.`,
    ...(replaced.length ? [`Revoked: ${replaced.map((r) => r.id).join(', ')}.`] : []),
    '',
    `  Runner id: ${runner.id}`,
    `  Secret:    ${runner.secret}`,
    '',
    'The secret is shown only this once: the bot keeps it but never displays it again.',
    'The bot accepts the runner at once, also while it runs: no restart is needed.',
    `On ${runner.server}, configure the runner (see runner.env.example):`,
    `  ${settings.botUrl}=<the bot's address, e.g. https://patchbot.contoso.com>`,
    `  ${settings.id}=${runner.id}`,
    `  ${settings.secretFile}=<a file holding only the secret, readable only by the runner's account>`,
    `  ${settings.server}=${runner.server}`,
    `Where a file is not possible, ${settings.secret} may hold the secret itself instead.`,
    'Lost the secret? Register again with --replace.',
  ];
  return `${lines.join('\n')}\n`;
}

export function formatRunnerList(runners: RunnerSummary[]): string {
  if (runners.length === 0) return 'No runners are registered.\n';
  const rows = [
    ['ID', 'SERVER', 'REGISTERED', 'LAST SEEN', 'VERSION'],
    ...runners.map((r) => [r.id, r.server, r.createdAt, r.lastSeenAt ?? 'never', r.version ?? '-']),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

async function auditOrExplain(
  store: RunnerAdmin,
  runner: RunnerRecord,
  event: Parameters<RunnerAdmin['appendAudit']>[0],
) {
  try {
    await store.appendAudit(event);
  } catch (error) {
    throw new AdminRefusal(
      `Runner ${runner.id} was saved, but its audit event could not be written ` +
        `(${error instanceof Error ? error.message : String(error)}). The secret was not shown: ` +
        'fix the problem and register again with --replace.',
    );
  }
}
