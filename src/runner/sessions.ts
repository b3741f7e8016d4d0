import type { Logger } from '../log.js';
import {
  isSendable,
  newNonce,
  sessionInitCommands,
  takeMarker,
  wrapCommand,
  type Marker,
} from './envelope.js';
import { normalizeOutput } from './output.js';
import { SESSION_OPTIONS } from './shell-config.js';
import { ShellSession, type ShellExit, type ShellSpec } from './shell.js';

/** What became of one enveloped command. Output is complete (uncapped), marker line removed. */
export type Execution =
  | ({ kind: 'answered'; stdout: string; stderr: string } & Marker)
  /** The call finished but the marker is missing or malformed: never read as success. */
  | { kind: 'no-marker'; stdout: string; stderr: string }
  | { kind: 'timed-out'; stdout: string; stderr: string; pid: number | undefined; timeoutMs: number }
  | { kind: 'shell-exited'; stdout: string; stderr: string; exit: ShellExit }
  /** A new session could not be started or initialised; the step's own command never ran. */
  | { kind: 'session-failed'; stdout: string; stderr: string; reason: string };

export interface SessionsOptions {
  shell: ShellSpec;
  /** Path of PatchBot.psm1 as the shell sees it. */
  modulePath: string;
  startTimeoutMs: number;
  logger: Logger;
}

/**
 * Owns the PowerShell process of the current phase. The plan decides when a phase ends
 * (close-session) and when a brand-new process must start (new-session: after the update replaced
 * assemblies in the GAC, an old process would keep using the old ones).
 */
export class Sessions {
  private current: ShellSession | null = null;

  constructor(private readonly options: SessionsOptions) {}

  get pid(): number | undefined {
    return this.current?.pid;
  }

  async close(): Promise<ShellExit | null> {
    const session = this.current;
    this.current = null;
    return session ? session.close() : null;
  }

  /**
   * Runs one command. `fresh` forces a new process; `replay` are commands (an Import-Module) a
   * newly started session needs before this command because the step that ran them is not part of
   * this run (a retry that starts mid-phase).
   */
  async execute(
    command: string,
    opts: { fresh: boolean; replay: string[]; timeoutMs: number },
  ): Promise<Execution> {
    if (![command, ...opts.replay, ...sessionInitCommands(this.options.modulePath)].every(isSendable)) {
      // Cannot happen with validated catalog values; refusing beats sending something mangled.
      const reason = 'Refused to send a command that is not one line of printable ASCII.';
      return { kind: 'session-failed', stdout: '', stderr: '', reason };
    }
    if (opts.fresh) await this.close();
    if (this.current?.hasExited) {
      // It died between steps (its last step still reported a result); the next one gets a new shell.
      this.options.logger.warn(
        { pid: this.current.pid },
        'PowerShell session ended between steps; starting a new one',
      );
      this.current = null;
    }
    if (!this.current) {
      const started = await this.start(opts.replay);
      if ('failure' in started) return started.failure;
      this.current = started.session;
    }
    const execution = await this.invoke(this.current, command, opts.timeoutMs);
    if (execution.kind === 'timed-out' || execution.kind === 'shell-exited') {
      // The process is gone (killed or died); the next step gets a new one.
      this.current = null;
    }
    return execution;
  }

  private async start(replay: string[]): Promise<{ session: ShellSession } | { failure: Execution }> {
    const { shell, modulePath, startTimeoutMs, logger } = this.options;
    let session: ShellSession;
    try {
      session = ShellSession.open(
        {
          executable: shell.executable,
          executableOptions: { ...SESSION_OPTIONS, ...shell.executableOptions },
        },
        logger,
      );
    } catch (error) {
      // spawn() throws synchronously on some bad arguments; most failures arrive as events.
      const reason = `PowerShell could not be started: ${(error as Error).message}.`;
      return { failure: { kind: 'session-failed', stdout: '', stderr: '', reason } };
    }
    for (const command of [...sessionInitCommands(modulePath), ...replay]) {
      const execution = await this.invoke(session, command, startTimeoutMs);
      if (execution.kind === 'answered' && execution.ok && (execution.exit ?? 0) === 0) continue;
      await session.kill();
      const reason = describeStartFailure(execution, command);
      logger.error({ pid: session.pid, command, kind: execution.kind }, 'PowerShell session start failed');
      return {
        failure: { kind: 'session-failed', stdout: execution.stdout, stderr: execution.stderr, reason },
      };
    }
    return { session };
  }

  private async invoke(session: ShellSession, command: string, timeoutMs: number): Promise<Execution> {
    const nonce = newNonce();
    const outcome = await session.invoke(wrapCommand(command, nonce), timeoutMs);
    const stderr = normalizeOutput(outcome.stderr);
    if (outcome.kind === 'timed-out') {
      return {
        kind: 'timed-out',
        stdout: normalizeOutput(outcome.stdout),
        stderr,
        pid: session.pid,
        timeoutMs,
      };
    }
    if (outcome.kind === 'exited') {
      return { kind: 'shell-exited', stdout: normalizeOutput(outcome.stdout), stderr, exit: outcome.exit };
    }
    const { marker, output } = takeMarker(outcome.stdout, nonce);
    const stdout = normalizeOutput(output);
    return marker ? { kind: 'answered', stdout, stderr, ...marker } : { kind: 'no-marker', stdout, stderr };
  }
}

function describeStartFailure(execution: Execution, command: string): string {
  switch (execution.kind) {
    case 'answered':
      return `PowerShell session set-up failed at "${command}".`;
    case 'no-marker':
      return `PowerShell gave no result marker for the session set-up command "${command}".`;
    case 'timed-out':
      return `PowerShell did not finish starting within ${Math.round(execution.timeoutMs / 1000)} s.`;
    case 'shell-exited':
      return execution.exit.spawnError
        ? `PowerShell could not be started: ${execution.exit.spawnError}.`
        : `PowerShell exited while starting (${describeExit(execution.exit)}).`;
    case 'session-failed':
      return execution.reason;
  }
}

export function describeExit(exit: ShellExit): string {
  if (exit.spawnError) return `could not start: ${exit.spawnError}`;
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}
