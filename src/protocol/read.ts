import { fail, ok, preview, validateHostName, type Result } from '../procedure/index.js';

/**
 * The small readers every protocol validator is built from. Each takes an untrusted value and
 * the field path it came from, and returns the value typed or throws Invalid naming the path;
 * guard() turns that into a Result, so no validator ever throws to its caller.
 */

/** Thrown only inside the readers, to keep each one linear; guard() turns it into a value. */
export class Invalid extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

export function guard<T>(read: () => T): Result<T> {
  try {
    return ok(read());
  } catch (error) {
    if (error instanceof Invalid) {
      return fail('invalid-message', `${error.where}: ${error.problem}.`, { path: error.where });
    }
    // Exotic inputs (a Proxy, a throwing getter) cannot come from JSON.parse; refuse them all the same.
    return fail('invalid-message', 'The message could not be read.', {});
  }
}

export function record(
  value: unknown,
  where: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Invalid(where, 'expected an object');
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key))
      throw new Invalid(where, `unexpected field "${preview(key)}"`);
  }
  for (const key of required)
    if (!Object.hasOwn(value, key)) throw new Invalid(where, `missing field "${key}"`);
  return value as Record<string, unknown>;
}

export function text(value: unknown, where: string, maxChars: number): string {
  if (typeof value !== 'string') throw new Invalid(where, 'expected a string');
  if (value.length > maxChars) throw new Invalid(where, `longer than ${maxChars} characters`);
  return value;
}

export function finite(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Invalid(where, 'expected a finite number');
  if (value < min || value > max) throw new Invalid(where, `expected a number from ${min} to ${max}`);
  return value;
}

export function integer(value: unknown, where: string, min: number, max: number): number {
  const n = finite(value, where, min, max);
  if (!Number.isInteger(n)) throw new Invalid(where, 'expected a whole number');
  return n;
}

export function flag(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new Invalid(where, 'expected true or false');
  return value;
}

export function member<T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new Invalid(where, `expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function list<T>(
  value: unknown,
  where: string,
  min: number,
  max: number,
  item: (value: unknown, where: string) => T,
): T[] {
  if (!Array.isArray(value)) throw new Invalid(where, 'expected an array');
  if (value.length < min || value.length > max) throw new Invalid(where, `expected ${min} to ${max} items`);
  // Indexed rather than .map(), which would skip the holes of a sparse array.
  return Array.from({ length: value.length }, (_, i) => item(value[i], `${where}[${i}]`));
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export function isoTime(value: unknown, where: string): string {
  const s = text(value, where, 40);
  if (!ISO_TIME.test(s) || !Number.isFinite(Date.parse(s)))
    throw new Invalid(where, 'expected an ISO 8601 time');
  return s;
}

export function hostName(value: unknown, where: string, what: 'server' | 'sql' | 'pool'): string {
  const checked = validateHostName(text(value, where, 253), what);
  if (!checked.ok) throw new Invalid(where, checked.error.message);
  return checked.value;
}
