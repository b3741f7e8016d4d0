import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  readLabState,
  writeLabState,
  type LabCommandRecord,
  type LabFault,
  type LabState,
} from '../state.js';
import {
  LabCommandError,
  notRecognized,
  type CommandContext,
  type CommandHandler,
  type SessionMemory,
} from './context.js';
import { CS_COMMANDS } from './cs-commands.js';
import { allRunning, trackDowntime } from './downtime.js';
import { classifyLine, markerLine } from './framing.js';
import { PATCHBOT_COMMANDS } from './patchbot-commands.js';
import { DOWNTIME_COMMANDS } from './patchbot-downtime.js';
import { VERSION_COMMANDS } from './patchbot-versions.js';
import { parseCommand, tokenize, type ParsedCommand } from './tokenize.js';

/**
 * SIMULATOR: one lab host process = one simulated PowerShell session on a lab server. It reads
 * node-powershell's lines from stdin one at a time (like `-Command -`), answers the delimiter
 * lines, runs enveloped commands against the state file, and refuses everything else loudly.
 */

const INIT_ENCODING = '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding -ArgumentList $false';
const INIT_PREFERENCES = "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'";

const HANDLERS = new Map<string, { name: string; handler: CommandHandler; patchBot: boolean }>([
  ...Object.entries(CS_COMMANDS).map(
    ([name, handler]) => [name.toLowerCase(), { name, handler, patchBot: false }] as const,
  ),
  ...Object.entries({ ...PATCHBOT_COMMANDS, ...VERSION_COMMANDS, ...DOWNTIME_COMMANDS }).map(
    ([name, handler]) => [name.toLowerCase(), { name, handler, patchBot: true }] as const,
  ),
]);

type Step =
  | { kind: 'init'; key: string; apply: (session: SessionMemory) => void }
  | { kind: 'step'; key: string; command: ParsedCommand; handler: CommandHandler; patchBot: boolean }
  | { kind: 'unknown'; key: string };

export class LabHost {
  readonly session: SessionMemory;
  private unrecordedStart: LabState['sessions'][number] | null = null;
  /** Simulated time at which this process had finished starting. */
  private readyAtSimMs = 0;

  constructor(
    private readonly stateFile: string,
    private readonly newline: string,
    private readonly write: { out(text: string): void; err(text: string): void; exit(code: number): never },
  ) {
    this.session = {
      pid: process.pid,
      utf8Output: false,
      errorActionStop: false,
      patchBotFunctions: null,
      csModule: null,
    };
  }

  /**
   * Simulated process start-up. Only reads the state: another process may be running a command,
   * and it writes back what it read when it began. The start is recorded with the first command.
   */
  async start(args: string[]): Promise<void> {
    const state = readLabState(this.stateFile);
    const duration = state.durationsMs['session.start'] ?? 0;
    this.unrecordedStart = { pid: process.pid, startedAtWall: new Date().toISOString(), args };
    this.readyAtSimMs = state.clockSimMs + duration;
    await sleep(duration * state.timeScale);
  }

  /**
   * Records the start (first command) and returns when this command starts on the simulated
   * clock: not before its process had started, so only the start-up time left counts.
   */
  private beginCommand(state: LabState): number {
    if (this.unrecordedStart) state.sessions.push(this.unrecordedStart);
    this.unrecordedStart = null;
    state.clockSimMs = Math.max(state.clockSimMs, this.readyAtSimMs);
    return state.clockSimMs;
  }

  async handleLine(raw: string): Promise<void> {
    const line = classifyLine(raw);
    switch (line.kind) {
      case 'blank':
        return;
      case 'delimiter': {
        const text = line.id + (line.ending === 'bare-lf' ? '\n' : this.newline);
        if (line.stream === 'out') this.write.out(text);
        else this.write.err(text);
        return;
      }
      case 'other':
        this.recordUnenveloped(line.text);
        this.write.err(`simulator: unknown command: ${line.text.slice(0, 200)}${this.newline}`);
        return;
      case 'envelope':
        return this.runEnveloped(line.command, line.nonce);
    }
  }

