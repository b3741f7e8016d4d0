import { describe, expect, it } from 'vitest';
import {
  loadRunnerConfig,
  RunnerConfigError,
  type LoadRunnerConfigOptions,
} from '../../src/runner/config.js';

const SECRET = 'k3Q9-runner-secret-value-7f6e5d4c3b2a1908';

const VALID_ENV = {
  PATCHBOT_BOT_URL: 'https://patchbot.contoso.com/',
  PATCHBOT_RUNNER_ID: 'runner-backend01',
  PATCHBOT_RUNNER_SECRET_FILE: 'C:\\PatchBot\\secret\\runner.secret',
  PATCHBOT_SERVER: 'BACKEND01',
  PATCHBOT_PRODUCT: 'sfb2019',
  PATCHBOT_EDITION: 'standard',
  PATCHBOT_PACKAGE_SOURCE: '\\\\fileserver01\\patches\\sfb2019\\SkypeServerUpdateInstaller.exe',
  PATCHBOT_PACKAGE_FILE: 'SkypeServerUpdateInstaller.exe',
  PATCHBOT_PACKAGE_SHA256: 'ab'.repeat(32),
  PATCHBOT_PACKAGE_VERSION: '7.0.2046.530',
  PATCHBOT_JOURNAL_DIR: '/var/tmp/patchbot-runner',
};

function load(env: Record<string, string | undefined>, extra: Partial<LoadRunnerConfigOptions> = {}) {
  return loadRunnerConfig({
    env,
    argv: [],
    readFile: () => `\uFEFF${SECRET}\r\n`,
    platform: 'win32',
    ...extra,
  });
}

function problems(env: Record<string, string | undefined>, extra: Partial<LoadRunnerConfigOptions> = {}) {
  try {
    load(env, extra);
  } catch (error) {
    if (error instanceof RunnerConfigError) return error;
    throw error;
  }
  throw new Error('expected a RunnerConfigError');
}

describe('runner configuration', () => {
  it('reads a complete environment, with defaults for the optional variables', () => {
    const config = load(VALID_ENV);
    expect(config).toMatchObject({
      botUrl: 'https://patchbot.contoso.com',
      runnerId: 'runner-backend01',
      secret: SECRET,
      secretSource: 'PATCHBOT_RUNNER_SECRET_FILE',
      shell: { executable: 'powershell' },
      logLevel: 'info',
      heartbeatIntervalMs: 5000,
      profile: {
        server: 'backend01',
        product: 'sfb2019',
        edition: 'standard',
        stagingDir: 'C:\\PatchBot\\staging',
        minFreeGb: 10,
        package: { sha256: 'AB'.repeat(32), version: '7.0.2046.530' },
      },
    });
    expect(config.warnings).toEqual([]);
  });

  it('lists every problem at once', () => {
    const error = problems({ PATCHBOT_BOT_URL: 'http://patchbot.contoso.com', PATCHBOT_MIN_FREE_GB: '0' });
    const text = error.problems.join('\n');
    for (const name of [
      'PATCHBOT_BOT_URL must use https',
      'PATCHBOT_RUNNER_ID is required',
      'PATCHBOT_RUNNER_SECRET_FILE is required',
      'PATCHBOT_SERVER is required',
      'PATCHBOT_PRODUCT is required',
      'PATCHBOT_PACKAGE_SOURCES is required without a local package',
      'PATCHBOT_MIN_FREE_GB must be a whole number from 1 to 1000',
    ]) {
      expect(text).toContain(name);
    }
    expect(error.message).toContain('runner.env.example');
  });

  it('checks each profile value with the procedure validators', () => {
    const error = problems({
      ...VALID_ENV,
      PATCHBOT_SERVER: 'back_end01',
      PATCHBOT_PRODUCT: 'lync2010',
      PATCHBOT_EDITION: 'datacenter',
      PATCHBOT_PACKAGE_SOURCE: 'ftp://files/x.exe',
      PATCHBOT_PACKAGE_SHA256: 'xyz',
      PATCHBOT_STAGING_DIR: 'D:\\a\\..\\b',
    });
    expect(error.problems).toHaveLength(6);
  });

  it('accepts plain http only for this machine', () => {
    expect(load({ ...VALID_ENV, PATCHBOT_BOT_URL: 'http://127.0.0.1:3978' }).botUrl).toBe(
      'http://127.0.0.1:3978',
    );
    expect(problems({ ...VALID_ENV, PATCHBOT_BOT_URL: 'http://10.0.0.5:3978' }).problems).toHaveLength(1);
    expect(problems({ ...VALID_ENV, PATCHBOT_BOT_URL: 'https://bot.contoso.com/patchbot' }).message).toMatch(
      /without a path/,
    );
  });

  it('refuses a secret on the command line, and never repeats it', () => {
    for (const argv of [['--secret', SECRET], [`--runner-secret=${SECRET}`], [SECRET]]) {
      const error = problems(VALID_ENV, { argv });
      expect(error.message).toMatch(/never pass the secret on the command line/);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain(SECRET.slice(0, 8));
    }
    expect(problems(VALID_ENV, { argv: ['--verbose'] }).message).toMatch(/takes no arguments/);
  });

  it('takes the secret from the file or the variable, never both, and does not echo a bad one', () => {
    const inline = { ...VALID_ENV, PATCHBOT_RUNNER_SECRET_FILE: undefined, PATCHBOT_RUNNER_SECRET: SECRET };
    const fromVariable = load(inline);
    expect(fromVariable.secret).toBe(SECRET);
    expect(fromVariable.warnings.join(' ')).toMatch(/prefer PATCHBOT_RUNNER_SECRET_FILE/);
    expect(problems({ ...inline, PATCHBOT_RUNNER_SECRET_FILE: 'C:\\s.txt' }).message).toMatch(/not both/);
    const short = problems({ ...inline, PATCHBOT_RUNNER_SECRET: 'hunter2' });
    expect(short.message).toMatch(/at least 16 characters/);
    expect(short.message).not.toContain('hunter2');
    const unreadable = problems(VALID_ENV, {
      readFile: () => {
        throw Object.assign(new Error('denied'), { code: 'EACCES' });
      },
    });
    expect(unreadable.message).toMatch(/cannot read .*runner\.secret \(EACCES\)/);
  });

  it('refuses to start when NODE_POWERSHELL or PATCHBOT_POWERSHELL is not Windows PowerShell', () => {
    expect(problems({ ...VALID_ENV, NODE_POWERSHELL: 'pwsh' }).message).toMatch(
      /NODE_POWERSHELL is set to "pwsh"/,
    );
    expect(problems({ ...VALID_ENV, PATCHBOT_POWERSHELL: 'pwsh' }).message).toMatch(/PATCHBOT_POWERSHELL:/);
    const full = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
    expect(load({ ...VALID_ENV, PATCHBOT_POWERSHELL: full }).shell.executable).toBe(full);
  });
});

