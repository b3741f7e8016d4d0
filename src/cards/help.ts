import { COMMANDS, commandSpec, type CommandName, type CommandSpec } from '../commands/index.js';
import type { Translator } from '../i18n/index.js';
import type { HelpCardModel, HelpCommandModel } from './models.js';

function commandModel(spec: CommandSpec, t: Translator, detailed: boolean): HelpCommandModel {
  return {
    name: spec.name,
    usage: spec.usage,
    description: t.t(spec.descriptionKey),
    example: spec.example,
    aliases:
      detailed && spec.aliases.length > 0 ? t.t('help.aliases', { aliases: t.formatList(spec.aliases) }) : '',
    args: detailed
      ? spec.args.map((arg) => ({
          text: `${t.t(`help.arg.${arg.kind}`)} (${t.t(arg.required ? 'help.required' : 'help.optional')})`,
        }))
      : [],
  };
}

/**
 * Help from the command declarations (the same ones the parser and the manifest use): every
 * command with usage, description and example, or one command in detail with its arguments.
 */
export function helpCard(t: Translator, topic: CommandName | null = null): HelpCardModel {
  const notes = [{ text: t.t('help.keywords') }, { text: t.t('help.mention') }];
  const labels = { usage: t.t('help.usage'), example: t.t('help.example'), arguments: t.t('help.arguments') };
  if (topic) {
    return {
      lang: t.locale,
      title: t.t('help.topic.title', { command: topic }),
      intro: '',
      labels,
      commands: [commandModel(commandSpec(topic), t, true)],
      notes,
    };
  }
  return {
    lang: t.locale,
    title: t.t('help.title'),
    intro: t.t('help.intro'),
    labels,
    commands: COMMANDS.map((spec) => commandModel(spec, t, false)),
    notes: [...notes, { text: t.t('help.more') }],
  };
}
