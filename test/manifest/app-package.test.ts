import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../src/commands/declarations.js';
import { buildAppPackage, PACKAGE_FILE, TEMPLATE_FILE } from '../../src/package/build-app-package.js';
import { englishCommandDescription } from '../../src/package/command-lists.js';
import { newestBundledManifestVersion, validateManifest } from '../../src/package/manifest-schema.js';
import { PackageError } from '../../src/package/package-error.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const manifestDir = path.join(repoRoot, 'manifest');
const TEST_BOT_ID = '6b1f0c2e-94d3-4a57-8e21-3c5d7f9a0b14';

const ENV = {
  BOT_ID: TEST_BOT_ID,
  DEVELOPER_NAME: 'Contoso Unified Comms',
  WEBSITE_URL: 'https://patchbot.contoso.com/',
  PRIVACY_URL: 'https://patchbot.contoso.com/privacy',
  TERMS_URL: 'https://patchbot.contoso.com/terms',
  VALID_DOMAIN: 'patchbot.contoso.com',
};

let outDir: string;

beforeEach(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'patchbot-package-'));
  // Validation must work offline: any attempt to fetch a schema fails the test.
  vi.stubGlobal('fetch', () => Promise.reject(new Error('network used during packaging')));
});

afterEach(async () => {
  vi.unstubAllGlobals();
  await rm(outDir, { recursive: true, force: true });
});

const build = (env: Record<string, string | undefined> = ENV, dir = manifestDir) =>
  buildAppPackage({ manifestDir: dir, outDir, env, defaults: { appVersion: '0.1.0' } });

async function unzipPackage(): Promise<Record<string, Uint8Array>> {
  return unzipSync(new Uint8Array(await readFile(path.join(outDir, PACKAGE_FILE))));
}

async function failureOf(promise: Promise<unknown>): Promise<PackageError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PackageError);
  return error as PackageError;
}

describe('the app package', () => {
  it('holds exactly manifest.json and the two committed icons', async () => {
    await build();
    const files = await unzipPackage();
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    for (const icon of ['color.png', 'outline.png']) {
      expect(files[icon]).toEqual(new Uint8Array(await readFile(path.join(manifestDir, icon))));
    }
  });

  it('has a manifest.json that validates against the bundled schema, with every value filled in', async () => {
    await build();
    const text = new TextDecoder().decode((await unzipPackage())['manifest.json']);
    const manifest = JSON.parse(text) as Record<string, unknown> & { bots: { botId: string }[] };
    expect(await validateManifest(manifest)).toEqual([]);
    expect(text).not.toContain('${{');
    expect(manifest['id']).toBe(TEST_BOT_ID);
    expect(manifest.bots[0]?.botId).toBe(TEST_BOT_ID);
    expect(manifest['version']).toBe('0.1.0');
    expect(manifest['validDomains']).toEqual(['patchbot.contoso.com']);
  });

  it('uses the newest manifest schema @microsoft/app-manifest ships', async () => {
    const template = JSON.parse(await readFile(path.join(manifestDir, TEMPLATE_FILE), 'utf8')) as Record<
      string,
      string
    >;
    const newest = await newestBundledManifestVersion();
    expect(template['manifestVersion']).toBe(newest);
    expect(template['$schema']).toContain(`/teams/v${newest}/MicrosoftTeams.schema.json`);
  });

  it('declares the bot for personal, team and group chat, conversational, without files', async () => {
    const { manifest } = await build();
    expect(manifest['bots']).toMatchObject([
      { scopes: ['personal', 'team', 'groupChat'], supportsFiles: false, isNotificationOnly: false },
    ]);
  });

  it('lists the declared commands, in order, for each scope', async () => {
    const { manifest } = await build();
    const [bot] = manifest['bots'] as {
      commandLists: { scopes: string[]; commands: { title: string; description: string }[] }[];
    }[];
    expect(bot?.commandLists.map((list) => list.scopes)).toEqual([['personal'], ['team'], ['groupChat']]);
    for (const list of bot?.commandLists ?? []) {
      expect(list.commands.map((command) => command.title)).toEqual(COMMANDS.map((spec) => spec.name));
      COMMANDS.forEach((spec, index) =>
        expect(list.commands[index]?.description).toBe(englishCommandDescription(spec)),
      );
    }
  });

  it('takes APP_VERSION from the environment over the package.json default', async () => {
    const { manifest } = await build({ ...ENV, APP_VERSION: '2.3.4' });
    expect(manifest['version']).toBe('2.3.4');
  });
});

