import { fileURLToPath } from 'node:url';
import { fail, ok, type Result } from '../procedure/index.js';
import type { ShellSpec } from './shell.js';

/** The runner's own helper module; every *-PatchBot* command of the catalog lives here. */
export const PATCHBOT_MODULE_PATH = fileURLToPath(new URL('./powershell/PatchBot.psm1', import.meta.url));
/** The folder of the files PatchBot.psm1 dot-sources (its functions, by theme); it ships with the module. */
export const PATCHBOT_MODULE_PARTS_DIR = fileURLToPath(new URL('./powershell/PatchBot/', import.meta.url));

/**
 * Options every session starts with. -NonInteractive makes a would-be prompt fail instead of
 * reading stdin (which would eat node-powershell's framing); -NoProfile keeps a profile script
 * from printing, prompting or changing preferences behind the runner's back.
 */
export const SESSION_OPTIONS: Readonly<Record<string, boolean>> = {
  '-NoProfile': true,
  '-NonInteractive': true,
};

/** Windows PowerShell 5.1: the Lync and Skype for Business modules are Windows PowerShell modules. */
export function windowsPowerShell(): ShellSpec {
  return { executable: 'powershell', executableOptions: {} };
}

/**
 * node-powershell lets NODE_POWERSHELL replace any executable we pass. Our subclass ignores it,
 * but a server where it is set was configured by someone expecting it to matter, so outside lab
 * mode the runner refuses to start rather than guess which of the two was meant.
 */
export function checkShellEnvironment(
  spec: ShellSpec,
  opts: { lab: boolean; env: Record<string, string | undefined> },
): Result<ShellSpec> {
  const override = opts.env.NODE_POWERSHELL;
  if (!opts.lab && override && override !== spec.executable) {
    return fail(
      'node-powershell-override',
      `NODE_POWERSHELL is set to "${override}", but this runner must run "${spec.executable}". Unset it and restart.`,
      { value: override },
    );
  }
  if (!opts.lab && !/(^|[\\/])powershell(\.exe)?$/i.test(spec.executable)) {
    return fail(
      'not-windows-powershell',
      `Outside lab mode the runner only drives Windows PowerShell (powershell.exe), not "${spec.executable}".`,
      { value: spec.executable },
    );
  }
  if (!opts.lab && spec.setupCommands && spec.setupCommands.length > 0) {
    return fail(
      'lab-setup-outside-lab',
      'This shell configuration runs lab set-up commands in every session; outside lab mode the runner runs none.',
      { value: spec.setupCommands[0] ?? '' },
    );
  }
  return ok(spec);
}
