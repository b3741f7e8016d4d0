import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/protocol/messages.js';
import type { RunReport } from '../../src/runner/executor.js';
import { BACKEND01, BE01, LAB_HOST_EXECUTABLE } from '../../src/lab/servers.js';
import {
  fixture,
  isAlive,
  type Fixture,
  jobFor,
  lastResult,
  recordingHooks,
  removeTempDirs,
  waitFor,
} from './support.js';

afterAll(removeTempDirs);

describe.concurrent('when the shell misbehaves', () => {
  it('kills a hung command at the step timeout and starts a new process for the retry', async () => {
    const f = await fixture(BACKEND01, {
      faults: [{ command: 'Assert-PatchBotFileHash', occurrence: 1, fault: { kind: 'hang' } }],
      executor: { stepTimeoutMs: (s) => (s.id === 'stage.verify' ? 700 : 15_000) },
    });
    const job = jobFor(BACKEND01);
    const report = await f.executor.run(job);
    const result = lastResult(report);
    expect(report.outcome).toBe('failed');
    expect(result.stepId).toBe('stage.verify');
    expect(result.status).toBe('timed-out');
    expect(result.errorExcerpt).toMatch(
      /No result within 0\.7 s; the PowerShell process \(pid \d+\) was killed/,
    );
    const hung = f.lab.commandLog().find((r) => r.result === 'hang');
    expect(hung?.key).toBe('Assert-PatchBotFileHash');
    expect(isAlive(hung!.pid)).toBe(false);

    // The operator retries the step: a new attempt starting there runs in a brand-new process
    // (with the normal time limit, so a busy test machine cannot make the retry time out).
    const retry = await f.newExecutor(f.journal).run({ ...job, attempt: 2, startIndex: result.index });
    expect(retry.outcome).toBe('succeeded');
    const verify = f.lab.commandLog().filter((r) => r.key === 'Assert-PatchBotFileHash');
    expect(verify).toHaveLength(2);
    expect(verify[1]!.pid).not.toBe(verify[0]!.pid);
    expect(verify[1]!.result).toBe('ok');
    await f.cleanup();
  });

  it.each([
    ['exit code 0 (node-powershell would report success)', 0],
    ['exit code 255', 255],
  ])('reports a shell that exits mid-command with %s as failed, never succeeded', async (_name, exitCode) => {
    const f = await fixture(BACKEND01, {
      faults: [
        {
          command: 'Assert-PatchBotFreeSpace',
          fault: { kind: 'crash', exitCode, partialOutput: 'Checking C: ...' },
        },
      ],
    });
    const hooks = recordingHooks();
    const report = await f.executor.run(jobFor(BACKEND01), hooks);
    const result = lastResult(report);
    expect(report.outcome).toBe('failed');
    expect(result.stepId).toBe('precheck.disk');
    expect(result.status).toBe('failed');
    expect(result.errorExcerpt).toContain(`ended during this step (exit code ${exitCode})`);
    expect(result.stdout).toContain('Checking C: ...');
    // The run halted there: nothing after the crash reached the server.
    expect(f.lab.stepCommands().at(-1)).toMatch(/^Assert-PatchBotFreeSpace/);
    // Every step up to and including the crashed one reported, nothing after it.
    expect(hooks.results.map((r) => r.stepId).at(-1)).toBe('precheck.disk');
    expect(hooks.results.map((r) => r.index)).toEqual(hooks.results.map((_, i) => i));
    await f.cleanup();
  });

  it('reports a shell killed with SIGKILL mid-step as failed and leaves the runner alive', async () => {
    const f = await fixture(BE01, { durationsMs: { 'Stop-PatchBotCsServices': 60_000_000 } });
    const running = f.executor.run(jobFor(BE01));
    const record = await waitFor(() =>
      f.lab.commandLog().find((r) => r.key === 'Stop-PatchBotCsServices' && r.result === 'running'),
    );
    process.kill(record.pid, 'SIGKILL');
    const report = await running;
    const result = lastResult(report);
    expect(result.stepId).toBe('services.stop');
    expect(result.status).toBe('failed');
    expect(result.errorExcerpt).toContain('signal SIGKILL');
    expect(report.downtimeMs).not.toBeNull();
    await f.cleanup();
  });

  it('fails a native command with a non-zero exit code and reports the code', async () => {
    const f = await fixture(BACKEND01, {
      faults: [
        {
          command: 'Stop-PatchBotIis',
          fault: { kind: 'exit', code: 2, stderr: 'System error 5 has occurred.' },
        },
      ],
    });
    const report = await f.executor.run(jobFor(BACKEND01));
    const result = lastResult(report);
    expect(result.stepId).toBe('iis.stop');
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(2);
    expect(result.errorExcerpt).toBe('The command exited with code 2. System error 5 has occurred.');
    await f.cleanup();
  });

  it('fails a cmdlet error (text on stderr, marker ok=false) with the message as excerpt', async () => {
    const f = await fixture(BE01, {
      faults: [
        {
          command: 'Assert-PatchBotVersionGap',
          fault: { kind: 'error', message: 'Cannot reach the Central Management Store.' },
        },
      ],
    });
    const report = await f.executor.run(jobFor(BE01));
    const result = lastResult(report);
    expect(result.stepId).toBe('precheck.version');
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBeNull();
    expect(result.stderr).toBe('Cannot reach the Central Management Store.');
    expect(result.errorExcerpt).toBe('The command failed. Cannot reach the Central Management Store.');
    // Nothing in the downtime phase ran.
    expect(f.lab.readState().downtime).toHaveLength(0);
    await f.cleanup();
  });
});

