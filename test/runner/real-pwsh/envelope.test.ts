import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markerLine } from '../../../src/lab/host/framing.js';
import { BE01 } from '../../../src/lab/servers.js';
import { silentLogger } from '../../../src/log.js';
import { sessionInitCommands } from '../../../src/runner/envelope.js';
import { OutputLog } from '../../../src/runner/output.js';
import { buildResult, judge } from '../../../src/runner/results.js';
import type { Sessions } from '../../../src/runner/sessions.js';
import { PATCHBOT_MODULE_PARTS_DIR, PATCHBOT_MODULE_PATH } from '../../../src/runner/shell-config.js';
import type { ShellSession } from '../../../src/runner/shell.js';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { planFor, removeTempDirs, requestFor, tempDir } from '../support.js';
import {
  answered,
  enveloped,
  openRealShell,
  psText,
  realSessions,
  runStep,
  startLongStep,
} from './support.js';

/**
 * Twins of the stand-in's envelope and output tests (units.test.ts, shell-faults.test.ts) on real
 * pwsh: what the marker says for native programs, cmdlets and errors, what reaches stderr, and
 * that text and sizes survive the trip. One pwsh process serves the whole describe.
 */

afterAll(removeTempDirs);

const plan = planFor(BE01.profile, requestFor(BE01));
const step = (id: string) => plan.steps.find((s) => s.id === id)!;

