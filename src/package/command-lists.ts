import type { CommandSpec } from '../commands/declarations.js';
import { enUS } from '../i18n/catalogs/en-US.js';
import { PackageError } from './package-error.js';

/**
 * Command menu limits. The manifest is v1.30, whose schema takes 12 commands per list (v1.20 and
 * older: 10), titles of 128 and descriptions of 4000 characters; titles and descriptions keep the
 * old, shorter caps so the menu stays short enough to read.
 */
export const COMMAND_MENU_LIMITS = { commandsPerList: 12, titleLength: 32, descriptionLength: 128 } as const;

/** Scopes the bot is installed in; each gets its own command list, as the schema recommends. */
export const BOT_SCOPES = ['personal', 'team', 'groupChat'] as const;
export type BotScope = (typeof BOT_SCOPES)[number];

export interface ManifestCommand {
  title: string;
  description: string;
}

export interface ManifestCommandList {
  scopes: BotScope[];
  commands: ManifestCommand[];
}

const ENGLISH_CATALOG: Readonly<Record<string, string>> = enUS;
const USAGE_SEPARATOR = ' Usage: ';

/**
 * The menu text for a command: its English description from the en-US catalog, followed by
 * the syntax an admin types when both fit the menu's length limit (the description alone otherwise).
 */
export function englishCommandDescription(spec: CommandSpec): string | undefined {
  const description = ENGLISH_CATALOG[spec.descriptionKey];
  if (description === undefined) return undefined;
  const withUsage = `${description}${USAGE_SEPARATOR}${spec.usage}`;
  return withUsage.length <= COMMAND_MENU_LIMITS.descriptionLength ? withUsage : description;
}

/** Builds one command list per bot scope; throws listing every command that breaks a menu limit. */
export function buildCommandLists(
  commands: readonly CommandSpec[],
  describe: (spec: CommandSpec) => string | undefined = englishCommandDescription,
): ManifestCommandList[] {
  const problems: string[] = [];
  const menu = commands.map((spec) => {
    const description = describe(spec);
    if (description === undefined) {
      problems.push(`command "${spec.name}": no English text for i18n key ${spec.descriptionKey}`);
    }
    return { title: spec.name, description: description ?? '' };
  });
  if (menu.length > COMMAND_MENU_LIMITS.commandsPerList) {
    problems.push(
      `${menu.length} commands are declared; a Teams command list holds at most ${COMMAND_MENU_LIMITS.commandsPerList}`,
    );
  }
  for (const command of menu) {
    if (command.title.length > COMMAND_MENU_LIMITS.titleLength) {
      problems.push(
        `command "${command.title}": title is ${command.title.length} characters, at most ${COMMAND_MENU_LIMITS.titleLength} allowed`,
      );
    }
    if (command.description.length > COMMAND_MENU_LIMITS.descriptionLength) {
      problems.push(
        `command "${command.title}": description is ${command.description.length} characters, at most ${COMMAND_MENU_LIMITS.descriptionLength} allowed`,
      );
    }
  }
  if (problems.length > 0) throw new PackageError('Cannot build the command menu:', problems);
  return BOT_SCOPES.map((scope) => ({ scopes: [scope], commands: menu.map((command) => ({ ...command })) }));
}
