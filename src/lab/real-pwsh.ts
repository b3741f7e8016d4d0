import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the project's pinned PowerShell 7 and Pester live once `scripts/ensure-pwsh.sh` has run
 * (`npm test` runs it first). Lab mode and the real-PowerShell tests start this pwsh; production
 * runners never do (they drive Windows PowerShell, see src/runner/shell-config.ts).
 */
export const PWSH_VERSION = '7.6.10';
export const PESTER_VERSION = '6.2.0';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const REAL_PWSH_PATH = `${ROOT}.tools/bin/pwsh`;
export const PESTER_MODULE_PATH = `${ROOT}.tools/nuget/pester/${PESTER_VERSION}/tools/Pester.psd1`;

/** The restored pwsh, or null where ensure-pwsh.sh could not restore it (no .NET SDK). */
export function findRealPwsh(): string | null {
  try {
    accessSync(REAL_PWSH_PATH, constants.X_OK);
    accessSync(PESTER_MODULE_PATH, constants.R_OK);
    return REAL_PWSH_PATH;
  } catch {
    return null;
  }
}
