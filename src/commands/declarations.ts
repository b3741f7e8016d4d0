/**
 * Every chat command, declared once. The parser, the help card and the Teams manifest's
 * command list all read these declarations.
 */
export const COMMAND_NAMES = [
  'update',
  'plan',
  'status',
  'cancel',
  'history',
  'runners',
  'language',
  'help',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type ArgKind =
  'server' | 'edition' | 'sql-fqdn' | 'collocated' | 'run-id' | 'server-or-run' | 'locale' | 'command';

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  required: boolean;
}

/** Who may run a command; checked by the dialogs against the configured policy. */
export type Permission = 'anyone' | 'requester';

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
  { name: 'edition', kind: 'edition', required: true },
  { name: 'sql', kind: 'sql-fqdn', required: false },
  { name: 'collocated', kind: 'collocated', required: false },
];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'update',
    aliases: ['patch', 'upgrade'],
    usage: 'update <server> <standard|enterprise> [sql <fqdn>] [collocated]',
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
    usage: 'plan <server> <standard|enterprise> [sql <fqdn>] [collocated]',
    args: updateArgs,
    sideEffects: false,
    confirms: false,
    permission: 'anyone',
    descriptionKey: 'command.plan.description',
    example: 'plan backend01 standard',
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
