/**
 * Errors are values here: the planner and the parser return them, never throw them.
 * `code` selects the user-facing message in src/i18n; `message` is plain English for logs and the CLI.
 */
export interface DomainError {
  code: string;
  message: string;
  params: Record<string, string>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export function fail(
  code: string,
  message: string,
  params: Record<string, string> = {},
): {
  ok: false;
  error: DomainError;
} {
  return { ok: false, error: { code, message, params } };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
