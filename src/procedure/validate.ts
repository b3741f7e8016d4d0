import { fail, ok, type Result } from './errors.js';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME = 253;

/** Shortens untrusted input before it is echoed back in a message. */
export function preview(value: string, max = 40): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max - 1)}…` : printable;
}

/**
 * A server name: a single host label (backend01) or an FQDN (backend01.contoso.local),
 * by the DNS host-name rules (RFC 1123): letters, digits and hyphens per label, dots between labels.
 * Returned lower-cased, since Windows and DNS names are case-insensitive.
 */
export function validateHostName(raw: string, what: 'server' | 'sql' | 'pool' = 'server'): Result<string> {
  const code = { server: 'invalid-server', sql: 'invalid-sql-fqdn', pool: 'invalid-pool-fqdn' }[what];
  const name = raw.toLowerCase().replace(/\.$/, '');
  const reason = hostNameProblem(name);
  if (reason) {
    return fail(code, `"${preview(raw)}" is not a valid host name: ${reason}.`, {
      value: preview(raw),
      reason,
    });
  }
  if (what !== 'server' && !name.includes('.')) {
    return fail(
      code,
      `"${preview(raw)}" is not a fully qualified domain name (expected e.g. ${what}01.contoso.local).`,
      {
        value: preview(raw),
        reason: 'not fully qualified',
      },
    );
  }
  return ok(name);
}

function hostNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_NAME) return `it is longer than ${MAX_NAME} characters`;
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return 'it has an empty label (two dots in a row)';
    if (label.length > 63) return 'a label is longer than 63 characters';
    if (!LABEL.test(label))
      return 'only letters, digits, hyphens and dots are allowed, and no label may start or end with a hyphen';
  }
  if (/^\d+$/.test(labels[0] ?? '')) return 'the first label must not be all digits';
  return null;
}

/** 64 hex digits, upper-cased the way Get-FileHash prints it. */
export function validateSha256(raw: string): Result<string> {
  return /^[0-9a-fA-F]{64}$/.test(raw)
    ? ok(raw.toUpperCase())
    : fail('invalid-sha256', 'The package hash must be 64 hexadecimal digits (SHA-256).', {
        value: preview(raw),
      });
}

/** Dotted version such as 6.0.9319.619 or 7.0.2046.530. */
export function validateVersion(raw: string): Result<string> {
  return /^\d{1,5}(?:\.\d{1,6}){1,3}$/.test(raw)
    ? ok(raw)
    : fail('invalid-version', 'The patch version must look like 7.0.2046.530.', { value: preview(raw) });
}

/** A plain file name with no folder part: letters, digits, dot, dash, underscore. */
export function validateFileName(raw: string): Result<string> {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(exe|zip)$/i.test(raw) && !raw.includes('..')
    ? ok(raw)
    : fail('invalid-file-name', 'The package file name must be a plain .exe or .zip name.', {
        value: preview(raw),
      });
}

/**
 * A local absolute Windows folder such as C:\PatchBot\staging. Only letters, digits, spaces and
 * ._- in the segments, so the value can never end a quoted PowerShell string or expand a variable.
 */
export function validateLocalFolder(raw: string): Result<string> {
  const segments = raw.replace(/\\+$/, '').split('\\');
  const [drive, ...rest] = segments;
  const good =
    drive !== undefined &&
    /^[A-Za-z]:$/.test(drive) &&
    rest.length > 0 &&
    rest.length < 20 &&
    rest.every((s) => /^[A-Za-z0-9._ -]{1,64}$/.test(s) && s !== '.' && s !== '..');
  return good
    ? ok(segments.join('\\'))
    : fail('invalid-folder', 'The staging folder must be a local path such as C:\\PatchBot\\staging.', {
        value: preview(raw),
      });
}

/** https:// URL or UNC path (\\server\share\file) the package is copied from. */
export function validatePackageSource(raw: string): Result<string> {
  const safeChars = /^[A-Za-z0-9._~:/\\%?=&+$ -]+$/.test(raw) && !raw.includes('..');
  const https = /^https:\/\/[a-z0-9.-]+(?::\d{1,5})?\/\S+$/i.test(raw);
  const unc = /^\\\\[A-Za-z0-9.-]+\\[A-Za-z0-9$._ -]+(?:\\[A-Za-z0-9._ -]+)+$/.test(raw);
  return safeChars && (https || unc)
    ? ok(raw)
    : fail('invalid-package-source', 'The package source must be an https:// URL or a UNC path.', {
        value: preview(raw),
      });
}