describe("runner packages: the bot's catalog from allowed sources, or a local override", () => {
  const {
    PATCHBOT_PACKAGE_SOURCE,
    PATCHBOT_PACKAGE_FILE,
    PATCHBOT_PACKAGE_SHA256,
    PATCHBOT_PACKAGE_VERSION,
    ...noOverride
  } = VALID_ENV;
  const local = {
    PATCHBOT_PACKAGE_SOURCE,
    PATCHBOT_PACKAGE_FILE,
    PATCHBOT_PACKAGE_SHA256,
    PATCHBOT_PACKAGE_VERSION,
  };

  it('without PATCHBOT_PACKAGE_*: no package in the profile, the allowed sources each end in a separator', () => {
    const config = load({
      ...noOverride,
      PATCHBOT_PACKAGE_SOURCES: ' https://updates.contoso.com/cu , \\\\fileserver01\\patches\\sfb2019\\',
    });
    expect(config.profile.package).toBeUndefined();
    expect(config.packageSources).toEqual([
      'https://updates.contoso.com/cu/',
      '\\\\fileserver01\\patches\\sfb2019\\',
    ]);
    expect(config.factsIntervalMs).toBe(60 * 60_000);
  });

  it('with all four PATCHBOT_PACKAGE_*: the local override, sources optional', () => {
    const config = load(VALID_ENV);
    expect(config.profile.package?.version).toBe(local.PATCHBOT_PACKAGE_VERSION);
    expect(config.packageSources).toEqual([]);
  });

  it('refuses a partial override and names what is missing', () => {
    const error = problems({ ...noOverride, PATCHBOT_PACKAGE_VERSION: '7.0.2046.530' });
    expect(error.message).toMatch(
      /PATCHBOT_PACKAGE_SOURCE, PATCHBOT_PACKAGE_FILE, PATCHBOT_PACKAGE_SHA256 missing/,
    );
  });

  it.each([
    ['ftp://files.contoso.com/'],
    ['https://'],
    ['C:\\patches'],
    ['\\\\fileserver01'],
    ['https://updates.contoso.com/../x/'],
  ])('refuses the source prefix %s', (prefix) => {
    expect(problems({ ...noOverride, PATCHBOT_PACKAGE_SOURCES: prefix }).message).toMatch(
      /PATCHBOT_PACKAGE_SOURCES: .* is not an https:\/\/ URL or a UNC share/,
    );
  });

  it('reads PATCHBOT_FACTS_INTERVAL_MINUTES (1-1440)', () => {
    const env = { ...noOverride, PATCHBOT_PACKAGE_SOURCES: 'https://updates.contoso.com/' };
    expect(load({ ...env, PATCHBOT_FACTS_INTERVAL_MINUTES: '15' }).factsIntervalMs).toBe(15 * 60_000);
    expect(problems({ ...env, PATCHBOT_FACTS_INTERVAL_MINUTES: '0' }).message).toMatch(
      /PATCHBOT_FACTS_INTERVAL_MINUTES must be a whole number from 1 to 1440/,
    );
  });
});

describe('runner.env.example', () => {
  it('names every variable the runner configuration reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../src/runner/config.ts', import.meta.url), 'utf8');
    const example = await readFile(new URL('../../runner.env.example', import.meta.url), 'utf8');
    // Every variable is read by its name as a string literal ('PATCHBOT_...').
    const read = new Set([...source.matchAll(/'(PATCHBOT_[A-Z_]+)'/g)].map((m) => m[1]!));
    expect(read.size).toBeGreaterThan(10);
    for (const name of read) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
