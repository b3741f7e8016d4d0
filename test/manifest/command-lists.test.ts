import { describe, expect, it } from 'vitest';
import { COMMANDS, type CommandSpec } from '../../src/commands/declarations.js';
import {
  buildCommandLists,
  COMMAND_MENU_LIMITS,
  englishCommandDescription,
} from '../../src/package/command-lists.js';
import { enUS } from '../../src/i18n/catalogs/en-US.js';
import { PackageError } from '../../src/package/package-error.js';
import { substitutePlaceholders } from '../../src/package/placeholders.js';

const [firstCommand] = COMMANDS;
if (!firstCommand) throw new Error('no commands declared');

const catalog: Readonly<Record<string, string>> = enUS;

describe('englishCommandDescription', () => {
  it('takes the text of each command from the en-US catalog, adding the syntax when it fits', () => {
    for (const spec of COMMANDS) {
      const text = catalog[spec.descriptionKey];
      expect(text, spec.descriptionKey).toBeDefined();
      const description = englishCommandDescription(spec);
      expect([text, `${text} Usage: ${spec.usage}`]).toContain(description);
      expect(description?.length).toBeLessThanOrEqual(COMMAND_MENU_LIMITS.descriptionLength);
    }
  });

  it('shows the syntax for short descriptions and drops it for long ones', () => {
    const shortOne = { ...firstCommand, descriptionKey: 'command.help.description', usage: 'help [command]' };
    expect(englishCommandDescription(shortOne)).toBe(
      `${catalog['command.help.description']} Usage: help [command]`,
    );
    const longOne = { ...shortOne, usage: `help ${'x'.repeat(128)}` };
    expect(englishCommandDescription(longOne)).toBe(catalog['command.help.description']);
  });
});

describe('buildCommandLists', () => {
  it('keeps the declared commands within the documented menu limits', () => {
    expect(COMMANDS.length).toBeLessThanOrEqual(COMMAND_MENU_LIMITS.commandsPerList);
    expect(() => buildCommandLists(COMMANDS)).not.toThrow();
  });

  it('refuses more commands than a list holds', () => {
    const many: CommandSpec[] = Array.from({ length: 13 }, () => firstCommand);
    expect(() => buildCommandLists(many)).toThrow(
      /13 commands are declared; a Teams command list holds at most 12/,
    );
  });

  it('names each command whose text is missing or too long', () => {
    const error = (() => {
      try {
        buildCommandLists(
          [...COMMANDS.slice(1), { ...firstCommand, descriptionKey: 'command.nothing.description' }],
          (spec) => (spec.name === 'plan' ? 'x'.repeat(129) : englishCommandDescription(spec)),
        );
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PackageError);
    expect((error as PackageError).problems).toEqual([
      `command "${firstCommand.name}": no English text for i18n key command.nothing.description`,
      'command "plan": description is 129 characters, at most 128 allowed',
    ]);
  });
});

describe('substitutePlaceholders', () => {
  it('keeps values with quotes and braces inside their string', () => {
    const values = new Map([['DEVELOPER_NAME', 'Contoso "UC" {ops}']]);
    expect(substitutePlaceholders({ developer: { name: '${{DEVELOPER_NAME}}' } }, values)).toEqual({
      developer: { name: 'Contoso "UC" {ops}' },
    });
  });

  it('does not substitute inside a substituted value', () => {
    const values = new Map([
      ['A', '${{B}}'],
      ['B', 'b'],
    ]);
    expect(() => substitutePlaceholders({ a: '${{A}}' }, values)).toThrow(/\$\{\{B\}\} at \/a/);
  });
});
