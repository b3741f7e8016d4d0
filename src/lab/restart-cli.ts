import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { restartLabState, updateLabState } from './state.js';

/**
 * SIMULATED restart of a lab server, for a human in lab mode (`npm start`): when a run stops
 * asking for a restart, restart the simulated Windows with
 *
 *   npx tsx src/lab/restart-cli.ts backend01 [--dir .lab]
 *
 * then press Retry in the chat. Nothing real is restarted: it rewrites the lab server's state file
 * (.lab/servers/<name>/<name>.lab.json) as LabServer.restart() does.
 */
function main(argv: string[]): number {
  const args = [...argv];
  let dir = '.lab';
  const at = args.indexOf('--dir');
  if (at >= 0) {
    dir = args[at + 1] ?? '';
    args.splice(at, 2);
  }
  const [server, ...rest] = args;
  if (!server || rest.length > 0 || !dir) {
    process.stderr.write(
      'usage: npx tsx src/lab/restart-cli.ts <lab server> [--dir <lab folder, default .lab>]\n',
    );
    return 2;
  }
  const name = server.toLowerCase();
  const file = resolve(join(dir, 'servers', name, `${name}.lab.json`));
  if (!existsSync(file)) {
    process.stderr.write(
      `No lab server ${name} in ${resolve(dir)} (looked for ${file}). Is lab mode running?\n`,
    );
    return 1;
  }
  const state = updateLabState(file, restartLabState);
  process.stdout.write(
    `SIMULATED restart of ${state.server}: no restart pending; W3SVC and ${Object.keys(state.services).length} Cs services running. Press Retry in the chat.\n`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
