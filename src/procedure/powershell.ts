/**
 * Renders a value as a PowerShell single-quoted string literal. Inside such a literal nothing
 * expands; the only special characters are the four single-quote forms, which are doubled.
 * Values are validated before they get here; this is the second line of defence.
 */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}
