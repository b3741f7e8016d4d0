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
 *
 * Starting PowerShell takes seconds, and two of those starts fall inside the downtime window
 * (the installer's shell, the shell reopened after it). So while a step runs, the next process
 * the plan will need is started ahead: a *spare*. It is bare: started with -NoProfile
 * -NonInteractive and sent nothing at all (in the lab: only the lab's own set-up, see
 * ShellSpec.setupCommands), so it has loaded no Lync/Skype for Business assembly and imported no
 * module. Nothing goes to it until the step that needs a new process: that step
 * takes it, sends the session set-up (including the Import-Module of PatchBot.psm1), the replayed
 * Import-Module if any, then its own command, exactly as in a process started at that moment.
 * This keeps the procedure's rule: the shell after the installer must be a process that imports
 * the updated modules after the installer finished; a process that existed during the
 * installer but loaded nothing until then does that (its environment is the runner's either way,
 * and the installer fails on a process holding the management module, which a spare never does).
 * A spare that died meanwhile is replaced by a cold start; runEnded() kills it with the session.
 */
export class Sessions {
  private current: ShellSession | null = null;
  private spare: ShellSession | null = null;
  /** Processes told to exit and not gone yet. */
  private closing: Promise<void> | null = null;
  /** Spares that were sent the lab's set-up (ShellSpec.setupCommands) as they started. */
  private readonly labSetUp = new Map<ShellSession, Promise<Execution | null>>();

  constructor(private readonly options: SessionsOptions) {}

  get pid(): number | undefined {
    return this.current?.pid;
  }

  /**
   * Ends the current process (article step 6) without waiting for it to be gone: the next
   * command waits for that before it is sent (a new process's set-up goes on meanwhile), and so
   * does runEnded(). A spare stays: it holds nothing.
   */
  close(): void {
    const session = this.current;
    this.current = null;
    if (!session) return;
    const ended: Promise<void> = Promise.all([this.closing, session.close()]).then(() => {
      if (this.closing === ended) this.closing = null;
    });
    this.closing = ended;
  }

  /** End of the run (finished, failed, timed out or cancelled): no process is left behind. */
  async runEnded(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    this.labSetUp.clear();
    this.close();
    await Promise.all([this.closing, spare?.kill()]);
  }

  /**
   * Runs one command. `fresh` forces a new process; `replay` are commands (an Import-Module) a
   * newly started session needs before this command because the step that ran them is not part of
   * this run (a retry that starts mid-phase). `prestart`: a later step will need a new process,
   * so a spare is started once this command is on its way (at once when this step's own process
   * has to start cold anyway).
   */
  async execute(
    command: string,
    opts: { fresh: boolean; replay: string[]; timeoutMs: number; prestart: boolean },
  ): Promise<Execution> {
    if (![command, ...opts.replay, ...this.setupCommands()].every(isSendable)) {
      // Cannot happen with validated catalog values; refusing beats sending something mangled.
      const reason = 'Refused to send a command that is not one line of printable ASCII.';
      return { kind: 'session-failed', stdout: '', stderr: '', reason };
    }
    if (opts.fresh) this.close();
    if (this.current?.hasExited) {
      // It died between steps (its last step still reported a result); the next one gets a new shell.
      this.options.logger.warn(
        { pid: this.current.pid },
        'PowerShell session ended between steps; starting a new one',
      );
      this.current = null;
    }
    if (!this.current) {
      const opened = this.takeSpare() ?? this.open();
      if ('failure' in opened) return opened.failure;
      if (opts.prestart && !opened.spare) this.prestart();
      const failure = await this.setUp(opened.session, opts.replay);
      if (failure) return failure;
      this.current = opened.session;
    }
    // The process before it must be gone first (the installer fails while one holds the module).
    if (this.closing) await this.closing;
    const call = this.invoke(this.current, command, opts.timeoutMs);
    if (opts.prestart) this.prestart();
    const execution = await call;
    if (execution.kind === 'timed-out' || execution.kind === 'shell-exited') {
      // The process is gone (killed or died); the next step gets a new one.
      this.current = null;
    }
    return execution;
  }

  /** Starts a bare spare unless a live one is waiting. Failures show when a step takes it. */
  private prestart(): void {
    if (this.spare && !this.spare.hasExited) return;
    const opened = this.open();
    if ('session' in opened) {
      this.spare = opened.session;
      this.options.logger.debug({ pid: opened.session.pid }, 'spare PowerShell process started');
      // Lab only: the simulated server's own layer (Windows itself, on a real server) is loaded at
      // once; the spare still imports no module and runs none of the runner's set-up until taken.
      const lab = this.options.shell.setupCommands ?? [];
      if (lab.length > 0) this.labSetUp.set(opened.session, this.runSetUp(opened.session, lab));
    }
  }

  private takeSpare(): { session: ShellSession; spare: true } | null {
    const spare = this.spare;
    this.spare = null;
    if (!spare) return null;
    if (!spare.hasExited) return { session: spare, spare: true };
    this.labSetUp.delete(spare);
    this.options.logger.warn({ pid: spare.pid }, 'the spare PowerShell process ended; starting a new one');
    return null;
  }

  private open(): { session: ShellSession; spare: false } | { failure: Execution } {
    const { shell, logger } = this.options;
    try {
      const session = ShellSession.open(
        {
          executable: shell.executable,
          executableOptions: { ...SESSION_OPTIONS, ...shell.executableOptions },
        },
        logger,
      );
      return { session, spare: false };
    } catch (error) {
      // spawn() throws synchronously on some bad arguments; most failures arrive as events.
      const reason = `PowerShell could not be started: ${(error as Error).message}.`;
      return { failure: { kind: 'session-failed', stdout: '', stderr: '', reason } };
    }
  }

  /** The session set-up and the replayed commands, in a process that has run nothing yet. */
  private async setUp(session: ShellSession, replay: string[]): Promise<Execution | null> {
    const early = this.labSetUp.get(session);
    this.labSetUp.delete(session);
    const failure = early ? await early : null;
    if (failure) return failure;
    const commands = early ? sessionInitCommands(this.options.modulePath) : this.setupCommands();
    return this.runSetUp(session, [...commands, ...replay]);
  }

  /** Sends set-up commands one by one; the first that fails ends the process. */
  private async runSetUp(session: ShellSession, commands: string[]): Promise<Execution | null> {
    const { startTimeoutMs, logger } = this.options;
    for (const command of commands) {
      const execution = await this.invoke(session, command, startTimeoutMs);
      if (execution.kind === 'answered' && execution.ok && (execution.exit ?? 0) === 0) continue;
      await session.kill();
      const reason = describeStartFailure(execution, command);
      logger.error({ pid: session.pid, command, kind: execution.kind }, 'PowerShell session start failed');
      return { kind: 'session-failed', stdout: execution.stdout, stderr: execution.stderr, reason };
    }
    return null;
  }

  /** What a new process runs before any step: the lab's set-up (if any), then the runner's. */
  private setupCommands(): string[] {
    return [...(this.options.shell.setupCommands ?? []), ...sessionInitCommands(this.options.modulePath)];
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
