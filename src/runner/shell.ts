import { spawn, type ChildProcess } from 'node:child_process';
import { PowerShell } from 'node-powershell';
import type { Logger } from '../log.js';

/** How to start PowerShell: `powershell` on a Windows server, the lab host in lab mode. */
export interface ShellSpec {
  executable: string;
  /** Extra command-line options, e.g. { '-NonInteractive': true }; node-powershell adds -NoExit -Command -. */
  executableOptions: Record<string, string | boolean>;
  /**
   * Lab only (checkShellEnvironment refuses it elsewhere): commands every session runs first,
   * enveloped, before the runner's own set-up and the import of PatchBot.psm1. The lab's real-pwsh
   * engine loads its fake Windows/Lync layer this way.
   */
  setupCommands?: string[];
}

export interface ShellExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the executable could not be started at all. */
  spawnError?: string;
}

export type InvokeOutcome =
  /** node-powershell saw both framing delimiters: the text between them. */
  | { kind: 'completed'; stdout: string; stderr: string }
  /** No answer in time; the process was killed. Output is what arrived before that. */
  | { kind: 'timed-out'; stdout: string; stderr: string }
  /** The process ended during the call. Output is what arrived before that. */
  | { kind: 'exited'; stdout: string; stderr: string; exit: ShellExit };

/**
 * node-powershell frames each call with `[Console]::Out.WriteLine("<id>")`. Real powershell.exe
 * ends that line with CRLF, and child-shell's end-of-output check misses `<id>\r\n` when both
 * delimiters arrive in one chunk, so the call never finishes. Writing the delimiter with a bare LF
 * avoids it. The executable is always the one we pass: NODE_POWERSHELL must not silently swap it.
 */
class PatchBotPowerShell extends PowerShell {
  protected override writeToOutput(input: string): string {
    return `[Console]::Out.Write("${input}\`n")`;
  }

  protected override writeToError(input: string): string {
    return `[Console]::Error.Write("${input}\`n")`;
  }

  protected override setExecutable({ executable }: { executable?: string }): string {
    if (!executable) throw new Error('no PowerShell executable configured');
    return executable;
  }
}

/** child-shell keeps these private; the runner needs them to survive early exits (see below). */
interface ShellInternals {
  process: ChildProcess;
  exitPromise: Promise<void>;
}

const KILL_WAIT_MS = 5000;
const PARTIAL_CAP_CHARS = 1_000_000;

/** One PowerShell process. Never throws: failures come back as InvokeOutcome values. */
export class ShellSession {
  private readonly ps: PatchBotPowerShell;
  private readonly child: ChildProcess;
  private readonly exited: Promise<ShellExit>;
  private readonly closed: Promise<void>;
  private exitInfo: ShellExit | null = null;
  private partialOut = '';
  private partialErr = '';

  private constructor(
    spec: ShellSpec,
    private readonly logger: Logger,
  ) {
    this.ps = new PatchBotPowerShell({
      executable: spec.executable,
      executableOptions: spec.executableOptions,
      outputEncoding: 'utf-8',
      throwOnInvocationError: false,
      spawnOptions: { env: shellEnvironment(process.env) },
    });
    const internals = this.ps as unknown as ShellInternals;
    this.child = internals.process;
    // If the shell dies before (or between) invocations, child-shell's exit promise rejects with
    // nobody listening, and the unhandled rejection would take the whole runner down.
    internals.exitPromise.catch(() => undefined);
    // Writing to a dead shell's stdin raises EPIPE; child-shell listens only once.
    this.ps.streams.stdin.on('error', () => undefined);
    let settle: (exit: ShellExit) => void = () => undefined;
    this.exited = new Promise((resolve) => {
      settle = (exit) => {
        if (this.exitInfo) return;
        this.exitInfo = exit;
        resolve(exit);
      };
    });
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.once('exit', (code, signal) => settle({ code, signal }));
    this.child.on('error', (error) => {
      // A spawn failure (missing executable) never produces an 'exit' event.
      if (this.child.pid === undefined) settle({ code: null, signal: null, spawnError: error.message });
    });
    // A second reader of the streams: node-powershell drops everything when a call times out or
    // the shell dies, and that partial output is what an admin needs to see.
    this.ps.streams.stdout.on('data', (chunk: string) => {
      this.partialOut = appendCapped(this.partialOut, chunk);
    });
    this.ps.streams.stderr.on('data', (chunk: string) => {
      this.partialErr = appendCapped(this.partialErr, chunk);
    });
  }

