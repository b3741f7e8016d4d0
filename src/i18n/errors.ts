import type { DomainError } from '../procedure/index.js';
import { editionName } from './terms.js';
import type { Translator } from './translator.js';

/** The host-name checks' English reasons (src/procedure/validate.ts), matched to catalog keys. */
const REASONS: readonly [RegExp, string][] = [
  [/^it is empty$/, 'error.reason.empty'],
  [/^it is longer than \d+ characters$/, 'error.reason.too-long'],
  [/empty label/, 'error.reason.empty-label'],
  [/^a label is longer than/, 'error.reason.label-too-long'],
  [/^only letters, digits/, 'error.reason.characters'],
  [/all digits/, 'error.reason.all-digits'],
  [/^not fully qualified$/, 'error.reason.not-fqdn'],
];

function localizeReason(t: Translator, reason: string): string {
  const match = REASONS.find(([pattern]) => pattern.test(reason));
  return match ? t.t(match[1]) : reason;
}

function localizeEdition(t: Translator, value: string | undefined): string | undefined {
  return value === 'standard' || value === 'enterprise' ? editionName(t, value) : value;
}

/**
 * A DomainError as the user reads it: `error.<code>` with the error's params, the reason
 * translated when it is one the validators give, and "Did you mean ...?" when there is a suggestion.
 * An unknown code falls back to the error's English message rather than showing a key.
 */
export function describeError(t: Translator, error: DomainError): string {
  const key = `error.${error.code}`;
  const params: Record<string, string> = { ...error.params };
  if (params.reason !== undefined) params.reason = localizeReason(t, params.reason);
  if (error.code === 'edition-mismatch') {
    params.expected = localizeEdition(t, params.expected) ?? '';
    params.value = localizeEdition(t, params.value) ?? '';
  }
  const text = t.has(key) ? t.t(key, params) : error.message;
  const suggestion = error.params.suggestion;
  return suggestion ? `${text} ${t.t('error.suggestion', { suggestion })}` : text;
}
