import { PackageError } from './package-error.js';

/** `${{NAME}}`, the placeholder form shared with Microsoft 365 Agents Toolkit templates. */
const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** Anything that still looks like a placeholder after substitution, well-formed or not. */
const LEFTOVER = /\$\{\{.*?\}\}/g;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Leftover {
  text: string;
  path: string;
}

/**
 * Replaces placeholders inside the template's string values. Working on parsed JSON rather
 * than raw text means a value containing quotes cannot break the manifest's structure.
 */
export function substitutePlaceholders(template: unknown, values: ReadonlyMap<string, string>): unknown {
  const leftovers: Leftover[] = [];
  const result = substitute(template as Json, values, '', leftovers);
  if (leftovers.length > 0) {
    throw new PackageError(
      'The manifest template has placeholders with no value:',
      leftovers.map((leftover) => `${leftover.text} at ${leftover.path || '/'}`),
    );
  }
  return result;
}

function substitute(
  node: Json,
  values: ReadonlyMap<string, string>,
  path: string,
  leftovers: Leftover[],
): Json {
  if (typeof node === 'string') {
    const replaced = node.replace(PLACEHOLDER, (whole, name: string) => values.get(name) ?? whole);
    for (const match of replaced.matchAll(LEFTOVER)) leftovers.push({ text: match[0], path });
    return replaced;
  }
  if (Array.isArray(node))
    return node.map((item, index) => substitute(item, values, `${path}/${index}`, leftovers));
  if (node !== null && typeof node === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(node)) {
      const childPath = `${path}/${escapePointer(key)}`;
      for (const match of key.matchAll(LEFTOVER)) leftovers.push({ text: match[0], path: childPath });
      out[key] = substitute(value, values, childPath, leftovers);
    }
    return out;
  }
  return node;
}

/** JSON Pointer escaping (RFC 6901), so reported paths match the schema validator's. */
function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
