import {
  databaseVariant,
  EDITIONS,
  fail,
  ok,
  preview,
  validateHostName,
  type Edition,
  type ProductFamily,
  type Result,
} from '../procedure/index.js';
import { COMMANDS, type CommandName } from './declarations.js';
import { parsePackage } from './parse-package.js';
import { closest } from './suggest.js';

export type StatusTarget =
  { kind: 'all' } | { kind: 'server'; server: string } | { kind: 'run'; runId: number };

/**
 * An update/plan request; `missing` lists what was not typed. `edition: null` (and 'edition' in
 * `missing`) means "not typed": the dialog takes it from the server's reported facts and asks only
 * when the runner has reported none. `update backend01 standard` parses exactly as before.
 */
export interface UpdateCommand {
  name: 'update' | 'plan';
  server: string | null;
  edition: Edition | null;
  sqlServerFqdn: string | null;
  collocated: boolean;
  /** Drain calls and conferences before stopping (Stop-CsWindowsService -Graceful). */
  graceful: boolean;
  /** Re-install the version the server already runs (approvers only; never a downgrade). */
  force: boolean;
  missing: ('server' | 'edition' | 'sql')[];
}

/** A catalog entry as typed in `package add`; the file name is the source's last path segment. */
export interface PackageEntryInput {
  product: ProductFamily;
  version: string;
  source: string;
  fileName: string;
  sha256: string;
}

export type PackageCommand =
  | { name: 'package'; action: 'add'; entry: PackageEntryInput }
  | { name: 'package'; action: 'remove'; product: ProductFamily; version: string };

export type ParsedCommand =
  | UpdateCommand
  | { name: 'status'; target: StatusTarget }
  | { name: 'cancel'; runId: number }
  | { name: 'history'; server: string | null }
  | { name: 'runners' }
  | { name: 'check'; server: string }
  | { name: 'versions' }
  | { name: 'packages' }
  | PackageCommand
  | { name: 'language'; locale: string | null }
  | { name: 'help'; topic: CommandName | null };

export const MAX_COMMAND_LENGTH = 1000;

