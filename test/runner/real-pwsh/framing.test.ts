import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnRealPwsh } from '../../support/real-pwsh.js';
import { realSessions, runStep } from './support.js';

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
  it('completes 300 fast steps in a row, each with its own output and marker, with no control sequences', async () => {
    const sessions = realSessions(pwsh);
    try {
      const wrong: string[] = [];
      for (let i = 0; i < 300; i++) {
        const kind = i % 4;
        const command = [
          `'out ${i}'`,
          `[Console]::Error.WriteLine('err ${i}')`,
          `'out ${i}'; [Console]::Error.WriteLine('err ${i}')`,
          // An error PowerShell itself prints (it colours these for a terminal).
          `& { $ErrorActionPreference = 'Continue'; Write-Error 'err ${i}' }`,
        ][kind]!;
        const execution = await runStep(sessions, command, { timeoutMs: CALL_WAIT_MS });
        const expected = {
          kind: 'answered',
          stdout: kind === 0 || kind === 2 ? `out ${i}` : '',
          stderr: kind === 3 ? `Write-Error: err ${i}` : kind === 0 ? '' : `err ${i}`,
          ok: true,
          exit: null,
        };
        if (JSON.stringify(execution) !== JSON.stringify(expected)) {
          wrong.push(`${i}: ${JSON.stringify(execution).slice(0, 300)}`);
          if (execution.kind !== 'answered' && execution.kind !== 'no-marker') break;
        }
      }
      expect(wrong).toEqual([]);
    } finally {
      await sessions.runEnded();
    }
  }, 120_000);
});
