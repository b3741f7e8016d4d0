/**
 * Builds manifest/build/appPackage.zip, the file to upload to Teams.
 *
 *   BOT_ID=... DEVELOPER_NAME=... npm run package [-- --out-dir <dir>]
 *
 * Variables are described in docs/deploy.md ("Teams app package").
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildAppPackage } from '../src/package/build-app-package.js';
import { PackageError } from '../src/package/package-error.js';

const repoRoot = new URL('../', import.meta.url);

const { values: args } = parseArgs({
  options: { 'out-dir': { type: 'string', default: fileURLToPath(new URL('manifest/build/', repoRoot)) } },
});

const packageJson = JSON.parse(await readFile(new URL('package.json', repoRoot), 'utf8')) as {
  version: string;
};

try {
  const built = await buildAppPackage({
    manifestDir: fileURLToPath(new URL('manifest/', repoRoot)),
    outDir: args['out-dir'],
    env: process.env,
    defaults: { appVersion: packageJson.version },
  });
  console.log(
    `wrote ${built.zipPath} (app ${String(built.manifest['id'])}, version ${String(built.manifest['version'])})`,
  );
} catch (error) {
  if (!(error instanceof PackageError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