describe('packaging failures', () => {
  it('names a missing BOT_ID and writes nothing', async () => {
    const { BOT_ID: _omitted, ...withoutBotId } = ENV;
    const error = await failureOf(build(withoutBotId));
    expect(error.problems).toEqual([expect.stringMatching(/^BOT_ID is not set: .*Microsoft App ID/)]);
    await expect(readFile(path.join(outDir, PACKAGE_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('treats an empty BOT_ID as missing, never as an empty id', async () => {
    const error = await failureOf(build({ ...ENV, BOT_ID: '  ' }));
    expect(error.problems).toEqual([expect.stringMatching(/^BOT_ID is not set/)]);
  });

  it('rejects a BOT_ID that is not a GUID', async () => {
    const error = await failureOf(build({ ...ENV, BOT_ID: 'patch-bot' }));
    expect(error.message).toContain(
      'BOT_ID must be a GUID like 00000000-0000-0000-0000-000000000000, got "patch-bot"',
    );
  });

  it('reports every bad value at once, one per line', async () => {
    const error = await failureOf(
      build({
        ...ENV,
        APP_VERSION: '1.0',
        PRIVACY_URL: 'http://contoso.com/privacy',
        VALID_DOMAIN: 'https://x/y',
      }),
    );
    expect(error.problems).toHaveLength(3);
    expect(error.message.split('\n')).toHaveLength(4);
    expect(error.message).toMatch(/APP_VERSION must be major\.minor\.patch/);
    expect(error.message).toMatch(/PRIVACY_URL must use https:\/\//);
    expect(error.message).toMatch(/VALID_DOMAIN must be a host name/);
  });

  describe('with an edited template', () => {
    let editedDir: string;

    beforeEach(async () => {
      editedDir = await mkdtemp(path.join(tmpdir(), 'patchbot-template-'));
      await cp(manifestDir, editedDir, {
        recursive: true,
        filter: (source) => !source.includes(`${path.sep}build`),
      });
    });

    afterEach(() => rm(editedDir, { recursive: true, force: true }));

    async function editTemplate(edit: (template: Record<string, unknown>) => void) {
      const file = path.join(editedDir, TEMPLATE_FILE);
      const template = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      edit(template);
      await writeFile(file, JSON.stringify(template));
    }

    it('lists placeholders that have no value, with their JSON path', async () => {
      await editTemplate((template) => {
        template['name'] = { short: 'Patch Bot', full: 'Patch Bot for ${{SUPPORT_TEAM}}' };
        template['validDomains'] = ['${{ VALID_DOMAIN }}', '${{BOT_HOST}}'];
      });
      const error = await failureOf(build(ENV, editedDir));
      expect(error.message).toMatch(/placeholders with no value/);
      expect(error.problems).toEqual(['${{SUPPORT_TEAM}} at /name/full', '${{BOT_HOST}} at /validDomains/1']);
    });

    it('reports schema errors with their JSON path', async () => {
      await editTemplate((template) => {
        template['name'] = { short: 'Patch Bot for every Lync and Skype server' };
        template['accentColor'] = 'blue';
      });
      const error = await failureOf(build(ENV, editedDir));
      expect(error.message).toMatch(/does not match the Teams manifest schema v\d+\.\d+/);
      expect(error.problems).toEqual([
        '/name/short: must NOT have more than 30 characters',
        '/accentColor: must match pattern "^#[0-9a-fA-F]{6}$"',
      ]);
    });

    it('refuses a hand-written command list', async () => {
      await editTemplate((template) => {
        (template['bots'] as Record<string, unknown>[])[0]!['commandLists'] = [];
      });
      const error = await failureOf(build(ENV, editedDir));
      expect(error.problems).toEqual([expect.stringMatching(/^\/bots\/0\/commandLists: remove it/)]);
    });

    it('refuses an icon of the wrong size', async () => {
      await cp(path.join(manifestDir, 'outline.png'), path.join(editedDir, 'color.png'));
      const error = await failureOf(build(ENV, editedDir));
      expect(error.problems).toEqual(['color.png: is 32x32, must be 192x192']);
    });
  });
});

describe('npm run package (the script)', () => {
  const run = promisify(execFile);
  const script = ['--import', 'tsx', path.join(repoRoot, 'scripts', 'package.ts')];
  // Start from a clean environment so a developer's own BOT_ID cannot leak into the test.
  const baseEnv = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };

  it('writes the zip to --out-dir and says where', async () => {
    const { stdout } = await run(process.execPath, [...script, '--out-dir', outDir], {
      cwd: repoRoot,
      env: { ...baseEnv, ...ENV },
    });
    expect(stdout).toContain(path.join(outDir, PACKAGE_FILE));
    expect(Object.keys(await unzipPackage())).toHaveLength(3);
  });

  it('exits 1 and prints each problem on its own line', async () => {
    const failure = await run(process.execPath, [...script, '--out-dir', outDir], {
      cwd: repoRoot,
      env: { ...baseEnv, ...ENV, BOT_ID: 'nope', TERMS_URL: '' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr.trim().split('\n')).toEqual([
      'Cannot build the Teams app package:',
      '  - BOT_ID must be a GUID like 00000000-0000-0000-0000-000000000000, got "nope"',
      expect.stringMatching(/^ {2}- TERMS_URL is not set: /),
    ]);
  });
});
