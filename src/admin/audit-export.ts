import { parseArgs } from 'node:util';
import { validateHostName } from '../procedure/index.js';
import type { AuditEvent, Store } from '../store/store.js';
import { openStoreToRead, runCommand, UsageError, type CommandContext } from './cli-support.js';

export const AUDIT_USAGE = `Usage:
  npm run audit -- --since <when> [--until <when>] [--server <name>] [--run <id>] [--jsonl]

Prints the bot's audit events as a JSON array (JSON Lines with --jsonl), oldest first.
<when> is a UTC day (2026-11-01) or a time with its zone (2026-11-01T08:00:00Z, 2026-11-01T09:00+01:00).
--since includes events from that moment on; --until includes events up to that moment, or up to
the end of that day when it is a day. Reads the store in PATCHBOT_DATABASE_URL when it is set, else
the one in PATCHBOT_DATA_DIR; works while the bot runs.`;

export interface AuditQuery {
  since: Date;
  /** Exclusive end. */
  before?: Date | undefined;
  server?: string | undefined;
  runId?: number | undefined;
}

export interface AuditCommand {
  kind: 'export' | 'help';
  query: AuditQuery;
  format: 'json' | 'jsonl';
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export function parseAuditArgs(argv: string[]): AuditCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        server: { type: 'string' },
        run: { type: 'string' },
        jsonl: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const format = values.jsonl ? 'jsonl' : 'json';
  if (values.help) return { kind: 'help', query: { since: new Date(0) }, format };
  if (values.since === undefined)
    throw new UsageError('--since is required (for example --since 2026-11-01).');
  const since = parseMoment('--since', values.since, 'start');
  const before = values.until === undefined ? undefined : parseMoment('--until', values.until, 'end');
  if (before && before <= since) throw new UsageError('--until must be later than --since.');
  return {
    kind: 'export',
    query: { since, before, server: parseServer(values.server), runId: parseRunId(values.run) },
    format,
  };
}

/** The events matching the query, oldest first. */
export async function exportAudit(
  source: Pick<Store, 'readAudit'>,
  query: AuditQuery,
): Promise<AuditEvent[]> {
  const events = await source.readAudit(query.since);
  return events
    .filter((event) => {
      const at = Date.parse(event.at);
      return (
        (query.before === undefined || at < query.before.getTime()) &&
        (query.server === undefined || event.server?.toLowerCase() === query.server) &&
        (query.runId === undefined || event.runId === query.runId)
      );
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function formatAudit(events: AuditEvent[], format: 'json' | 'jsonl'): string {
  if (format === 'jsonl') return events.map((event) => `${JSON.stringify(event)}\n`).join('');
  return `${JSON.stringify(events, null, 2)}\n`;
}

/** `npm run audit`: returns the process exit code. */
export function runAuditExport(argv: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  return runCommand(io, AUDIT_USAGE, async () => {
    const command = parseAuditArgs(argv);
    if (command.kind === 'help') {
      io.out(`${AUDIT_USAGE}\n`);
      return;
    }
    const store = await openStoreToRead(context);
    try {
      io.out(formatAudit(await exportAudit(store, command.query), command.format));
    } finally {
      await store.close();
    }
  });
}

/** A UTC day (its start, or with `end` the start of the next day) or a time with an explicit zone. */
function parseMoment(option: string, raw: string, side: 'start' | 'end'): Date {
  const day = DAY.exec(raw);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const start = new Date(Date.UTC(year, month - 1, date));
    // Date.UTC rolls 2026-02-30 over into March; a real day survives the round trip.
    if (start.toISOString().slice(0, 10) === raw) {
      return side === 'start' ? start : new Date(start.getTime() + 24 * 3600_000);
    }
  } else if (TIME.test(raw) && !Number.isNaN(Date.parse(raw))) {
    const at = new Date(raw);
    return side === 'start' ? at : new Date(at.getTime() + 1);
  }
  throw new UsageError(
    `${option} "${raw}" is not a date. Use a day such as 2026-11-01 or a time with its zone such as 2026-11-01T08:00:00Z.`,
  );
}

function parseServer(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const server = validateHostName(raw);
  if (!server.ok) throw new UsageError(`--server: ${server.error.message}`);
  return server.value;
}

function parseRunId(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw new UsageError(`--run "${raw}" is not a run number.`);
  return Number(raw);
}
