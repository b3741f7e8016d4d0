import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BE01, createLabServer, describeLabEngine } from '../../src/lab/servers.js';
import { checkShellEnvironment } from '../../src/runner/shell-config.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';
import { removeTempDirs, tempDir } from '../runner/support.js';

afterAll(removeTempDirs);

/** Which engine plays PowerShell on the lab servers, and that the user is told. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run runner -- --lab ... plan ...`: prints the plan and the engine, runs nothing. */
function runnerCli(args: string[]) {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/runner/cli.ts',
      '--lab',
      'be01',
      'plan',
      'enterprise',
      'sql',
      'sql01.contoso.local',
      ...args,
    ],
    { cwd: ROOT, encoding: 'utf-8', timeout: 60_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the runner CLI in lab mode', () => {
  it('says which engine runs: the stand-in when asked for it', async () => {
    const dir = await tempDir();
    const cli = runnerCli(['--engine', 'stand-in', '--dir', dir]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`PowerShell: ${describeLabEngine('stand-in')}`);
  });

  it('refuses an engine it does not know', () => {
    const cli = runnerCli(['--engine', 'powershell.exe']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('--engine must be pwsh or stand-in');
  });
});

describeOnRealPwsh('lab mode where pwsh is installed', () => {
  it('the runner CLI runs real pwsh by default and says so', async () => {
    const dir = await tempDir();
    const cli = runnerCli(['--dir', dir]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`PowerShell: ${describeLabEngine('pwsh')}`);
  });

  it("a pwsh lab server's shell is the real pwsh with the lab's one set-up line, refused outside lab mode", async () => {
    const dir = await tempDir();
    const lab = createLabServer(BE01, { dir: join(dir, 'lab'), engine: 'pwsh' });
    expect(lab.engine).toBe('pwsh');
    expect(lab.shell.executable).toMatch(/\.tools\/bin\/pwsh$/);
    expect(lab.shell.executableOptions).toEqual({});
    expect(lab.shell.setupCommands).toHaveLength(1);
    expect(lab.shell.setupCommands?.[0]).toContain('LabWindows.psm1');
    expect(lab.shell.setupCommands?.[0]).toContain(lab.stateFile);
    expect(checkShellEnvironment(lab.shell, { lab: true, env: {} }).ok).toBe(true);
    expect(checkShellEnvironment(lab.shell, { lab: false, env: {} }).ok).toBe(false);
  });
});
