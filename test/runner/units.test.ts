import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BE01 } from '../../src/lab/servers.js';
import { silentLogger } from '../../src/log.js';
import { MARKER_PREFIX, takeMarker, wrapCommand } from '../../src/runner/envelope.js';
import { sessionReplay } from '../../src/runner/executor.js';
import { capOutput, excerpt } from '../../src/runner/output.js';
import { judge } from '../../src/runner/results.js';
import { newProcessAhead } from '../../src/runner/session-plan.js';
import { checkShellEnvironment, windowsPowerShell } from '../../src/runner/shell-config.js';
import { ShellSession } from '../../src/runner/shell.js';
import { planFor, removeTempDirs, requestFor, tempDir } from './support.js';

afterAll(removeTempDirs);

const NONCE = '0123456789abcdef';

describe('result marker', () => {
  it('takes the marker from the last line and returns the output before it', () => {
    const out = `line 1\r\nline 2\r\n${MARKER_PREFIX} ${NONCE} {"ok":true,"exit":0}\r\n`;
    expect(takeMarker(out, NONCE)).toEqual({ marker: { ok: true, exit: 0 }, output: 'line 1\nline 2' });
    expect(takeMarker(`\uFEFF${MARKER_PREFIX} ${NONCE} {"ok":false,"exit":null}`, NONCE)).toEqual({
      marker: { ok: false, exit: null },
      output: '',
    });
  });

  it('finds the marker glued to output that left no final line break (native program, -NoNewline)', () => {
    expect(takeMarker(`no newline${MARKER_PREFIX} ${NONCE} {"ok":true,"exit":0}\n`, NONCE)).toEqual({
      marker: { ok: true, exit: 0 },
      output: 'no newline',
    });
    expect(takeMarker(`a\r\nb${MARKER_PREFIX} ${NONCE} {"ok":false,"exit":null}`, NONCE)).toEqual({
      marker: { ok: false, exit: null },
      output: 'a\nb',
    });
  });

  it.each([
    ['no marker', 'all good'],
    ['empty output (a shell that died looks like this)', ''],
    ["another invocation's nonce", `${MARKER_PREFIX} fedcba9876543210 {"ok":true,"exit":0}`],
    [
      'a marker printed by the command, not last',
      `${MARKER_PREFIX} ${NONCE} {"ok":true,"exit":0}\nmore output`,
    ],
    [
      "another invocation's marker glued to output",
      `text${MARKER_PREFIX} fedcba9876543210 {"ok":true,"exit":0}`,
    ],
    ['malformed JSON', `${MARKER_PREFIX} ${NONCE} {"ok":true,`],
    ['text after the marker', `${MARKER_PREFIX} ${NONCE} {"ok":true,"exit":0} trailing`],
    ['ok not a boolean', `${MARKER_PREFIX} ${NONCE} {"ok":"true","exit":0}`],
    ['a fractional exit code', `${MARKER_PREFIX} ${NONCE} {"ok":true,"exit":0.5}`],
  ])('counts %s as no marker', (_name, stdout) => {
    expect(takeMarker(stdout, NONCE).marker).toBeNull();
  });

  it('wraps only one line of printable ASCII', () => {
    expect(() => wrapCommand('Stop-CsWindowsService\nStop-Computer', NONCE)).toThrow();
    expect(() => wrapCommand('Write-Output ü', NONCE)).toThrow();
    expect(() => wrapCommand('Stop-CsWindowsService', 'not-a-nonce')).toThrow();
    expect(wrapCommand('Stop-CsWindowsService', NONCE)).toContain(`try { Stop-CsWindowsService } catch {`);
  });
});

describe('verdicts', () => {
  const answered = (ok: boolean, exit: number | null) => ({
    kind: 'answered' as const,
    ok,
    exit,
    stdout: '',
    stderr: '',
  });

  it.each([
    ['precheck.role', answered(true, null), 'succeeded', false],
    ['iis.stop', answered(true, 0), 'succeeded', false],
    ['iis.stop', answered(true, 2), 'failed', false],
    ['iis.stop', answered(false, null), 'failed', false],
    ['update.install', answered(true, 3010), 'succeeded', true],
    ['iis.start', answered(true, 3010), 'failed', false],
    ['update.install', answered(false, 1603), 'failed', false],
    // 1641: the installer started the restart itself; the run waits for it like for 3010.
    ['update.install', answered(true, 1641), 'succeeded', true],
    ['services.stop', answered(true, 1641), 'failed', false],
    // 1618: another installation is running (the module throws; the code says why).
    ['update.install', answered(false, 1618), 'failed', false],
    ['update.install', answered(true, 1618), 'failed', false],
    ['precheck.role', { kind: 'no-marker' as const, stdout: '', stderr: '' }, 'failed', false],
  ] as const)('%s with %j is %s', (id, execution, status, reboot) => {
    const verdict = judge({ id }, execution);
    expect(verdict.status).toBe(status);
    expect(verdict.rebootRequired).toBe(reboot);
  });

  it('1618 says plainly that another installation runs and to retry once it has finished', () => {
    const verdict = judge({ id: 'update.install' }, answered(false, 1618));
    expect(verdict.reason).toMatch(/Another installation is running .*1618.*Retry when it has finished/);
  });

  it('exit 0 with the restart flags set afterwards (said by Install-PatchBotUpdate) requires a restart', () => {
    const stdout =
      'C:\\PatchBot\\staging\\7.0.2046.530\\SkypeServerUpdateInstaller.exe finished (exit code 0), but a restart ' +
      'is pending (PendingFileRenameOperations): a restart is required to complete the update.';
    expect(judge({ id: 'update.install' }, { ...answered(true, 0), stdout }).rebootRequired).toBe(true);
    expect(
      judge({ id: 'update.install' }, { ...answered(true, 0), stdout: 'finished (exit code 0).' })
        .rebootRequired,
    ).toBe(false);
    // Only the installer step asks for a restart.
    expect(judge({ id: 'postcheck.version' }, { ...answered(true, 0), stdout }).rebootRequired).toBe(false);
  });
});

