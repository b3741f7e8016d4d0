import type { Logger } from '../log.js';
import { acquireLeadership, DatabaseUnreachableError, type Leadership } from './leadership.js';
import { startStandbyServer, type StandbyServer } from './standby-server.js';

/** sysexits.h EX_UNAVAILABLE: the database could not be reached at start; nothing was written. */
export const EXIT_DATABASE_UNREACHABLE = 69;
/** sysexits.h EX_TEMPFAIL: this leader lost its lock connection; the service manager starts it again. */
export const EXIT_LEADERSHIP_LOST = 75;

/** The bot as one instance runs it: started once this instance leads. */
export interface Serving {
  stop(): Promise<void>;
}

export interface ActivePassiveOptions {
  databaseUrl: string;
  host: string;
  port: number;
  /** PATCHBOT_HA_RETRY_MS: how often a standby asks for the lock. */
  retryMs: number;
  logger: Logger;
  /**
   * Starts the bot on `port` (the port the standby held, which matters when 0 was asked for).
   * Called once the lock is held and the standby server has let the port go, never before: the
   * store is opened here, so a new leader loads the state its predecessor left, in-doubt sends included.
   */
  lead(port: number): Promise<Serving>;
  /** SIGTERM/SIGINT: a standby stops waiting; a leader stops serving, then gives the lock up. */
  stopRequested: AbortSignal;
  /** Ends the process at once (process.exit in production). */
  exit(code: number): void;
  /** Where the one-line start-up error goes (stderr in production). */
  printError(line: string): void;
}

/**
 * Active/passive: connects to the database (EXIT_DATABASE_UNREACHABLE when it cannot, having done
 * nothing else); while another instance leads, answers health probes as a standby and asks for the
 * lock every retryMs; once it holds the lock, starts the bot. A leader that loses
 * its lock connection exits at once with EXIT_LEADERSHIP_LOST, without draining anything: by then
 * another instance may lead, and two leaders must never serve together. Resolves with the exit code.
 */
export async function runActivePassive(options: ActivePassiveOptions): Promise<number> {
  const { logger } = options;
  // Started only once another instance is found leading; never when the database is unreachable.
  let standby: StandbyServer | undefined;
  let leadership: Leadership;
  try {
    leadership = await acquireLeadership({
      databaseUrl: options.databaseUrl,
      retryMs: options.retryMs,
      logger,
      signal: options.stopRequested,
      onStandby: async () => {
        standby = await startStandbyServer({ host: options.host, port: options.port });
        logger.info({ port: standby.port }, 'standby: answering /readyz 503 until this instance leads');
      },
      onLost: (reason) => {
        logger.fatal({ reason }, 'leadership lost: stopping at once (another instance may lead already)');
        options.exit(EXIT_LEADERSHIP_LOST);
      },
    });
  } catch (error) {
    await standby?.close();
    if (error instanceof DatabaseUnreachableError) {
      options.printError(error.message);
      return EXIT_DATABASE_UNREACHABLE;
    }
    if (options.stopRequested.aborted) return 0;
    throw error;
  }
  await standby?.close();
  // The port the standby held: the one asked for, or the one the system gave it for port 0.
  const port = standby?.port ?? options.port;
  let serving: Serving;
  try {
    serving = await options.lead(port);
  } catch (error) {
    await leadership.release();
    throw error;
  }
  logger.info('leader: serving');
  if (!options.stopRequested.aborted)
    await new Promise((resolve) => options.stopRequested.addEventListener('abort', resolve, { once: true }));
  await serving.stop();
  await leadership.release();
  return 0;
}