  private async runEnveloped(command: string, nonce: string): Promise<void> {
    const step = this.resolve(command);
    const state = readLabState(this.stateFile);
    const simStartMs = this.beginCommand(state);
    const count = (state.callCounts[step.key] ?? 0) + 1;
    state.callCounts[step.key] = count;
    const fault = state.faults.find(
      (f) => f.command === step.key && (f.occurrence ?? count) === count,
    )?.fault;
    const record: LabCommandRecord = {
      seq: state.log.length + 1,
      pid: process.pid,
      kind: step.kind,
      command,
      key: step.key,
      simStartMs,
      simEndMs: null,
      wallStart: new Date().toISOString(),
      wallEnd: null,
      result: 'running',
      exitCode: null,
    };
    state.log.push(record);
    writeLabState(this.stateFile, state);

    if (step.kind === 'unknown') {
      record.result = 'unknown';
      writeLabState(this.stateFile, state);
      this.emit([], [`simulator: unknown command: ${command.slice(0, 200)}`], nonce, false, null);
      return;
    }
    if (fault?.kind === 'hang') return this.hang(state, record);
    if (fault?.kind === 'crash') return this.crash(state, record, fault);

    const out: string[] = [];
    const err: string[] = [];
    let exit: number | null = null;
    let ok = true;
    const servicesWereRunning = allRunning(state);
    if (fault?.kind === 'output') {
      for (let i = 0; i < (fault.repeat ?? 1); i++) {
        if (fault.stdout !== undefined) out.push(fault.stdout);
        if (fault.stderr !== undefined) err.push(fault.stderr);
      }
    }
    const ctx: CommandContext = {
      state,
      session: this.session,
      command: step.kind === 'step' ? step.command : { name: step.key, params: new Map(), positional: [] },
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
      setExitCode: (code) => {
        exit = code;
      },
      otherModuleHolders: () => this.otherModuleHolders(state),
    };
    try {
      if (fault?.kind === 'error') throw new LabCommandError(fault.message, false);
      if (step.kind === 'init') step.apply(this.session);
      else {
        if (step.patchBot && !this.session.patchBotFunctions?.has(step.command.name))
          throw notRecognized(step.command.name);
        step.handler(ctx);
      }
    } catch (error) {
      if (!(error instanceof LabCommandError)) throw error;
      // Like PowerShell: a non-terminating error is printed but only fails the try block when
      // the session asked for $ErrorActionPreference = 'Stop'.
      if (error.terminating || this.session.errorActionStop) ok = false;
      err.push(error.message);
    }
    if (fault?.kind === 'stderr') err.push(fault.text);
    if (fault?.kind === 'exit') {
      exit = fault.code;
      if (fault.stderr) err.push(fault.stderr);
    }

    const duration = state.durationsMs[step.key] ?? 1000;
    if (await this.sleepUnlessInterrupted(duration * state.timeScale)) return this.interrupted(record);
    state.clockSimMs = record.simStartMs + duration;
    record.simEndMs = state.clockSimMs;
    record.wallEnd = new Date().toISOString();
    record.result = ok ? 'ok' : 'error';
    record.exitCode = exit;
    trackDowntime(state, servicesWereRunning, record);
    this.keepOthersRecords(state);
    writeLabState(this.stateFile, state);
    this.emit(out, err, nonce, ok, exit);
  }

  /**
   * This process wrote back the state it read when its command began. Meanwhile another lab
   * process (a spare session starting up) may have logged commands of its own: keep their newest
   * records and sessions instead of overwriting them, in wall-clock order.
   */
  private keepOthersRecords(state: LabState): void {
    const fresh = readLabState(this.stateFile);
    const identity = (r: LabCommandRecord) => `${r.pid} ${r.wallStart} ${r.key}`;
    const theirs = new Map(fresh.log.filter((r) => r.pid !== process.pid).map((r) => [identity(r), r]));
    if (theirs.size === 0) return;
    const merged = state.log.filter((r) => r.pid === process.pid || !theirs.has(identity(r)));
    merged.push(...theirs.values());
    merged.sort((a, b) => (a.wallStart < b.wallStart ? -1 : a.wallStart > b.wallStart ? 1 : 0));
    merged.forEach((r, i) => (r.seq = i + 1));
    state.log = merged;
    for (const session of fresh.sessions)
      if (!state.sessions.some((s) => s.pid === session.pid)) state.sessions.push(session);
  }

  /**
   * Ctrl-C (SIGINT) while a command runs: PowerShell stops the pipeline, so the rest of the line
   * (the envelope's marker included) never runs, and the session reads the next line. While no
   * command runs, and during a hang (a stuck native program), it changes nothing.
   */
  interrupt(): void {
    this.stopRunning?.();
  }

  private stopRunning: (() => void) | null = null;

