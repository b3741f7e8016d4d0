import { compareLabVersions, type LabState, type ServiceStatus } from '../state.js';
import type { ParsedCommand } from './tokenize.js';

/** SIMULATOR: what one lab host process remembers between commands (like a PowerShell session). */
export interface SessionMemory {
  pid: number;
  utf8Output: boolean;
  errorActionStop: boolean;
  /** Functions the imported PatchBot.psm1 defines; null until it is imported. */
  patchBotFunctions: Set<string> | null;
  /** The Lync/SfB management module, once imported. */
  csModule: string | null;
}

/**
 * A command's error. `terminating`: a `throw` or a missing command, which try/catch always
 * catches; otherwise a cmdlet's ordinary (non-terminating) error, which only becomes catchable
 * when the session set $ErrorActionPreference = 'Stop', as in real PowerShell.
 */
export class LabCommandError extends Error {
  constructor(
    message: string,
    readonly terminating: boolean,
  ) {
    super(message);
  }
}

export interface CommandContext {
  state: LabState;
  session: SessionMemory;
  command: ParsedCommand;
  out(line: string): void;
  err(line: string): void;
  setExitCode(code: number): void;
  /** Other live shells that hold the Lync/SfB module (simulated foreign ones included). */
  otherModuleHolders(): number[];
}

export type CommandHandler = (ctx: CommandContext) => void;

/** Case-insensitive parameter lookup, as in PowerShell. */
export function param(ctx: CommandContext, name: string): string | true | undefined {
  for (const [key, value] of ctx.command.params) if (key.toLowerCase() === name.toLowerCase()) return value;
  return undefined;
}

export function stringParam(ctx: CommandContext, name: string): string {
  const value = param(ctx, name);
  if (typeof value !== 'string') {
    throw new LabCommandError(
      `${ctx.command.name}: missing a value for the mandatory parameter -${name}.`,
      true,
    );
  }
  return value;
}

/** Refuses parameters the command does not have and positional arguments it does not take. */
export function onlyParams(ctx: CommandContext, allowed: string[]): void {
  const lower = allowed.map((a) => a.toLowerCase());
  for (const key of ctx.command.params.keys()) {
    if (!lower.includes(key.toLowerCase())) {
      throw new LabCommandError(`${ctx.command.name}: no parameter matches the name '${key}'.`, true);
    }
  }
  if (ctx.command.positional.length > 0) {
    throw new LabCommandError(
      `${ctx.command.name}: no positional parameter accepts '${ctx.command.positional[0] ?? ''}'.`,
      true,
    );
  }
}

export function notRecognized(name: string): LabCommandError {
  return new LabCommandError(
    `The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
    true,
  );
}

export function requireCsModule(ctx: CommandContext, cmdlet: string): void {
  // Stricter than a real server, where module auto-loading would hide a missing Import-Module.
  if (!ctx.session.csModule) throw notRecognized(cmdlet);
}

/** Numeric comparison of dotted versions. */
export const compareVersions = compareLabVersions;

/** The Cs services Get-CsWindowsService lists: none on a machine without them. */
export function listedServices(state: LabState): [string, ServiceStatus][] {
  return state.conditions.csServicesInstalled ? Object.entries(state.services) : [];
}

/** The account the runner runs as on every lab server. */
export const ACCOUNT = 'CONTOSO\\svc-patchbot';

/** A PatchBot function's `throw`: always terminating. */
export function fail(message: string): never {
  throw new LabCommandError(message, true);
}