describe('output caps', () => {
  it('keeps short text and caps long text, keeping head and tail and saying where the rest is', () => {
    expect(capOutput('short', 'run.log', 100)).toEqual({ text: 'short', truncated: false });
    const long = `HEAD${'x'.repeat(10_000)}TAIL`;
    const capped = capOutput(long, 'C:\\PatchBot\\logs\\run-7.log', 400);
    expect(capped.truncated).toBe(true);
    expect(capped.text.length).toBeLessThanOrEqual(400);
    expect(capped.text.startsWith('HEAD')).toBe(true);
    expect(capped.text.endsWith('TAIL')).toBe(true);
    expect(capped.text).toContain(
      '10008 characters in all, truncated; full output in C:\\PatchBot\\logs\\run-7.log',
    );
  });

  it('folds an excerpt into one short paragraph', () => {
    expect(excerpt('a\n\n  b\tc', 400)).toBe('a b c');
    expect(excerpt('y'.repeat(1000), 400)).toHaveLength(400);
  });
});

describe('shell environment', () => {
  it('refuses NODE_POWERSHELL pointing elsewhere outside lab mode', () => {
    const spec = windowsPowerShell();
    expect(checkShellEnvironment(spec, { lab: false, env: {} }).ok).toBe(true);
    const pointed = checkShellEnvironment(spec, { lab: false, env: { NODE_POWERSHELL: '/usr/bin/pwsh' } });
    expect(pointed.ok ? null : pointed.error.code).toBe('node-powershell-override');
    expect(checkShellEnvironment(spec, { lab: true, env: { NODE_POWERSHELL: '/usr/bin/pwsh' } }).ok).toBe(
      true,
    );
    const notWindows = checkShellEnvironment(
      { executable: 'pwsh', executableOptions: {} },
      { lab: false, env: {} },
    );
    expect(notWindows.ok ? null : notWindows.error.code).toBe('not-windows-powershell');
    expect(
      checkShellEnvironment(
        {
          executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
          executableOptions: {},
        },
        { lab: false, env: {} },
      ).ok,
    ).toBe(true);
  });
});

describe('session replay on a retry that starts mid-phase', () => {
  const plan = planFor(BE01.profile, requestFor(BE01));
  const step = (id: string) => plan.steps.find((s) => s.id === id)!;

  it.each([
    ['precheck.role', []],
    ['shell.open', []],
    ['precheck.version', ['Import-Module SkypeForBusiness']],
    ['iis.stop', ['Import-Module SkypeForBusiness']],
    ['update.install', []],
    ['shell.reopen', []],
    ['database.update', ['Import-Module SkypeForBusiness']],
    ['postcheck.version', ['Import-Module SkypeForBusiness']],
  ])('%s replays %j', (id, expected) => {
    expect(sessionReplay(plan, step(id))).toEqual(expected);
  });
});

describe('which steps have a new PowerShell process started ahead', () => {
  const plan = planFor(BE01.profile, requestFor(BE01));

  it('each step up to the installer (a later step needs a new process), none after the reopen', () => {
    const ahead = plan.steps.filter((s) => newProcessAhead(plan, s)).map((s) => s.id);
    const installAt = plan.steps.findIndex((s) => s.id === 'update.install');
    expect(ahead).toEqual(plan.steps.slice(0, installAt + 1).map((s) => s.id));
  });
});

describe('the environment PowerShell starts with', () => {
  it('has TERM=dumb and NO_COLOR=1, whatever the runner was started with', async () => {
    // pwsh 7 outside Windows otherwise writes terminal control sequences into redirected output
    // (test/runner/real-pwsh/framing.test.ts shows what they break). A stand-in that prints them.
    const executable = join(await tempDir(), 'print-env');
    await writeFile(executable, '#!/bin/sh\necho "TERM=$TERM NO_COLOR=$NO_COLOR"\n');
    await chmod(executable, 0o755);
    const saved = process.env.TERM;
    process.env.TERM = 'xterm-256color';
    try {
      const shell = ShellSession.open({ executable, executableOptions: {} }, silentLogger());
      const outcome = await shell.invoke("'x'", 10_000);
      expect(outcome).toMatchObject({ kind: 'exited', stdout: 'TERM=dumb NO_COLOR=1\n' });
    } finally {
      if (saved === undefined) delete process.env.TERM;
      else process.env.TERM = saved;
    }
  });
});
