import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { PackageError } from './package-error.js';

type ManifestArgument = Parameters<typeof AppManifestUtils.validateAgainstSchema>[0];
type SchemaArgument = NonNullable<Parameters<typeof AppManifestUtils.validateAgainstSchema>[1]>;

/** Where @microsoft/app-manifest keeps its copies of the Teams manifest schemas, one folder per version. */
export function bundledTeamsSchemaDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('@microsoft/app-manifest/package.json');
  return path.join(path.dirname(packageJson), 'build', 'json-schemas', 'teams');
}

function compareVersions(left: string, right: string): number {
  const a = left.split('.').map(Number);
  const b = right.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Manifest versions with a bundled schema, oldest first (devPreview is not a release and is left out). */
export async function bundledManifestVersions(): Promise<string[]> {
  const folders = await readdir(bundledTeamsSchemaDir());
  return folders
    .filter((folder) => /^v\d+(\.\d+)*$/.test(folder))
    .map((folder) => folder.slice(1))
    .sort(compareVersions);
}

export async function newestBundledManifestVersion(): Promise<string> {
  const newest = (await bundledManifestVersions()).at(-1);
  if (!newest) throw new Error(`no Teams manifest schemas found in ${bundledTeamsSchemaDir()}`);
  return newest;
}

/** Loads the schema for one manifest version from disk, so validation never needs the network. */
export async function loadBundledTeamsSchema(manifestVersion: string): Promise<object> {
  const versions = await bundledManifestVersions();
  if (!versions.includes(manifestVersion)) {
    throw new PackageError(`No bundled schema for manifestVersion "${manifestVersion}":`, [
      `@microsoft/app-manifest ships ${versions.join(', ')}`,
    ]);
  }
  const file = path.join(bundledTeamsSchemaDir(), `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
  return JSON.parse(await readFile(file, 'utf8')) as object;
}

/**
 * The package reports "<instancePath> <message>. Details: <params>"; turn that into
 * "<JSON pointer>: <message> <params>" with "/" for the document root.
 */
function formatSchemaError(raw: string): string {
  const match = /^(\S*) (.*?)\.? Details: (.*)$/s.exec(raw);
  if (!match) return raw;
  const [, pointer = '', message = '', details = ''] = match;
  return `${pointer || '/'}: ${message}${detailsWorthShowing(message, details)}`;
}

/** ajv's params often repeat what the message says ("limit", "pattern"); show them only when they add something. */
function detailsWorthShowing(message: string, details: string): string {
  let params: unknown;
  try {
    params = JSON.parse(details);
  } catch {
    return details ? ` ${details}` : '';
  }
  if (params === null || typeof params !== 'object') return '';
  const news = Object.values(params).some((value) => !message.includes(String(value)));
  return news ? ` ${details}` : '';
}

/** Validates a manifest against the bundled schema for its own manifestVersion; returns one line per error. */
export async function validateManifest(manifest: unknown): Promise<string[]> {
  const version = (manifest as { manifestVersion?: unknown } | null)?.manifestVersion;
  if (typeof version !== 'string') return ['/manifestVersion: must be a string naming a schema version'];
  const schema = await loadBundledTeamsSchema(version);
  const errors = await AppManifestUtils.validateAgainstSchema(
    manifest as ManifestArgument,
    schema as SchemaArgument,
  );
  return errors.map(formatSchemaError);
}
