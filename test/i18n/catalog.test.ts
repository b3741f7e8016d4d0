import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/index.js';
import { CATALOGS, placeholdersOf, SUPPORTED_LOCALES } from '../../src/i18n/index.js';
import { EDITIONS, PRODUCT_FAMILIES, PRODUCTS, STEP_IDS } from '../../src/procedure/index.js';
import { STEP_STATUSES } from '../../src/protocol/messages.js';
import type { RunStatus } from '../../src/store/types.js';
import { ERROR_CODES } from './error-codes.js';

const english: Readonly<Record<string, string>> = CATALOGS['en-US'];
const englishKeys = Object.keys(english).sort();

/** Every RunStatus, checked complete by the compiler. */
const RUN_STATUSES = Object.keys({
  planned: 1,
  'awaiting-approval': 1,
  queued: 1,
  running: 1,
  succeeded: 1,
  failed: 1,
  interrupted: 1,
  cancelled: 1,
  rejected: 1,
  expired: 1,
  aborted: 1,
} satisfies Record<RunStatus, 1>);

/** Keys the dialogs use, with the params they pass. */
const BOT_MESSAGES: Record<string, string[]> = {
  'bot.welcome': [],
  'bot.ask.server': ['command'],
  'bot.ask.edition': ['server'],
  'bot.ask.sql': ['server'],
  'bot.unknown-server': ['server', 'servers'],
  'bot.runner-offline': ['lastSeen', 'server'],
  'bot.run-exists': ['runId', 'server', 'status'],
  'bot.not-allowed.request': [],
  'bot.not-allowed.approve': [],
  'bot.self-approval': [],
  'bot.already-decided': ['runId'],
  'bot.run-not-found': ['runId'],
  'bot.card-stale': ['runId', 'status'],
  'bot.cancel.requested': ['runId'],
  'bot.cancel.not-active': ['runId', 'status'],
  'bot.maintenance-window': ['next', 'server', 'window'],
  'bot.error.generic': ['ref'],
  'bot.warn.downtime20': ['minutes', 'server'],
  'bot.warn.downtime30': ['server'],
  'bot.language.set': ['language'],
  'bot.language.current': ['language'],
  'bot.language.unsupported': ['supported', 'value'],
  'bot.confirmed': ['runId'],
  'bot.approval.recorded': ['count', 'required', 'runId'],
  'bot.run.queued': ['runId', 'server'],
  'bot.retry.started': ['runId', 'step'],
  'bot.retry.needs-check': ['step'],
  'bot.abort.done': ['runId'],
  'status.none': [],
  'history.none': [],
  'runners.none': [],
  'runner.online': [],
  'runner.offline': [],
  'bot.action.invalid': [],
  'bot.cancel.done': ['runId'],
  'bot.not-own-plan': ['name'],
  'bot.pool-busy': ['limit', 'pool', 'runs'],
  'bot.unknown-server.suggest': ['server', 'servers', 'suggestion'],
};

const unique = (values: string[]) => [...new Set(values)].sort();

describe.each(SUPPORTED_LOCALES)('catalog %s', (locale) => {
  const catalog: Readonly<Record<string, string>> = CATALOGS[locale];

  it('has exactly the English keys', () => {
    expect(Object.keys(catalog).sort()).toEqual(englishKeys);
  });

  it('uses the same placeholders as English in every message', () => {
    const mismatched = englishKeys.filter(
      (key) =>
        unique(placeholdersOf(catalog[key] ?? '')).join() !== unique(placeholdersOf(english[key]!)).join(),
    );
    expect(mismatched).toEqual([]);
  });

  it('has no empty, padded or brace-broken messages', () => {
    for (const [key, message] of Object.entries(catalog)) {
      expect(message.trim(), key).not.toBe('');
      expect(message, key).toBe(message.trim());
      expect(message.replace(/\{[A-Za-z][A-Za-z0-9]*\}/g, ''), key).not.toMatch(/[{}]/);
    }
  });
});