  private async sleepUnlessInterrupted(ms: number): Promise<boolean> {
    if (ms <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await new Promise<boolean>((resolve) => {
      this.stopRunning = () => resolve(true);
      timer = setTimeout(() => resolve(false), ms);
    });
    clearTimeout(timer);
    this.stopRunning = null;
    return stopped;
  }

  /** The command was stopped part-way: what it changed is dropped; no output, no marker. */
  private interrupted(record: LabCommandRecord): void {
    const state = readLabState(this.stateFile);
    const entry = state.log.find((r) => r.seq === record.seq && r.pid === record.pid);
    if (entry) {
      entry.result = 'interrupted';
      entry.wallEnd = new Date().toISOString();
    }
    writeLabState(this.stateFile, state);
  }

  /** Text outside the envelope is never run, but it is logged: tests look for it there. */
  private recordUnenveloped(text: string): void {
    const state = readLabState(this.stateFile);
    const simMs = this.beginCommand(state);
    const now = new Date().toISOString();
    state.log.push({
      seq: state.log.length + 1,
      pid: process.pid,
      kind: 'unknown',
      command: text,
      key: '(not enveloped)',
      simStartMs: simMs,
      simEndMs: simMs,
      wallStart: now,
      wallEnd: now,
      result: 'unknown',
      exitCode: null,
    });
    writeLabState(this.stateFile, state);
  }

  private resolve(command: string): Step {
    if (command === INIT_ENCODING) {
      return { kind: 'init', key: 'init.encoding', apply: (s) => void (s.utf8Output = true) };
    }
    if (command === INIT_PREFERENCES) {
      return { kind: 'init', key: 'init.preferences', apply: (s) => void (s.errorActionStop = true) };
    }
    const tokens = tokenize(command);
    if (
      tokens?.length === 3 &&
      tokens[0]?.text === 'Import-Module' &&
      tokens[1]?.text === '-Name' &&
      tokens[2]?.quoted
    ) {
      const path = tokens[2].text;
      if (path.endsWith('PatchBot.psm1'))
        return { kind: 'init', key: 'init.module', apply: (s) => importPatchBot(s, path) };
    }
    const parsed = parseCommand(command);
    const entry = parsed ? HANDLERS.get(parsed.name.toLowerCase()) : undefined;
    if (!parsed || !entry) return { kind: 'unknown', key: parsed?.name ?? '(unparsable)' };
    const named = { ...parsed, name: entry.name };
    const key = entry.name === 'net' ? `net ${(parsed.positional[0] ?? '').toLowerCase()}` : entry.name;
    return { kind: 'step', key, command: named, handler: entry.handler, patchBot: entry.patchBot };
  }

  private emit(out: string[], err: string[], nonce: string, ok: boolean, exit: number | null): void {
    const encode = (text: string) => (this.session.utf8Output ? text : text.replace(/[\u0080-\uffff]/g, '?'));
    if (out.length > 0) this.write.out(encode(out.join(this.newline)) + this.newline);
    if (err.length > 0) this.write.err(encode(err.join(this.newline)) + this.newline);
    this.write.out(markerLine(nonce, ok, exit) + this.newline);
  }

  private hang(state: LabState, record: LabCommandRecord): Promise<void> {
    record.result = 'hang';
    writeLabState(this.stateFile, state);
    // Never settles; the timer keeps the process alive until someone kills it.
    setInterval(() => undefined, 1 << 30);
    return new Promise<void>(() => undefined);
  }

  private crash(
    state: LabState,
    record: LabCommandRecord,
    fault: Extract<LabFault, { kind: 'crash' }>,
  ): never {
    record.result = 'crash';
    record.wallEnd = new Date().toISOString();
    writeLabState(this.stateFile, state);
    if (fault.partialOutput) this.write.out(fault.partialOutput + this.newline);
    return this.write.exit(fault.exitCode);
  }

  private otherModuleHolders(state: LabState): number[] {
    const live = state.moduleHolders.filter((pid) => pid !== process.pid && isAlive(pid));
    state.moduleHolders = [...live, ...(this.session.csModule ? [process.pid] : [])];
    return [...state.conditions.foreignModuleHolders, ...live];
  }
}

function importPatchBot(session: SessionMemory, path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf-8');
  } catch {
    throw new LabCommandError(
      `Import-Module: the module '${path}' was not loaded because no valid module file was found.`,
      false,
    );
  }
  // The real module's functions live in the files it dot-sources (`. (Join-Path $PSScriptRoot
  // 'PatchBot\Xyz.ps1')`), next to it; as in PowerShell, a missing one fails the import.
  for (const part of text.matchAll(/^\. \(Join-Path \$PSScriptRoot '([^']+)'\)/gm)) {
    const partPath = join(dirname(path), ...(part[1] ?? '').split('\\'));
    try {
      text += `\n${readFileSync(partPath, 'utf-8')}`;
    } catch {
      throw new LabCommandError(`Import-Module: the module '${path}' could not load '${partPath}'.`, false);
    }
  }
  // The functions the real module defines; a step calling anything else is "not recognized".
  session.patchBotFunctions = new Set(
    [...text.matchAll(/^function\s+([A-Za-z]+-PatchBot[A-Za-z]+)/gm)].map((m) => m[1] ?? ''),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