/** Removes Teams mention markup (`<at>Bot</at>`), other tags and entities; folds white space. */
export function normalizeText(text: string): string {
  return text
    .replace(/<at\b[^>]*>[\s\S]*?<\/at>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;|&#160;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/[\s\u200b\u00a0]+/g, ' ')
    .trim();
}

const NAMES_AND_ALIASES = COMMANDS.flatMap((c) => [c.name, ...c.aliases]);

function resolveCommand(word: string): CommandName | null {
  return COMMANDS.find((c) => c.name === word || c.aliases.includes(word))?.name ?? null;
}

/** Parses one chat message into a command, or an error that says what was wrong. Never throws. */
export function parseCommand(text: string): Result<ParsedCommand> {
  if (typeof text !== 'string') return fail('empty', 'Type a command, for example "help".');
  if (text.length > MAX_COMMAND_LENGTH) {
    return fail(
      'too-long',
      `That message is too long for a command (over ${MAX_COMMAND_LENGTH} characters).`,
      {
        max: String(MAX_COMMAND_LENGTH),
      },
    );
  }
  const tokens = normalizeText(text).split(' ').filter(Boolean);
  const [head, ...rest] = tokens;
  if (head === undefined) return fail('empty', 'Type a command, for example "help".');
  const word = head.toLowerCase().replace(/^\//, '');
  const name = resolveCommand(word);
  if (!name) {
    const suggestion = closest(word, NAMES_AND_ALIASES);
    const resolved = suggestion ? resolveCommand(suggestion) : null;
    return fail(
      'unknown-command',
      `I don't know the command "${preview(head)}".${resolved ? ` Did you mean "${resolved}"?` : ''} Type "help" for the list.`,
      { value: preview(head), suggestion: resolved ?? '' },
    );
  }
  switch (name) {
    case 'update':
    case 'plan':
      return parseUpdate(name, rest);
    case 'status':
      return parseStatus(rest);
    case 'cancel':
      return parseCancel(rest);
    case 'history':
      return parseHistory(rest);
    case 'runners':
      return noArguments(rest, { name: 'runners' });
    case 'check':
      return parseCheck(rest);
    case 'versions':
      return noArguments(rest, { name: 'versions' });
    case 'packages':
      return noArguments(rest, { name: 'packages' });
    case 'package':
      return parsePackage(rest);
    case 'language':
      return parseLanguage(rest);
    case 'help':
      return parseHelp(rest);
  }
}

function unexpected(token: string, command: CommandName) {
  return fail('unexpected-argument', `"${preview(token)}" is not something "${command}" understands.`, {
    value: preview(token),
    command,
  });
}

function noArguments<T extends ParsedCommand>(rest: string[], command: T): Result<ParsedCommand> {
  return rest[0] === undefined ? ok(command) : unexpected(rest[0], command.name);
}

const SQL_FLAGS = ['sql', '--sql', '-sql', '-sqlserverfqdn', '--sqlserverfqdn'];
const COLLOCATED_FLAGS = ['collocated', '--collocated', '-collocated', 'colocated', '--colocated'];
const GRACEFUL_FLAGS = ['graceful', '--graceful', '-graceful'];
const FORCE_FLAGS = ['force', '--force', '-force'];
const UPDATE_KEYWORDS = [...EDITIONS, 'sql', 'collocated', 'graceful', 'force'];

function parseUpdate(name: 'update' | 'plan', tokens: string[]): Result<ParsedCommand> {
  let server: string | null = null;
  let edition: Edition | null = null;
  let sql: string | null = null;
  let collocated = false;
  let graceful = false;
  let force = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const lower = token.toLowerCase();
    const [flag, inline] =
      lower.startsWith('-') && lower.includes('=') ? lower.split('=', 2) : [lower, undefined];
    if (SQL_FLAGS.includes(flag!)) {
      const value = inline ?? tokens[++i];
      if (value === undefined || value === '') {
        return fail(
          'missing-sql-value',
          'After "sql" give the SQL Server FQDN, e.g. "sql sql01.contoso.local".',
        );
      }
      const checked = validateHostName(value, 'sql');
      if (!checked.ok) return checked;
      sql = checked.value;
    } else if (COLLOCATED_FLAGS.includes(lower)) {
      collocated = true;
    } else if (GRACEFUL_FLAGS.includes(lower)) {
      graceful = true;
    } else if (FORCE_FLAGS.includes(lower)) {
      force = true;
    } else if ((EDITIONS as readonly string[]).includes(lower.replace(/^--?/, ''))) {
      edition = lower.replace(/^--?/, '') as Edition;
    } else if (server === null && !lower.startsWith('-')) {
      const checked = validateHostName(token);
      if (!checked.ok) return checked;
      server = checked.value;
    } else {
      const guess = closest(lower.replace(/^--?/, ''), UPDATE_KEYWORDS);
      if (guess && (EDITIONS as readonly string[]).includes(guess)) {
        return fail('unknown-edition', `"${preview(token)}" is not an edition. Did you mean "${guess}"?`, {
          value: preview(token),
          suggestion: guess,
        });
      }
      if (guess) {
        return fail(
          'unexpected-argument',
          `"${preview(token)}" is not something "${name}" understands. Did you mean "${guess}"?`,
          {
            value: preview(token),
            command: name,
            suggestion: guess,
          },
        );
      }
      return unexpected(token, name);
    }
  }
  const missing: UpdateCommand['missing'] = [];
  if (server === null) missing.push('server');
  if (edition === null) missing.push('edition');
  if (edition !== null) {
    const variant = databaseVariant(edition, sql, collocated);
    if (!variant.ok && variant.error.code === 'missing-sql') missing.push('sql');
    else if (!variant.ok) return variant;
  }
  return ok({ name, server, edition, sqlServerFqdn: sql, collocated, graceful, force, missing });
}

/** Run ids are the numbers the bot shows as #12. */
export function parseRunId(token: string): number | null {
  const match = /^(?:#|run-?|r)?(\d{1,9})$/i.exec(token);
  if (!match) return null;
  const id = Number(match[1]);
  return id > 0 ? id : null;
}

function parseStatus(tokens: string[]): Result<ParsedCommand> {
  const [target, extra] = tokens;
  if (extra !== undefined) return unexpected(extra, 'status');
  if (target === undefined) return ok({ name: 'status', target: { kind: 'all' } });
  const runId = parseRunId(target);
  if (runId !== null) return ok({ name: 'status', target: { kind: 'run', runId } });
  const server = validateHostName(target);
  if (!server.ok) return server;
  return ok({ name: 'status', target: { kind: 'server', server: server.value } });
}

function parseCancel(tokens: string[]): Result<ParsedCommand> {
  const [target, extra] = tokens;
  if (target === undefined)
    return fail('missing-run-id', 'Say which run to cancel, e.g. "cancel #12" (see "status").');
  if (extra !== undefined) return unexpected(extra, 'cancel');
  const runId = parseRunId(target);
  if (runId === null) {
    return fail('invalid-run-id', `"${preview(target)}" is not a run number; runs look like #12.`, {
      value: preview(target),
    });
  }
  return ok({ name: 'cancel', runId });
}

function parseHistory(tokens: string[]): Result<ParsedCommand> {
  const [target, extra] = tokens;
  if (extra !== undefined) return unexpected(extra, 'history');
  if (target === undefined) return ok({ name: 'history', server: null });
  const server = validateHostName(target);
  return server.ok ? ok({ name: 'history', server: server.value }) : server;
}

function parseCheck(tokens: string[]): Result<ParsedCommand> {
  const [target, extra] = tokens;
  if (target === undefined) {
    return fail('check-missing-server', 'Say which server to check, e.g. "check backend01".');
  }
  if (extra !== undefined) return unexpected(extra, 'check');
  const server = validateHostName(target);
  return server.ok ? ok({ name: 'check', server: server.value }) : server;
}

function parseLanguage(tokens: string[]): Result<ParsedCommand> {
  const [target, extra] = tokens;
  if (extra !== undefined) return unexpected(extra, 'language');
  if (target === undefined) return ok({ name: 'language', locale: null });
  if (!/^(?:auto|[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)$/i.test(target)) {
    return fail('invalid-locale', `"${preview(target)}" is not a language tag such as de-DE.`, {
      value: preview(target),
    });
  }
  return ok({ name: 'language', locale: target.replace('_', '-') });
}

function parseHelp(tokens: string[]): Result<ParsedCommand> {
  const [topic, extra] = tokens;
  if (extra !== undefined) return unexpected(extra, 'help');
  if (topic === undefined) return ok({ name: 'help', topic: null });
  const name = resolveCommand(topic.toLowerCase());
  if (name) return ok({ name: 'help', topic: name });
  const suggestion = closest(topic.toLowerCase(), NAMES_AND_ALIASES);
  return fail('unknown-command', `I don't know the command "${preview(topic)}".`, {
    value: preview(topic),
    suggestion: suggestion ? (resolveCommand(suggestion) ?? '') : '',
  });
}
