import { describe } from 'vitest';
import { findRealPwsh, PWSH_VERSION } from '../../src/lab/real-pwsh.js';

/**
 * The real-PowerShell suites (Pester, the old-PowerShell gate, the runner on pwsh, lab parity)
 * need the pwsh that scripts/ensure-pwsh.sh restores. Without it they skip with one loud line on
 * a developer's machine; in CI (CI=true) a missing pwsh fails the run instead.
 */
export const realPwsh: string | null = findRealPwsh();

const REAL_PWSH_TEST_TIMEOUT_MS = 180_000;

export function describeOnRealPwsh(name: string, body: (pwsh: string) => void): void {
  if (realPwsh) {
    const pwsh = realPwsh;
    // Every test here starts real pwsh processes (about 1 s of CPU each on a 2-core machine that
    // other suites share); waits inside the tests are bounded on their own, so the test's own
    // limit only has to stay out of their way.
    describe(name, { timeout: REAL_PWSH_TEST_TIMEOUT_MS }, () => body(pwsh));
    return;
  }
  const why = `pwsh ${PWSH_VERSION} not found (.tools/bin/pwsh): run \`bash scripts/ensure-pwsh.sh\` with the .NET SDK installed`;
  if (process.env.CI === 'true') throw new Error(`${name}: ${why}; CI must run the real-PowerShell suites.`);
  console.warn(`\n!!! SKIPPING real-PowerShell suite "${name}": ${why}.\n`);
  describe.skipIf(true)(name, () => body(''));
}
