import { CATALOGS, type MessageKey } from './catalogs/index.js';
import { formatDateTime, formatDuration, formatList } from './format.js';
import { resolveLocale, type SupportedLocale } from './locales.js';

export type MessageParams = Readonly<Record<string, string | number>>;

/**
 * A message key. Typed keys autocomplete; computed ones (`step.${id}`, `error.${code}`) are
 * accepted as plain strings and an unknown one comes back unchanged, where tests catch it.
 */
export type AnyMessageKey = MessageKey | (string & Record<never, never>);

/** Keys with `_one`/`_other` variants, named without the suffix. */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer Base}_other` ? Base : never) : never;

export interface Translator {
  readonly locale: SupportedLocale;
  /** The message for `key` with `{name}` placeholders filled; a missing param stays visible as `{name}`. */
  t(key: AnyMessageKey, params?: MessageParams): string;
  /** Picks `<keyBase>_<category>` by Intl.PluralRules (falling back to `_other`); `{count}` is filled in. */
  plural(keyBase: PluralKey, count: number, params?: MessageParams): string;
  has(key: string): boolean;
  /** "4 min 12 sec", "1 hr 3 min", "4分钟12秒". */
  formatDuration(ms: number): string;
  /** Date, time and zone name; an invalid timestamp is returned unchanged. */
  formatDateTime(iso: string, timeZone?: string): string;
  /** "a, b, and c" in the locale's words. */
  formatList(items: readonly string[]): string;
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

export function interpolate(template: string, params: MessageParams = {}): string {
  return template.replace(PLACEHOLDER, (marker, name: string) => {
    const value = params[name];
    return value === undefined ? marker : String(value);
  });
}

/** Placeholder names used by a message, for the catalog tests. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').sort();
}

const translators = new Map<SupportedLocale, Translator>();

/** A translator for any language tag (resolved with resolveLocale); instances are shared. */
export function createTranslator(tag: string | null | undefined): Translator {
  const locale = resolveLocale(tag);
  let translator = translators.get(locale);
  if (!translator) {
    translator = buildTranslator(locale);
    translators.set(locale, translator);
  }
  return translator;
}

function buildTranslator(locale: SupportedLocale): Translator {
  const catalog: Readonly<Record<string, string>> = CATALOGS[locale];
  const pluralRules = new Intl.PluralRules(locale);
  const has = (key: string) => Object.prototype.hasOwnProperty.call(catalog, key);
  const t = (key: string, params?: MessageParams) => (has(key) ? interpolate(catalog[key]!, params) : key);
  return {
    locale,
    t,
    has,
    plural(keyBase, count, params = {}) {
      const exact = `${keyBase}_${pluralRules.select(count)}`;
      return t(has(exact) ? exact : `${keyBase}_other`, { count, ...params });
    },
    formatDuration: (ms) => formatDuration(locale, ms),
    formatDateTime: (iso, timeZone) => formatDateTime(locale, iso, timeZone),
    formatList: (items) => formatList(locale, items),
  };
}
