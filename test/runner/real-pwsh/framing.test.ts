import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { answered, openRealShell, realSessions, runStep } from './support.js';

/**
 * node-powershell's framing with real pwsh, in the environment a developer's terminal or a CI job
 * gives the runner. pwsh 7 outside Windows writes terminal control sequences (keypad mode around
 * every line it reads, colours in error text) to redirected stdout unless TERM is `dumb` or
 * NO_COLOR is set, even with no TERM at all. Left in, they sit on the marker's line and, trailing a
 * delimiter in the same chunk, hide it from child-shell's end check: calls hang. ShellSession
 * starts PowerShell with TERM=dumb and NO_COLOR=1; these tests fail if it stops doing that.
 */

const saved = { TERM: process.env.TERM, NO_COLOR: process.env.NO_COLOR };
beforeAll(() => {
  process.env.TERM = 'xterm-256color';
  delete process.env.NO_COLOR;
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A short wait per call: a framing hang shows as a timed-out call, and the rest fail fast. */
const CALL_WAIT_MS = 15_000;

describeOnRealPwsh('node-powershell framing (bare-LF delimiters) on real pwsh', (pwsh) => {
  it('completes 300 fast calls in a row, each with exactly its own output and no control sequences', async () => {
    const shell = openRealShell(pwsh);
    try {
      const wrong: string[] = [];
      for (let i = 0; i < 300; i++) {
        const kind = i % 4;
        const command = [
          `'out ${i}'`,
          `[Console]::Error.WriteLine('err ${i}')`,
          `'out ${i}'; [Console]::Error.WriteLine('err ${i}')`,
          '$null',
        ][kind]!;
        const outcome = await shell.invoke(command, CALL_WAIT_MS);
        const expected = {
          kind: 'completed',
          stdout: kind === 0 || kind === 2 ? `out ${i}` : '',
          stderr: kind === 1 || kind === 2 ? `err ${i}` : '',
        };
        if (JSON.stringify(outcome) !== JSON.stringify(expected)) {
          wrong.push(`${i}: ${JSON.stringify(outcome).slice(0, 300)}`);
          if (outcome.kind !== 'completed') break;
        }
      }
      expect(wrong).toEqual([]);
    } finally {
      await shell.close();
    }
  }, 120_000);

  it('finds the marker of each step and gets error text without colour codes', async () => {
    const sessions = realSessions(pwsh);
    try {
      for (let i = 0; i < 20; i++) {
        expect(answered(await runStep(sessions, `'step ${i}'`, { timeoutMs: CALL_WAIT_MS }))).toMatchObject({
          ok: true,
          stdout: `step ${i}`,
        });
      }
      const printed = answered(
        await runStep(
          sessions,
          "& { $ErrorActionPreference = 'Continue'; Write-Error 'Cannot stop RTCSRV.' }",
          {
            timeoutMs: CALL_WAIT_MS,
          },
        ),
      );
      expect(printed.ok).toBe(true);
      expect(printed.stderr).toContain('Cannot stop RTCSRV.');
      expect(printed.stderr).not.toContain('\u001b');
    } finally {
      await sessions.runEnded();
    }
  });
});
