import { describe } from 'vitest';
import { findRealPwsh, PWSH_VERSION } from '../../src/lab/real-pwsh.js';

/**
 * The real-PowerShell suites (Pester, the old-PowerShell gate, the runner on pwsh, lab parity)
 * need the pwsh that scripts/ensure-pwsh.sh restores. Without it they skip with one loud line on
 * a developer's machine; in CI (CI=true) a missing pwsh fails the run instead.
 */
export const realPwsh: string | null = findRealPwsh();

export function describeOnRealPwsh(name: string, body: (pwsh: string) => void): void {
  if (realPwsh) {
    const pwsh = realPwsh;
    describe(name, () => body(pwsh));
    return;
  }
  const why = `pwsh ${PWSH_VERSION} not found (.tools/bin/pwsh): run \`bash scripts/ensure-pwsh.sh\` with the .NET SDK installed`;
  if (process.env.CI === 'true') throw new Error(`${name}: ${why}; CI must run the real-PowerShell suites.`);
  console.warn(`\n!!! SKIPPING real-PowerShell suite "${name}": ${why}.\n`);
  describe.skipIf(true)(name, () => body(''));
}
