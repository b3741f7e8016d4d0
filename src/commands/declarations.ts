/**
 * Every chat command, declared once. The parser, the help card and the Teams manifest's
 * command list all read these declarations.
 */
export const COMMAND_NAMES = [
  'update',
  'plan',
  'check',
  'status',
  'cancel',
  'history',
  'runners',
  'versions',
  'packages',
  'package',
  'language',
  'help',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type ArgKind =
  | 'server'
  | 'edition'
  | 'sql-fqdn'
  | 'collocated'
  | 'graceful'
  | 'force'
  | 'run-id'
  | 'server-or-run'
  | 'locale'
  | 'command'
  | 'package-action'
  | 'product'
  | 'version'
  | 'package-source'
  | 'sha256';

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  required: boolean;
}

/** Who may run a command; checked by the dialogs against the configured policy. */
export type Permission = 'anyone' | 'requester' | 'approver';

export interface CommandSpec {
  name: CommandName;
  aliases: readonly string[];
  /** Syntax in the form admins type it; keywords stay English in every language. */
  usage: string;
  args: readonly ArgSpec[];
  /** Changes something on a server or in the bot's state. */
  sideEffects: boolean;
  /** Shows a card that must be confirmed before anything happens. */
  confirms: boolean;
  permission: Permission;
  /** i18n key of the one-line description (help card, manifest). */
  descriptionKey: string;
  /** An example shown in help. */
  example: string;
}

const updateArgs: readonly ArgSpec[] = [
  { name: 'server', kind: 'server', required: true },
  // Optional since the runner reports the server's edition; asked for only when it has not.
  { name: 'edition', kind: 'edition', required: false },
  { name: 'sql', kind: 'sql-fqdn', required: false },
  { name: 'collocated', kind: 'collocated', required: false },
  { name: 'graceful', kind: 'graceful', required: false },
  { name: 'force', kind: 'force', required: false },
];

const UPDATE_USAGE = '<server> [standard|enterprise] [sql <fqdn>] [collocated] [graceful] [force]';

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'update',
    aliases: ['patch', 'upgrade'],
    usage: `update ${UPDATE_USAGE}`,
    args: updateArgs,
    sideEffects: true,
    confirms: true,
    permission: 'requester',
    descriptionKey: 'command.update.description',
    example: 'update be01 enterprise sql sql01.contoso.local',
  },
  {
    name: 'plan',
    aliases: ['preview', 'dry-run'],
    usage: `plan ${UPDATE_USAGE}`,
    args: updateArgs,
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.plan.description',
    example: 'plan backend01 standard',
  },
  {
    name: 'check',
    aliases: ['ready', 'precheck'],
    usage: 'check <server>',
    args: [{ name: 'server', kind: 'server', required: true }],
    // Reads the server only: every check before downtime, nothing stopped, nothing installed.
    sideEffects: false,
    confirms: false,
    permission: 'requester',
    descriptionKey: 'command.check.description',
    example: 'check backend01',
  },
  {
    name: 'status',
    aliases: ['st'],
    usage: 'status [server|run]',
    args: [{ name: 'target', kind: 'server-or-run', required: false }],
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.status.description',
    example: 'status backend01',
  },
  {
    name: 'cancel',
    aliases: ['abort', 'stop'],
    usage: 'cancel <run>',
    args: [{ name: 'run', kind: 'run-id', required: true }],
    sideEffects: true,
    confirms: false,
    permission: 'requester',
    descriptionKey: 'command.cancel.description',
    example: 'cancel #12',
  },
  {
    name: 'history',
    aliases: ['log', 'hist'],
    usage: 'history [server]',
    args: [{ name: 'server', kind: 'server', required: false }],
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.history.description',
    example: 'history lyncbe01',
  },
  {
    name: 'runners',
    aliases: ['servers', 'agents'],
    usage: 'runners',
    args: [],
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.runners.description',
    example: 'runners',
  },
  {
    name: 'versions',
    aliases: ['version', 'fleet'],
    usage: 'versions',
    args: [],
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.versions.description',
    example: 'versions',
  },
  {
    name: 'packages',
    aliases: ['catalog'],
    usage: 'packages',
    args: [],
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.packages.description',
    example: 'packages',
  },
  {
    name: 'package',
    aliases: ['pkg'],
    usage: 'package add <product> <version> <source> sha256 <hex> | package remove <product> <version>',
    args: [
      { name: 'action', kind: 'package-action', required: true },
      { name: 'product', kind: 'product', required: true },
      { name: 'version', kind: 'version', required: true },
      { name: 'source', kind: 'package-source', required: false },
      { name: 'sha256', kind: 'sha256', required: false },
    ],
    sideEffects: true,
    // Approvals follow the run policy: a second approver confirms on a card where policy asks.
    confirms: true,
    permission: 'approver',
    descriptionKey: 'command.package.description',
    example:
      'package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe sha256 ' +
      '6FE0D7EAA69264D2779B6096D1F14AE17223361B4FBC561D9203B0711BB3DC85',
  },
  {
    name: 'language',
    aliases: ['lang', 'locale'],
    usage: 'language [en-US|de-DE|es-ES|zh-CN|auto]',
    args: [{ name: 'locale', kind: 'locale', required: false }],
    sideEffects: true,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.language.description',
    example: 'language de-DE',
  },
  {
    name: 'help',
    aliases: ['?', 'commands'],
    usage: 'help [command]',
    args: [{ name: 'command', kind: 'command', required: false }],
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.help.description',
    example: 'help update',
  },
];

export function commandSpec(name: CommandName): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) throw new Error(`undeclared command ${name}`);
  return spec;
}
