import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../../../src/log.js';
import { newNonce, takeMarker, wrapCommand, type Marker } from '../../../src/runner/envelope.js';
import { type Execution, Sessions } from '../../../src/runner/sessions.js';
import { PATCHBOT_MODULE_PATH, SESSION_OPTIONS } from '../../../src/runner/shell-config.js';
import { ShellSession } from '../../../src/runner/shell.js';
import { tempDir, waitFor } from '../support.js';

/**
 * Helpers for the runner tests that drive real pwsh (test/support/real-pwsh.ts finds it) through
 * real node-powershell, with the real PatchBot.psm1 imported by the session set-up. Starting pwsh
 * and importing the module costs about a second of CPU, so tests share sessions where they can.
 */

/** Generous: only for waiting (two shared cores, several pwsh starting at once). */
export const WAIT_MS = 60_000;

/** The runner's Sessions on real pwsh, exactly as the executor builds it (SESSION_OPTIONS added there). */
export function realSessions(
  pwsh: string,
  opts: { logger?: Logger; executableOptions?: Record<string, string | boolean> } = {},
): Sessions {
  return new Sessions({
    shell: { executable: pwsh, executableOptions: opts.executableOptions ?? {} },
    modulePath: PATCHBOT_MODULE_PATH,
    startTimeoutMs: WAIT_MS,
    logger: opts.logger ?? silentLogger(),
  });
}

export type StepOptions = Partial<{ fresh: boolean; replay: string[]; timeoutMs: number; prestart: boolean }>;

/** One step in the current process (a new one if there is none), as the step loop sends it. */
export function runStep(sessions: Sessions, command: string, opts: StepOptions = {}): Promise<Execution> {
  return sessions.execute(command, {
    fresh: false,
    replay: [],
    timeoutMs: WAIT_MS,
    prestart: false,
    ...opts,
  });
}

/** A bare pwsh started with the runner's options, one level below Sessions. */
export function openRealShell(pwsh: string): ShellSession {
  return ShellSession.open({ executable: pwsh, executableOptions: { ...SESSION_OPTIONS } }, silentLogger());
}

/** Sends one enveloped command on a bare session and reads its marker as Sessions does. */
export async function enveloped(
  shell: ShellSession,
  command: string,
): Promise<{
  kind: string;
  nonce: string;
  rawStdout: string;
  stderr: string;
  marker: Marker | null;
  output: string;
}> {
  const nonce = newNonce();
  const outcome = await shell.invoke(wrapCommand(command, nonce), WAIT_MS);
  const { marker, output } = takeMarker(outcome.stdout, nonce);
  return { kind: outcome.kind, nonce, rawStdout: outcome.stdout, stderr: outcome.stderr, marker, output };
}

/**
 * A PowerShell expression for a non-ASCII text. Commands must be printable ASCII (Windows
 * PowerShell reads stdin in the OEM code page), so the text travels as UTF-8 in base64, the way
 * a cmdlet's localized message is produced inside PowerShell, not typed on its command line.
 */
export function psText(text: string): string {
  const b64 = Buffer.from(text, 'utf-8').toString('base64');
  return `[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64}'))`;
}

/** A debug logger whose lines the test reads (Sessions logs each spare process it starts). */
export function capturingLogger(): { logger: Logger; sparePids: () => number[] } {
  const lines: Array<{ msg?: string; pid?: number }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf-8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const sparePids = () =>
    lines.filter((l) => l.msg === 'spare PowerShell process started').map((l) => l.pid ?? -1);
  return { logger: createLogger({ level: 'debug', destination }), sparePids };
}

export function answered(execution: Execution): Extract<Execution, { kind: 'answered' }> {
  if (execution.kind !== 'answered') {
    throw new Error(`expected an answered step, got ${JSON.stringify(execution).slice(0, 600)}`);
  }
  return execution;
}

/** Runs a step that writes its pid to a file first, and returns that pid once it is running. */
export async function startLongStep(
  sessions: Sessions,
  before: string,
  opts: StepOptions = {},
): Promise<{ pid: number; running: ReturnType<typeof runStep> }> {
  const flag = join(await tempDir(), 'running');
  const running = runStep(
    sessions,
    `${before}; Set-Content -LiteralPath '${flag}' -Value $PID; Start-Sleep -Seconds 600; 'never'`,
    opts,
  );
  const text = await waitFor(() => existsSync(flag) && readFileSync(flag, 'utf-8').trim(), WAIT_MS);
  return { pid: Number(text), running };
}

/** $PID, the PatchBot module's path and a global variable, as seen by the current process. */
export const PROBE = '$PID; (Get-Module PatchBot).Path; "[$global:PatchBotCarried]"; $ErrorActionPreference';

export function probe(stdout: string): { pid: number; module: string; carried: string; preference: string } {
  const [pid, module, carried, preference] = stdout.split('\n');
  return { pid: Number(pid), module: module ?? '', carried: carried ?? '', preference: preference ?? '' };
}