  static open(spec: ShellSpec, logger: Logger): ShellSession {
    const session = new ShellSession(spec, logger);
    logger.debug({ pid: session.pid, executable: spec.executable }, 'PowerShell session started');
    return session;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== null;
  }

  async invoke(line: string, timeoutMs: number): Promise<InvokeOutcome> {
    if (this.exitInfo) return { kind: 'exited', stdout: '', stderr: '', exit: this.exitInfo };
    this.partialOut = '';
    this.partialErr = '';
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const call = this.ps.invoke(line).then(
      (record) => ({ record }),
      (error: unknown) => ({ error }),
    );
    const first = await Promise.race([call, timedOut, this.exited.then(() => 'exit' as const)]);
    clearTimeout(timer);
    // node-powershell keeps every call's output forever.
    this.ps.history.length = 0;
    if (first === 'timeout') {
      const partial = this.partial();
      await this.kill();
      return { kind: 'timed-out', ...partial };
    }
    if (first === 'exit' || 'error' in first || this.exitInfo) {
      const exit = await this.exited;
      // Let the last buffered output drain (the streams close after the process exits).
      await Promise.race([this.closed, delay(500)]);
      return { kind: 'exited', ...this.partial(), exit };
    }
    return {
      kind: 'completed',
      stdout: first.record.stdout?.toString('utf-8') ?? '',
      stderr: first.record.stderr?.toString('utf-8') ?? '',
    };
  }

  /** Ends the process now. node-powershell's own timeout only stops waiting for it. */
  async kill(): Promise<ShellExit> {
    if (this.exitInfo) return this.exitInfo;
    const pid = this.child.pid;
    if (process.platform === 'win32' && pid !== undefined) {
      // Also ends what the shell started (an installer), which a plain kill would orphan.
      spawn('taskkill', ['/PID', String(pid), '/T', '/F'], { stdio: 'ignore' }).on('error', () => undefined);
    }
    this.child.kill('SIGKILL');
    return this.waitForExit();
  }

  /** Ends the session the polite way (article step 6: close the management shell). */
  async close(): Promise<ShellExit> {
    if (this.exitInfo) return this.exitInfo;
    this.ps.dispose('SIGTERM').catch(() => undefined);
    const exit = await Promise.race([this.exited, delay(KILL_WAIT_MS).then(() => null)]);
    return exit ?? this.kill();
  }

  private async waitForExit(): Promise<ShellExit> {
    const exit = await Promise.race([this.exited, delay(KILL_WAIT_MS).then(() => null)]);
    if (!exit) this.logger.error({ pid: this.child.pid }, 'PowerShell process did not exit after kill');
    return exit ?? { code: null, signal: 'SIGKILL' };
  }

  /** What the streams carried during the current call, minus node-powershell's delimiter lines. */
  private partial(): { stdout: string; stderr: string } {
    return { stdout: stripDelimiters(this.partialOut), stderr: stripDelimiters(this.partialErr) };
  }
}

/**
 * pwsh 7 outside Windows writes terminal control sequences to redirected stdout unless TERM is
 * `dumb` or NO_COLOR is set (even with no TERM at all): `ESC[?1h ESC[?1l` around every line it
 * reads, and colours in error messages. They end up on the marker's line, and one trailing a
 * delimiter in the same chunk hides it from child-shell's end-of-output check (the call hangs).
 * Windows PowerShell ignores both variables; the programs a step starts only lose colours.
 */
function shellEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, TERM: 'dumb', NO_COLOR: '1' };
}

function stripDelimiters(text: string): string {
  return text.replace(/^[0-9A-Za-z]{16}\r?\n/, '').replace(/\n[0-9A-Za-z]{16}\r?\n?$/, '\n');
}

function appendCapped(text: string, chunk: string): string {
  const next = text + chunk;
  return next.length > PARTIAL_CAP_CHARS ? next.slice(next.length - PARTIAL_CAP_CHARS) : next;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
