import { parseArgs } from 'node:util';
import {
  openRunnerAdmin,
  runCommand,
  storeLocation,
  UsageError,
  type CommandContext,
} from './cli-support.js';
import {
  formatRegistration,
  formatRunnerList,
  listRunners,
  registerRunner,
  removeRunner,
} from './register-runner.js';

export const REGISTER_RUNNER_USAGE = `Usage:
  npm run register-runner -- <server> [--replace]   register a runner; prints its id and secret once
  npm run register-runner -- --list                 registered runners (ids, servers, last seen)
  npm run register-runner -- --remove <runner-id>   revoke a runner

All three work while the bot runs, as the bot's user: each runner is a file in the runner registry
(runners/ in the store), or a row of the runners table with PostgreSQL. The bot accepts a new runner
on its first request and refuses a removed one within 2 seconds. The store is the PostgreSQL database
in PATCHBOT_DATABASE_URL when it is set, else the folder in PATCHBOT_DATA_DIR (see .env.example).`;

export type RegisterRunnerCommand =
  | { kind: 'register'; server: string; replace: boolean }
  | { kind: 'list' }
  | { kind: 'remove'; runnerId: string }
  | { kind: 'help' };

export function parseRegisterRunnerArgs(argv: string[]): RegisterRunnerCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        replace: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        remove: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const chosen = [positionals.length > 0, values.list, values.remove !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('Give a server to register, or --list, or --remove <runner-id>.');
  if (positionals.length > 1) throw new UsageError(`One server at a time (got ${positionals.join(' ')}).`);
  if (values.replace && positionals.length === 0)
    throw new UsageError('--replace goes with a server to register.');
  if (values.list) return { kind: 'list' };
  if (values.remove !== undefined) return { kind: 'remove', runnerId: values.remove };
  return { kind: 'register', server: positionals[0]!, replace: values.replace };
}

/** `npm run register-runner`: returns the process exit code. */
export function runRegisterRunner(argv: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  return runCommand(io, REGISTER_RUNNER_USAGE, async () => {
    const command = parseRegisterRunnerArgs(argv);
    if (command.kind === 'help') {
      io.out(`${REGISTER_RUNNER_USAGE}\n`);
      return;
    }
    // No lock: the registry and the audit log may be written while the bot runs; --list only reads.
    const store = await openRunnerAdmin(context, command.kind === 'list' ? 'read' : 'change');
    try {
      await carryOut(command, store, context);
    } finally {
      await store.close?.();
    }
  });
}

async function carryOut(
  command: Exclude<RegisterRunnerCommand, { kind: 'help' }>,
  store: Awaited<ReturnType<typeof openRunnerAdmin>>,
  context: CommandContext,
): Promise<void> {
  const { io } = context;
  if (command.kind === 'list') {
    io.out(formatRunnerList(listRunners(store)));
  } else if (command.kind === 'remove') {
    const removed = await removeRunner(store, command.runnerId, context.now);
    io.out(
      `Removed runner ${removed.id} (${removed.server}); the bot refuses its secret within 2 seconds.\n`,
    );
  } else {
    const registration = await registerRunner(store, command.server, {
      replace: command.replace,
      ...(context.now ? { now: context.now } : {}),
    });
    io.out(formatRegistration(registration, storeLocation(context)));
  }
}
