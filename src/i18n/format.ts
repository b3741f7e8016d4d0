import type { SupportedLocale } from './locales.js';

/** Chinese writes unit amounts back to back ("4分钟12秒"); the others separate them with a space. */
const UNIT_SEPARATOR: Readonly<Record<SupportedLocale, string>> = {
  'en-US': ' ',
  'de-DE': ' ',
  'es-ES': ' ',
  'zh-CN': '',
};

type DurationUnit = 'hour' | 'minute' | 'second';

/**
 * Formats a span for people watching a clock: "4 min 12 sec", "1 hr 3 min". Two units at most,
 * seconds dropped once it passes an hour. Negative or non-finite input reads as zero.
 */
export function formatDuration(locale: SupportedLocale, ms: number): string {
  const totalSeconds = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts: [DurationUnit, number][] =
    hours > 0
      ? [
          ['hour', hours],
          ['minute', minutes],
        ]
      : minutes > 0
        ? [
            ['minute', minutes],
            ['second', seconds],
          ]
        : [['second', seconds]];
  const shown = parts.filter(([, amount], i) => i === 0 || amount > 0);
  return shown.map(([unit, amount]) => unitFormat(locale, unit).format(amount)).join(UNIT_SEPARATOR[locale]);
}

const unitFormats = new Map<string, Intl.NumberFormat>();

function unitFormat(locale: SupportedLocale, unit: DurationUnit): Intl.NumberFormat {
  const key = `${locale}|${unit}`;
  let format = unitFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' });
    unitFormats.set(key, format);
  }
  return format;
}

/** Date and time with the zone named, since a card is read by people in different zones. */
export function formatDateTime(locale: SupportedLocale, iso: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    }).format(date);
  } catch {
    // An unknown time zone name must not break a card; fall back to UTC.
    return formatDateTime(locale, iso, 'UTC');
  }
}

export function formatList(locale: SupportedLocale, items: readonly string[]): string {
  return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
}
