/** The languages the bot speaks: the languages of the reference articles. */
export const SUPPORTED_LOCALES = ['en-US', 'de-DE', 'es-ES', 'zh-CN'] as const;
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

export const DEFAULT_LOCALE: SupportedLocale = 'en-US';

const BY_LANGUAGE: Readonly<Record<string, SupportedLocale>> = {
  en: 'en-US',
  de: 'de-DE',
  es: 'es-ES',
  zh: 'zh-CN',
};

export function isSupportedLocale(tag: string): tag is SupportedLocale {
  return (SUPPORTED_LOCALES as readonly string[]).includes(tag);
}

/**
 * Maps any BCP 47 tag (from Teams, the `language` command or config) to a supported locale:
 * an exact match first, then by language (de-AT -> de-DE, es-MX -> es-ES, zh-TW -> zh-CN),
 * else English. Case-insensitive; underscores are read as hyphens. Never throws.
 */
export function resolveLocale(tag: string | null | undefined): SupportedLocale {
  if (typeof tag !== 'string') return DEFAULT_LOCALE;
  const normalized = tag.trim().replace(/_/g, '-').toLowerCase();
  if (normalized === '') return DEFAULT_LOCALE;
  const exact = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === normalized);
  if (exact) return exact;
  const language = normalized.split('-')[0] ?? '';
  return BY_LANGUAGE[language] ?? DEFAULT_LOCALE;
}
