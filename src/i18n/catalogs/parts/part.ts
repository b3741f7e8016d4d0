/**
 * A part of the catalogs: one area's messages in all four languages, in one file, merged into
 * each locale's catalog (../en-US.ts and the others spread it). English defines the keys; every
 * other language must have exactly those keys, so a missing translation is a compile error.
 */
export type Translations<T> = { readonly [K in keyof T]: string };

export interface CatalogPart<T> {
  'en-US': T;
  'de-DE': Translations<T>;
  'es-ES': Translations<T>;
  'zh-CN': Translations<T>;
}

export function catalogPart<const T extends Record<string, string>>(
  english: T,
  others: Omit<CatalogPart<T>, 'en-US'>,
): CatalogPart<T> {
  return { 'en-US': english, ...others };
}