describeOnRealPwsh('the envelope on real pwsh, after the runner’s session set-up', (pwsh) => {
  let sessions: Sessions;
  beforeAll(() => {
    sessions = realSessions(pwsh);
  });
  afterAll(() => sessions.runEnded());
  const run = (command: string) => runStep(sessions, command);

  it('sets up UTF-8 without BOM and Stop, and imports the real PatchBot.psm1 with all its step functions', async () => {
    const result = answered(
      await run(
        '[Console]::OutputEncoding.WebName; [Console]::OutputEncoding.GetPreamble().Length; $ErrorActionPreference; ' +
          "(Get-Module PatchBot).Path; (Get-Command -Module PatchBot -Name '*-PatchBot*' | Sort-Object Name).Name -join ','",
      ),
    );
    // The module's functions live in the parts it dot-sources from PatchBot/.
    const moduleText = [
      PATCHBOT_MODULE_PATH,
      ...readdirSync(PATCHBOT_MODULE_PARTS_DIR)
        .filter((f) => f.endsWith('.ps1'))
        .map((f) => join(PATCHBOT_MODULE_PARTS_DIR, f)),
    ]
      .map((file) => readFileSync(file, 'utf-8'))
      .join('\n');
    const declared = [...moduleText.matchAll(/^function\s+(\w+-PatchBot\w+)/gm)]
      .map((m) => m[1]!)
      .sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
    expect(declared.length).toBeGreaterThan(0);
    expect(result.stdout.split('\n')).toEqual([
      'utf-8',
      '0',
      'Stop',
      PATCHBOT_MODULE_PATH,
      declared.join(','),
    ]);
    expect(result).toMatchObject({ ok: true, exit: null, stderr: '' });
  });

  it.each([
    ["& sh -c 'exit 0'", 0, 'succeeded'],
    ["& sh -c 'exit 3'", 3, 'failed'],
    ['& /bin/false', 1, 'failed'],
  ] as const)('%s: the marker carries $LASTEXITCODE %i, the step %s', async (command, exit, status) => {
    const result = answered(await run(command));
    expect(result).toMatchObject({ ok: true, exit, stdout: '', stderr: '' });
    const verdict = judge(step('iis.stop'), result);
    expect(verdict.status).toBe(status);
    expect(verdict.exitCode).toBe(exit);
  });

  it('a cmdlet that ends normally reports exit null, its output before the marker', async () => {
    const result = answered(await run("Get-Date -Year 2013 -Month 2 -Day 1 -Format 'yyyy-MM-dd'; 'done'"));
    expect(result).toEqual({
      kind: 'answered',
      ok: true,
      exit: null,
      stdout: '2013-02-01\ndone',
      stderr: '',
    });
    expect(judge(step('precheck.version'), result).status).toBe('succeeded');
  });

  it('resets $LASTEXITCODE per command: an earlier native failure does not stick to the next step', async () => {
    expect(answered(await run("& sh -c 'exit 7'")).exit).toBe(7);
    expect(answered(await run("'after'")).exit).toBeNull();
  });

  it('a terminating error (throw): ok false, only the message on stderr, the step failed', async () => {
    const result = answered(
      await run("'before'; throw 'Cannot reach the Central Management Store.'; 'never'"),
    );
    expect(result).toEqual({
      kind: 'answered',
      ok: false,
      exit: null,
      stdout: 'before',
      stderr: 'Cannot reach the Central Management Store.',
    });
    expect(judge(step('precheck.version'), result)).toMatchObject({
      status: 'failed',
      reason: 'The command failed.',
    });
  });

  it.each([
    ["Write-Error 'Cannot stop RTCSRV.'", 'Cannot stop RTCSRV.'],
    [
      "Get-Item -LiteralPath '/nonexistent/patchbot/KB5031234.exe'",
      "Cannot find path '/nonexistent/patchbot/KB5031234.exe' because it does not exist.",
    ],
  ])(
    'a non-terminating error (%s) is caught under Stop: ok false, the message alone on stderr',
    async (command, message) => {
      const result = answered(await run(`${command}; 'went on'`));
      expect(result).toEqual({ kind: 'answered', ok: false, exit: null, stdout: '', stderr: message });
    },
  );

  it('a throw after a native failure reports both: ok false and the exit code', async () => {
    const result = answered(await run("& sh -c 'exit 4'; throw 'Installer failed.'"));
    expect(result).toMatchObject({ ok: false, exit: 4, stderr: 'Installer failed.' });
    expect(judge(step('update.install'), result).reason).toBe('The command failed (exit code 4).');
  });

  it('stderr text of a native program that exits 0 does not fail the step', async () => {
    const result = answered(await run("& sh -c 'echo warning: the service took long to answer >&2; exit 0'"));
    expect(result).toEqual({
      kind: 'answered',
      ok: true,
      exit: 0,
      stdout: '',
      stderr: 'warning: the service took long to answer',
    });
    const built = buildResult({
      run: { runId: 1, attempt: 1 },
      step: step('iis.start'),
      startedAt: new Date(0),
      endedAt: new Date(1),
      verdict: judge(step('iis.start'), result),
      stdout: result.stdout,
      stderr: result.stderr,
      fullOutputIn: 'run-1.log',
    });
    expect(built).toMatchObject({ status: 'succeeded', exitCode: 0, errorExcerpt: null });
    expect(built.stderr).toBe('warning: the service took long to answer');
  });

  it('warnings and host text arrive on stdout, not stderr, and do not fail the step', async () => {
    const result = answered(
      await run("Write-Warning 'The service took long to stop.'; Write-Host 'Stopping RTCSRV'; 'done'"),
    );
    expect(result).toEqual({
      kind: 'answered',
      ok: true,
      exit: null,
      stdout: 'WARNING: The service took long to stop.\nStopping RTCSRV\ndone',
      stderr: '',
    });
  });

  it('a native program failing with text on stderr: that text is the excerpt', async () => {
    const result = answered(await run("& sh -c 'echo System error 5 has occurred. >&2; exit 2'"));
    const built = buildResult({
      run: { runId: 1, attempt: 1 },
      step: step('iis.stop'),
      startedAt: new Date(0),
      endedAt: new Date(1),
      verdict: judge(step('iis.stop'), result),
      stdout: result.stdout,
      stderr: result.stderr,
      fullOutputIn: 'run-1.log',
    });
    expect(built).toMatchObject({
      status: 'failed',
      exitCode: 2,
      errorExcerpt: 'The command exited with code 2. System error 5 has occurred.',
    });
  });

  it.each([
    ["& printf 'Stopping the service...'", 0],
    ["& printf 'first line\\nStopping the service...'", 0],
    ["Write-Host 'Stopping the service...' -NoNewline", null],
    ["[Console]::Out.Write('Stopping the service...')", null],
  ])('output left without a final line break (%s) still gets its marker', async (command, exit) => {
    const result = answered(await run(command));
    expect(result).toMatchObject({ ok: true, exit, stderr: '' });
    expect(result.stdout.split('\n').at(-1)).toBe('Stopping the service...');
    expect(judge(step('iis.stop'), result).status).toBe('succeeded');
  });

  it('a command that does not parse gets no marker (never success), and the session goes on', async () => {
    const broken = await run("Write-Output 'x' )");
    expect(broken.kind).toBe('no-marker');
    expect(broken.stderr).toContain("Missing closing '}'");
    expect(judge(step('precheck.version'), broken).status).toBe('failed');
    expect(answered(await run("'still here'")).stdout).toBe('still here');
  });

  it('a prompt fails at once under -NonInteractive instead of reading stdin', async () => {
    const result = answered(await run("Read-Host 'Stop the services now?'"));
    expect(result).toMatchObject({
      ok: false,
      stderr: 'PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.',
    });
  });

  it('Ctrl-C (SIGINT) reaching pwsh stops the running step: no marker, so failed; the process lives on', async () => {
    // The stand-in used to ignore SIGINT and finish the step; real PowerShell stops the pipeline.
    const { pid, running } = await startLongStep(sessions, "'Stopping RTCSRV...'");
    process.kill(pid, 'SIGINT');
    const result = await running;
    expect(result).toEqual({ kind: 'no-marker', stdout: 'Stopping RTCSRV...', stderr: '' });
    expect(judge(step('services.stop'), result).reason).toBe(
      'PowerShell returned no result marker for this step, so it cannot be counted as done.',
    );
    expect(answered(await run('$PID')).stdout).toBe(String(pid));
  });

  describe('non-ASCII text (de-DE, zh-CN) through the UTF-8 set-up', () => {
    const german = 'Prüfung abgeschlossen: Größe übertragen, Dienste gestoppt (Straße, ÄÖÜ äöü ß).';
    const chinese = '更新已安装，服务已停止。数据库架构已更新。';

    it('from PowerShell on stdout and stderr', async () => {
      const result = answered(
        await run(`$t = ${psText(`${german} ${chinese}`)}; $t; [Console]::Error.WriteLine('Warnung: ' + $t)`),
      );
      expect(result.stdout).toBe(`${german} ${chinese}`);
      expect(result.stderr).toBe(`Warnung: ${german} ${chinese}`);
      expect(result.ok).toBe(true);
    });

    it('in an error message the envelope catches', async () => {
      const result = answered(await run(`throw (${psText(chinese)})`));
      expect(result).toMatchObject({ ok: false, stderr: chinese });
    });

    it('from a native program writing UTF-8', async () => {
      const octal = [...Buffer.from(`${german} ${chinese}`, 'utf-8')]
        .map((b) => (b < 0x80 ? String.fromCharCode(b) : `\\${b.toString(8)}`))
        .join('');
      const result = answered(await run(`& printf '${octal}\\n'`));
      expect(result).toMatchObject({ ok: true, exit: 0, stdout: `${german} ${chinese}` });
    });
  });

  it('output over the cap: capped on the step result, whole in the local output log', async () => {
    const line = 'Updating database object 0123456789 abcdefghijklmnopqrstuvwxyz';
    const result = answered(
      await run(
        `1..5000 | ForEach-Object { '${line}' }; [Console]::Error.Write("W\`n" * 5000); 'Database schema now matches 7.0.2046.530.'`,
      ),
    );
    expect(result.stdout.split('\n')).toHaveLength(5_001);
    expect(result.stderr.split('\n')).toHaveLength(5_000);

    // What the step loop does with it: the capped copy travels, the whole text goes to the log.
    const outputLog = new OutputLog(join(await tempDir(), 'logs'), silentLogger());
    const db = step('database.update');
    const built = buildResult({
      run: { runId: 77, attempt: 1 },
      step: db,
      startedAt: new Date(0),
      endedAt: new Date(1),
      verdict: judge(db, result),
      stdout: result.stdout,
      stderr: result.stderr,
      fullOutputIn: outputLog.fileFor(77),
    });
    await outputLog.append({ runId: 77, attempt: 1 }, db, {
      ...built,
      stdout: result.stdout,
      stderr: result.stderr,
    });
    expect(built.status).toBe('succeeded');
    expect(built.truncated).toBe(true);
    expect(built.stdout.length).toBeLessThanOrEqual(4000);
    expect(built.stderr.length).toBeLessThanOrEqual(4000);
    expect(built.stdout.startsWith(line)).toBe(true);
    expect(built.stdout).toContain(`full output in ${outputLog.fileFor(77)}`);
    expect(built.stdout).toMatch(/Database schema now matches 7\.0\.2046\.530\.$/);
    const log = await readFile(outputLog.fileFor(77), 'utf-8');
    expect(log.split(line).length - 1).toBe(5_000);
  });
});

