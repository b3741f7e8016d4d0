export { SUPPORTED_LOCALES, DEFAULT_LOCALE, isSupportedLocale, resolveLocale } from './locales.js';
export type { SupportedLocale } from './locales.js';
export { createTranslator, interpolate, placeholdersOf } from './translator.js';
export type { AnyMessageKey, MessageParams, PluralKey, Translator } from './translator.js';
export { CATALOGS } from './catalogs/index.js';
export type { Catalog, MessageKey } from './catalogs/index.js';
export { describeError } from './errors.js';
export * from './terms.js';