describe('the key set', () => {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(english, key);
  const missing = (keys: string[]) => keys.filter((k) => !has(k));

  it('pairs every plural form', () => {
    const plural = englishKeys
      .filter((k) => /_(one|other)$/.test(k))
      .map((k) => k.replace(/_(one|other)$/, ''));
    for (const base of unique(plural)) expect(missing([`${base}_one`, `${base}_other`])).toEqual([]);
  });

  it('titles and explains every step', () => {
    expect(missing(STEP_IDS.flatMap((id) => [`step.${id}`, `step.${id}.why`]))).toEqual([]);
  });

  it('names every product, shell, edition, variant, phase and state', () => {
    const keys = [
      ...PRODUCT_FAMILIES.flatMap((p) => [PRODUCTS[p].nameKey, PRODUCTS[p].shellNameKey]),
      ...EDITIONS.map((e) => `edition.${e}`),
      ...['standard', 'enterprise', 'enterprise-collocated'].map((v) => `variant.${v}`),
      ...['prestage', 'downtime', 'post'].map((p) => `phase.${p}`),
      ...RUN_STATUSES.map((s) => `state.run.${s}`),
      ...[...STEP_STATUSES, 'pending', 'running'].map((s) => `state.step.${s}`),
      ...SUPPORTED_LOCALES.map((l) => `language.${l}`),
    ];
    expect(missing(keys)).toEqual([]);
  });

  it('words every domain error and the suggestion', () => {
    expect(missing([...ERROR_CODES.map((c) => `error.${c}`), 'error.suggestion'])).toEqual([]);
    expect(placeholdersOf(english['error.suggestion']!)).toEqual(['suggestion']);
  });

  it('describes every command and explains every argument kind', () => {
    expect(missing(COMMANDS.map((c) => c.descriptionKey))).toEqual([]);
    expect(missing(COMMANDS.flatMap((c) => c.args.map((a) => `help.arg.${a.kind}`)))).toEqual([]);
    expect(missing(['help.title', 'help.intro', 'help.usage', 'help.example', 'help.keywords'])).toEqual([]);
  });

  it('has every bot message with the params the dialogs pass', () => {
    for (const [key, params] of Object.entries(BOT_MESSAGES)) {
      expect(has(key), key).toBe(true);
      expect(unique(placeholdersOf(english[key] ?? '')), key).toEqual(params);
    }
  });

  it('keeps command keywords English in every language', () => {
    for (const locale of SUPPORTED_LOCALES) {
      const catalog: Readonly<Record<string, string>> = CATALOGS[locale];
      expect(catalog['help.keywords']).toMatch(/update.*standard.*enterprise.*sql.*collocated/);
      expect(catalog['bot.ask.edition']).toMatch(/standard.*enterprise/);
    }
  });
});

describe('translations', () => {
  /** Product names, cmdlet-bearing text and a few words that really are the same in that language. */
  const SAME_ON_PURPOSE =
    /^(product\.|edition\.|card\.fact\.(sql|server|edition)$|runner\.(online|offline)$|help\.optional$|card\.runners\.(title|count_one)$|card\.person-time$)/;

  it.each(SUPPORTED_LOCALES.filter((l) => l !== 'en-US'))('%s words its own messages', (locale) => {
    const catalog: Readonly<Record<string, string>> = CATALOGS[locale];
    const same = englishKeys.filter((key) => catalog[key] === english[key] && !SAME_ON_PURPOSE.test(key));
    expect(same).toEqual([]);
  });

  it('uses the localized names of the management shells', () => {
    expect(CATALOGS['de-DE']['product.shell.sfb']).toBe('Skype for Business Server-Verwaltungsshell');
    expect(CATALOGS['de-DE']['product.shell.lync']).toBe('Lync Server-Verwaltungsshell');
    expect(CATALOGS['es-ES']['product.shell.lync']).toBe('Shell de administración de Lync Server');
    expect(CATALOGS['zh-CN']['product.shell.lync']).toBe('Lync Server 命令行管理程序');
    expect(CATALOGS['zh-CN']['product.shell.sfb']).toBe('Skype for Business Server 命令行管理程序');
  });
});
