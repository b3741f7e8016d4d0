import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { COMMANDS, type CommandSpec } from '../commands/declarations.js';
import { buildCommandLists, englishCommandDescription } from './command-lists.js';
import { validateManifest } from './manifest-schema.js';
import { PackageError } from './package-error.js';
import { readPackageValues, type PackageDefaults } from './package-variables.js';
import { readPngHeader } from './png.js';
import { substitutePlaceholders } from './placeholders.js';

export const TEMPLATE_FILE = 'manifest.template.json';
export const PACKAGE_FILE = 'appPackage.zip';
/** Icon files and the square size Teams requires for each. */
export const ICONS = [
  { file: 'color.png', size: 192 },
  { file: 'outline.png', size: 32 },
] as const;

// A fixed timestamp keeps the zip byte-identical when nothing in it changed.
const ZIP_ENTRY_TIME = new Date(2020, 0, 1);

export interface BuildAppPackageOptions {
  /** Folder holding manifest.template.json, color.png and outline.png. */
  manifestDir: string;
  /** Folder the zip is written to; created when missing. */
  outDir: string;
  /** Where the packaging variables come from (process.env in the script). */
  env: Readonly<Record<string, string | undefined>>;
  defaults: PackageDefaults;
  commands?: readonly CommandSpec[];
  describeCommand?: (spec: CommandSpec) => string;
}

export interface AppPackage {
  zipPath: string;
  manifest: Record<string, unknown>;
}

async function readTemplate(manifestDir: string): Promise<unknown> {
  const file = path.join(manifestDir, TEMPLATE_FILE);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new PackageError(`Cannot read the manifest template ${file}:`, [(error as Error).message]);
  }
}

/** The command menu is generated from the declarations, so the template must not carry its own. */
function withCommandLists(manifest: Record<string, unknown>, commandLists: unknown): Record<string, unknown> {
  const bots = manifest['bots'];
  if (!Array.isArray(bots) || bots.length === 0) {
    throw new PackageError('The manifest template is not usable:', ['/bots: must declare the bot']);
  }
  const problems = bots.flatMap((bot: Record<string, unknown>, index) =>
    'commandLists' in bot
      ? [`/bots/${index}/commandLists: remove it; it is generated from src/commands/declarations.ts`]
      : [],
  );
  if (problems.length > 0) throw new PackageError('The manifest template is not usable:', problems);
  return { ...manifest, bots: bots.map((bot: Record<string, unknown>) => ({ ...bot, commandLists })) };
}

async function readIcons(manifestDir: string): Promise<Record<string, Uint8Array>> {
  const icons: Record<string, Uint8Array> = {};
  const problems: string[] = [];
  for (const icon of ICONS) {
    const file = path.join(manifestDir, icon.file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (error) {
      problems.push(`${icon.file}: ${(error as Error).message}`);
      continue;
    }
    const header = readPngHeader(bytes);
    if (!header) problems.push(`${icon.file}: not a PNG file`);
    else if (header.width !== icon.size || header.height !== icon.size) {
      problems.push(`${icon.file}: is ${header.width}x${header.height}, must be ${icon.size}x${icon.size}`);
    } else icons[icon.file] = bytes;
  }
  if (problems.length > 0) throw new PackageError('The app icons are not usable:', problems);
  return icons;
}

/**
 * Builds the Teams app package: fills the template from the environment, adds the command
 * menu, validates against the bundled schema and zips it with the two icons.
 */
export async function buildAppPackage(options: BuildAppPackageOptions): Promise<AppPackage> {
  const values = readPackageValues(options.env, options.defaults);
  const filled = substitutePlaceholders(await readTemplate(options.manifestDir), values);
  if (filled === null || typeof filled !== 'object' || Array.isArray(filled)) {
    throw new PackageError('The manifest template is not usable:', ['/: must be a JSON object']);
  }
  const commandLists = buildCommandLists(
    options.commands ?? COMMANDS,
    options.describeCommand ?? englishCommandDescription,
  );
  const manifest = withCommandLists(filled as Record<string, unknown>, commandLists);

  const schemaErrors = await validateManifest(manifest);
  if (schemaErrors.length > 0) {
    const version = String(manifest['manifestVersion']);
    throw new PackageError(
      `manifest.json does not match the Teams manifest schema v${version}:`,
      schemaErrors,
    );
  }

  const icons = await readIcons(options.manifestDir);
  const files: Zippable = {
    'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
  };
  // PNG data is already deflated; storing it avoids compressing twice for nothing.
  for (const [file, bytes] of Object.entries(icons)) files[file] = [bytes, { level: 0 }];
  const zip = zipSync(files, { level: 9, mtime: ZIP_ENTRY_TIME });

  await mkdir(options.outDir, { recursive: true });
  const zipPath = path.join(options.outDir, PACKAGE_FILE);
  await writeFile(zipPath, zip);
  return { zipPath, manifest };
}