describe.concurrent('output handling (one run with three kinds of output)', () => {
  const line = 'Updating database object 0123456789 abcdefghijklmnopqrstuvwxyz';
  const text = 'Prüfung abgeschlossen: Größe übertragen, Dienste gestoppt. 更新已安装，服务已停止。';
  let run: Promise<{ f: Fixture; report: RunReport; byId: Map<string, StepResult> }>;
  beforeAll(() => {
    run = runWithOutputFaults();
    // Each test awaits it; this keeps a failure from also surfacing as an unhandled rejection.
    run.catch(() => undefined);
  });
  const runWithOutputFaults = async () => {
    const f = await fixture(BE01, {
      faults: [
        {
          command: 'Start-PatchBotIis',
          fault: { kind: 'stderr', text: 'warning: the service took long to answer' },
        },
        {
          command: 'Update-PatchBotDatabase',
          fault: { kind: 'output', stdout: line, stderr: 'W', repeat: 20_000 },
        },
        {
          command: 'Stop-PatchBotCsServices',
          occurrence: 1,
          fault: { kind: 'output', stdout: text, stderr: `Warnung: ${text}` },
        },
      ],
    });
    const report = await f.executor.run(jobFor(BE01));
    await f.cleanup();
    return { f, report, byId: new Map<string, StepResult>(report.results.map((r) => [r.stepId, r])) };
  };

  it('keeps stderr chatter of a command that still succeeded, without failing the step', async () => {
    const { report, byId } = await run;
    expect(report.outcome).toBe('succeeded');
    const iisStart = byId.get('iis.start')!;
    expect(iisStart.status).toBe('succeeded');
    expect(iisStart.exitCode).toBe(0);
    expect(iisStart.stderr).toBe('warning: the service took long to answer');
  });

  it('caps huge output for the wire and keeps the full text in the local log', async () => {
    const { f, report, byId } = await run;
    const db = byId.get('database.update')!;
    expect(db.status).toBe('succeeded');
    expect(db.truncated).toBe(true);
    expect(db.stdout.length).toBeLessThanOrEqual(4000);
    expect(db.stderr.length).toBeLessThanOrEqual(4000);
    const logFile = f.outputLog.fileFor(report.results[0]!.runId);
    expect(db.stdout).toContain(`full output in ${logFile}`);
    expect(db.stdout.startsWith(line)).toBe(true);
    const log = await readFile(logFile, 'utf-8');
    expect(log.split(line).length - 1).toBe(20_000);
    expect(byId.get('iis.start')!.truncated).toBe(false);
  });

  it('carries German umlauts and Chinese text through unharmed (UTF-8 session)', async () => {
    const { byId } = await run;
    const stop = byId.get('services.stop')!;
    // The fault's text comes first, then the function's own line.
    expect(stop.stdout.split('\n')[0]).toBe(text);
    expect(stop.stderr).toBe(`Warnung: ${text}`);
  });
});

describe.concurrent('when the shell cannot start', () => {
  it('survives a shell that dies before the first command (bad start-up options)', async () => {
    const f = await fixture(BACKEND01, {
      executor: { shell: { executable: LAB_HOST_EXECUTABLE, executableOptions: { '-Bogus': true } } },
    });
    const report = await f.executor.run(jobFor(BACKEND01));
    const result = lastResult(report);
    expect(result.status).toBe('failed');
    expect(result.errorExcerpt).toMatch(/PowerShell exited while starting \(exit code 64\)/);
    expect(result.errorExcerpt).toContain('simulator: unsupported argument "-Bogus"');
    await f.cleanup();
  });

  it('refuses to start when the executable does not exist, as a failed step', async () => {
    const f = await fixture(BACKEND01, {
      executor: { shell: { executable: '/nonexistent/powershell', executableOptions: {} } },
    });
    const report = await f.executor.run(jobFor(BACKEND01));
    const result = lastResult(report);
    expect(result.status).toBe('failed');
    expect(result.errorExcerpt).toMatch(/could not be started: spawn \/nonexistent\/powershell ENOENT/);
    await f.cleanup();
  });
});
