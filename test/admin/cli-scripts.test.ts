import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/store/lock.js';
import type { AuditEvent } from '../../src/store/store.js';
import { tempDataDir } from '../store/support.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script the way `npm run` does, with only PATCHBOT_DATA_DIR set of the bot's variables. */
function runScript(script: string, args: string[], dataDir: string): Promise<Finished> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PATCHBOT_') && !name.startsWith('MicrosoftApp')) env[name] = value;
  }
  env.PATCHBOT_DATA_DIR = dataDir;
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', path.join('scripts', script), ...args],
      { cwd: repoRoot, env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('admin scripts, run for real', () => {
  it(
    'register-runner prints the secret once, --list never does, and audit shows the registration',
    { timeout: 120_000 },
    async () => {
      const dataDir = await tempDataDir('patchbot-cli-');

      const registered = await runScript('register-runner.ts', ['be01'], dataDir);
      expect(registered.code, registered.stderr).toBe(0);
      const id = /PATCHBOT_RUNNER_ID=(\S+)/.exec(registered.stdout)?.[1];
      const secret = /Secret: +(\S+)/.exec(registered.stdout)?.[1];
      expect(id).toMatch(/^rn-be01-[0-9a-f]{8}$/);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(registered.stdout.split(secret!)).toHaveLength(2);
      // The script never takes the store's lock: it works while the bot runs.
      await expect(access(path.join(dataDir, LOCK_FILE_NAME))).rejects.toThrow(/ENOENT/);

      const listed = await runScript('register-runner.ts', ['--list'], dataDir);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain(id);
      expect(listed.stdout + listed.stderr).not.toContain(secret);

      const again = await runScript('register-runner.ts', ['be01'], dataDir);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already has a runner');
      expect(again.stdout).not.toContain('Secret:');

      const audit = await runScript('audit.ts', ['--since', '2000-01-01', '--server', 'be01'], dataDir);
      expect(audit.code, audit.stderr).toBe(0);
      const events = JSON.parse(audit.stdout) as AuditEvent[];
      expect(events.map((e) => [e.action, e.detail?.runnerId])).toEqual([['runner-register', id]]);
      for (const file of await readdir(path.join(dataDir, 'audit'))) {
        expect(await readFile(path.join(dataDir, 'audit', file), 'utf8')).not.toContain(secret);
      }

      const badDate = await runScript('audit.ts', ['--since', 'last-tuesday'], dataDir);
      expect(badDate.code).toBe(2);
      expect(badDate.stdout).toBe('');
      expect(badDate.stderr).toContain('--since "last-tuesday" is not a date');

      const removed = await runScript('register-runner.ts', ['--remove', id!], dataDir);
      expect(removed.code, removed.stderr).toBe(0);
      expect((await runScript('register-runner.ts', ['--list'], dataDir)).stdout).toBe(
        'No runners are registered.\n',
      );
    },
  );
});
