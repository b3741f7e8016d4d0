import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, createLabServer } from '../../src/lab/servers.js';
import { silentLogger } from '../../src/log.js';
import { Sessions } from '../../src/runner/sessions.js';
import {
  checkShellEnvironment,
  PATCHBOT_MODULE_PATH,
  windowsPowerShell,
} from '../../src/runner/shell-config.js';
import type { ShellSpec } from '../../src/runner/shell.js';
import { compiledLabHost } from './compiled-host.js';
import { removeTempDirs, tempDir, waitFor } from './support.js';

/**
 * ShellSpec.setupCommands: lab-only commands every new session runs first (the real-pwsh lab
 * engine loads its fake Windows/Lync layer with one). Production never has any.
 */

afterAll(removeTempDirs);

describe('setup commands outside the lab', () => {
  it('the production shell has none', () => {
    expect(windowsPowerShell().setupCommands).toBeUndefined();
  });

  it('are refused outside lab mode and accepted in it', () => {
    const spec: ShellSpec = { ...windowsPowerShell(), setupCommands: ['Import-Module -Name C:\\lab.psm1'] };
    const refused = checkShellEnvironment(spec, { lab: false, env: {} });
    expect(refused.ok ? null : refused.error.code).toBe('lab-setup-outside-lab');
    expect(checkShellEnvironment({ ...spec, setupCommands: [] }, { lab: false, env: {} }).ok).toBe(true);
    expect(checkShellEnvironment(spec, { lab: true, env: {} }).ok).toBe(true);
  });
});

describe('setup commands in a session', () => {
  async function labSessions(setupCommands: string[]) {
    const dir = await tempDir();
    const lab = createLabServer(BACKEND01, { dir: join(dir, 'lab'), timeScale: 0.0001 });
    const sessions = new Sessions({
      shell: { ...lab.shell, executable: await compiledLabHost(), setupCommands },
      modulePath: PATCHBOT_MODULE_PATH,
      startTimeoutMs: 20_000,
      logger: silentLogger(),
    });
    return { lab, sessions };
  }

  const step = { fresh: false, replay: [], timeoutMs: 20_000, prestart: false };

  it('run enveloped before the runner set-up, and a failing one stops the session there', async () => {
    // The stand-in knows no lab set-up command: it answers "unknown" with ok=false, in the envelope.
    const { lab, sessions } = await labSessions(['Set-LabNothing']);
    const execution = await sessions.execute('Assert-PatchBotNoPendingReboot', step);
    await sessions.runEnded();
    expect(execution.kind).toBe('session-failed');
    expect(execution.kind === 'session-failed' ? execution.reason : '').toBe(
      'PowerShell session set-up failed at "Set-LabNothing".',
    );
    // It came first, enveloped (the stand-in logs unenveloped text under another key); nothing after it.
    expect(lab.commandLog().map((r) => `${r.kind} ${r.key} ${r.command}`)).toEqual([
      'unknown Set-LabNothing Set-LabNothing',
    ]);
  });

  it('go to a spare as soon as it starts, and are not sent again when a step takes it', async () => {
    // A line the stand-in knows (the runner's own encoding line) stands in for the lab's set-up.
    const labLine = '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding -ArgumentList $false';
    const { lab, sessions } = await labSessions([labLine]);
    const first = await sessions.execute('Assert-PatchBotNoPendingReboot', { ...step, prestart: true });
    expect(first).toMatchObject({ kind: 'answered', ok: true });
    // The step's own process is the one that ran it: the spare may have logged its line first.
    const firstPid = lab.commandLog().find((r) => r.key === 'Assert-PatchBotNoPendingReboot')?.pid;
    expect(firstPid).toBeDefined();
    // The spare runs the lab's line on its own, before any step needs it.
    // A spare's start can take long on a loaded machine (the whole suite at once): a bound, not a timing.
    const spareRecord = await waitFor(() => lab.commandLog().find((r) => r.pid !== firstPid), 60_000);
    const takenAt = new Date().toISOString();
    expect(spareRecord.key).toBe('init.encoding');
    const second = await sessions.execute('Assert-PatchBotCsAdministrator', { ...step, fresh: true });
    await sessions.runEnded();
    expect(second).toMatchObject({ kind: 'answered', ok: true });
    const bySpare = lab.commandLog().filter((r) => r.pid === spareRecord.pid);
    expect(bySpare.map((r) => r.key)).toEqual([
      'init.encoding',
      'init.encoding',
      'init.preferences',
      'init.module',
      'Assert-PatchBotCsAdministrator',
    ]);
    expect(bySpare[0]!.wallStart < takenAt).toBe(true);
    expect(bySpare[1]!.wallStart >= takenAt).toBe(true);
    // A process started when needed gets the lab's line first, then the runner's set-up.
    expect(
      lab
        .commandLog()
        .filter((r) => r.pid === firstPid)
        .map((r) => r.key),
    ).toEqual([
      'init.encoding',
      'init.encoding',
      'init.preferences',
      'init.module',
      'Assert-PatchBotNoPendingReboot',
    ]);
    // Spares start node processes: on a loaded machine (the whole suite on 2 cores) that took over
    // 30 s twice, so the test's own limit is raised to match the 60 s bound of its wait.
  }, 120_000);

  it('are refused before anything is started when not one line of printable ASCII', async () => {
    const { lab, sessions } = await labSessions(['Import-Module -Name /läb/x.psm1']);
    const execution = await sessions.execute('Assert-PatchBotNoPendingReboot', step);
    await sessions.runEnded();
    expect(execution).toMatchObject({
      kind: 'session-failed',
      reason: 'Refused to send a command that is not one line of printable ASCII.',
    });
    expect(lab.readState().sessions).toEqual([]);
  });
});
