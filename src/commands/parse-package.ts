import {
  fail,
  ok,
  preview,
  PRODUCT_FAMILIES,
  validateFileName,
  validatePackageSource,
  validateSha256,
  validateVersion,
  type ProductFamily,
  type Result,
} from '../procedure/index.js';
import type { PackageCommand, ParsedCommand } from './parse.js';
import { closest } from './suggest.js';

const ACTIONS = ['add', 'remove'] as const;
const REMOVE_WORDS = ['remove', 'rm', 'delete', 'del'];
const LIST_WORDS = ['list', 'ls', 'show'];
const SHA_FLAGS = ['sha256', '--sha256', '-sha256'];
const ADD_USAGE = 'package add <product> <version> <source> sha256 <hex>';
const REMOVE_USAGE = 'package remove <product> <version>';

/**
 * `package add <product> <version> <source> sha256 <hex>` and `package remove <product> <version>`.
 * Every value goes through the procedure's validators, so what reaches the catalog (and from
 * there a job) is exactly what the runner would accept as a package. `package` or `package list`
 * is the list (`packages`).
 */
export function parsePackage(tokens: string[]): Result<ParsedCommand> {
  const [head, ...rest] = tokens;
  if (head === undefined || LIST_WORDS.includes(head.toLowerCase())) {
    return rest[0] === undefined && (head === undefined || LIST_WORDS.includes(head.toLowerCase()))
      ? ok({ name: 'packages' })
      : unexpected(rest[0]!);
  }
  const action = head.toLowerCase();
  if (action === 'add') return parseAdd(rest);
  if (REMOVE_WORDS.includes(action)) return parseRemove(rest);
  const guess = closest(action, [...ACTIONS]);
  return fail(
    'package-unknown-action',
    `"${preview(head)}" is not a package action: use "${ADD_USAGE}" or "${REMOVE_USAGE}".${guess ? ` Did you mean "${guess}"?` : ''}`,
    { value: preview(head), add: ADD_USAGE, remove: REMOVE_USAGE, suggestion: guess ?? '' },
  );
}

function unexpected(token: string): Result<ParsedCommand> {
  return fail('unexpected-argument', `"${preview(token)}" is not something "package" understands.`, {
    value: preview(token),
    command: 'package',
  });
}

function missing(argument: string, usage: string): Result<ParsedCommand> {
  return fail('package-missing-argument', `"${argument}" is missing. Usage: ${usage}`, { argument, usage });
}

function parseProduct(raw: string): Result<ProductFamily> {
  const lower = raw.toLowerCase();
  if ((PRODUCT_FAMILIES as readonly string[]).includes(lower)) return ok(lower as ProductFamily);
  const guess = closest(lower, [...PRODUCT_FAMILIES]);
  return fail(
    'package-invalid-product',
    `"${preview(raw)}" is not a product: use ${PRODUCT_FAMILIES.join(', ')}.${guess ? ` Did you mean "${guess}"?` : ''}`,
    { value: preview(raw), products: PRODUCT_FAMILIES.join(', '), suggestion: guess ?? '' },
  );
}

function parseAdd(tokens: string[]): Result<ParsedCommand> {
  const positional: string[] = [];
  let sha: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const lower = token.toLowerCase();
    const [flag, inline] =
      lower.includes('=') && SHA_FLAGS.includes(lower.split('=')[0]!)
        ? [lower.split('=')[0]!, token.slice(token.indexOf('=') + 1)]
        : [lower, undefined];
    if (SHA_FLAGS.includes(flag)) {
      if (sha !== null) return unexpected(token);
      const value = inline ?? tokens[++i];
      if (value === undefined || value === '') return missing('sha256', ADD_USAGE);
      // Checked after the values typed before it, so the first mistake is the one reported.
      sha = value;
    } else if (positional.length < 3) {
      positional.push(token);
    } else {
      return unexpected(token);
    }
  }
  const [productRaw, versionRaw, sourceRaw] = positional;
  if (productRaw === undefined) return missing('product', ADD_USAGE);
  const product = parseProduct(productRaw);
  if (!product.ok) return product;
  if (versionRaw === undefined) return missing('version', ADD_USAGE);
  const version = validateVersion(versionRaw);
  if (!version.ok) return version;
  if (sourceRaw === undefined) return missing('source', ADD_USAGE);
  const source = validatePackageSource(sourceRaw);
  if (!source.ok) return source;
  const fileName = validateFileName(lastSegment(source.value));
  if (!fileName.ok) return fileName;
  if (sha === null) return missing('sha256', ADD_USAGE);
  const hash = validateSha256(sha);
  if (!hash.ok) return hash;
  const command: PackageCommand = {
    name: 'package',
    action: 'add',
    entry: {
      product: product.value,
      version: version.value,
      source: source.value,
      fileName: fileName.value,
      sha256: hash.value,
    },
  };
  return ok(command);
}

/** The file name a source ends with: after the last / or \, without a query string. */
export function lastSegment(source: string): string {
  const path = source.split(/[?#]/, 1)[0] ?? '';
  return path.split(/[/\\]/).pop() ?? '';
}

function parseRemove(tokens: string[]): Result<ParsedCommand> {
  const [productRaw, versionRaw, extra] = tokens;
  if (productRaw === undefined) return missing('product', REMOVE_USAGE);
  const product = parseProduct(productRaw);
  if (!product.ok) return product;
  if (versionRaw === undefined) return missing('version', REMOVE_USAGE);
  const version = validateVersion(versionRaw);
  if (!version.ok) return version;
  if (extra !== undefined) return unexpected(extra);
  return ok({ name: 'package', action: 'remove', product: product.value, version: version.value });
}