describeOnRealPwsh('the envelope on real pwsh without the session’s Stop preference', (pwsh) => {
  // Only the encoding and the module: what a session would do if the Stop line were dropped.
  let shell: ShellSession;
  beforeAll(async () => {
    shell = openRealShell(pwsh);
    const [encoding, , importModule] = sessionInitCommands(PATCHBOT_MODULE_PATH);
    for (const command of [encoding!, importModule!]) {
      expect((await enveloped(shell, command)).marker).toEqual({ ok: true, exit: null });
    }
  });
  afterAll(() => shell.close());

  it('prints exactly the marker line the stand-in prints, as the last line of stdout', async () => {
    for (const [command, ok, exit] of [
      ["'x'", true, null],
      ["& sh -c 'exit 3'", true, 3],
      ["throw 'no'", false, null],
    ] as const) {
      const call = await enveloped(shell, command);
      expect(call.kind).toBe('completed');
      expect(call.rawStdout.trimEnd().split('\n').at(-1)).toBe(markerLine(call.nonce, ok, exit));
      expect(call.marker).toEqual({ ok, exit });
    }
  });

  it.each([
    ["Write-Error 'Cannot stop RTCSRV.'", 'Cannot stop RTCSRV.'],
    [
      "Get-Item -LiteralPath '/nonexistent/patchbot'",
      "Cannot find path '/nonexistent/patchbot' because it does not exist.",
    ],
  ])(
    'a non-terminating error (%s) is only printed: the command goes on and the marker says ok',
    async (command, message) => {
      const call = await enveloped(shell, `${command}; 'went on'`);
      expect(call.marker).toEqual({ ok: true, exit: null });
      expect(call.output).toBe('went on');
      // pwsh 7 prefixes the command name (ConciseView); Windows PowerShell 5.1 adds position lines.
      expect(call.stderr).toContain(message);
      // Which is why the session set-up sets Stop: without it this failure would pass as success.
      expect(
        judge(step('precheck.version'), { kind: 'answered', ...call.marker!, stdout: '', stderr: '' }).status,
      ).toBe('succeeded');
    },
  );

  it('a throw still fails the try block', async () => {
    const call = await enveloped(shell, "throw 'Cannot reach the Central Management Store.'; 'never'");
    expect(call.marker).toEqual({ ok: false, exit: null });
    expect(call.output).toBe('');
    expect(call.stderr.trim()).toBe('Cannot reach the Central Management Store.');
  });
});
