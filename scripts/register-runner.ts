/**
 * Registers, lists and removes the runners the bot accepts.
 *
 *   npm run register-runner -- <server> [--replace] | --list | --remove <runner-id>
 *
 * The store is the PostgreSQL database in PATCHBOT_DATABASE_URL when set (the runners table, with a
 * NOTIFY the bot acts on), else the folder in PATCHBOT_DATA_DIR (see .env.example). Works while the
 * bot runs: it writes only the runner registry (runners/) and the audit log, never the bot's state.json.
 */
import { runRegisterRunner } from '../src/admin/register-runner-command.js';
import { loadConfig } from '../src/config.js';

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

try {
  const { dataDir, databaseUrl } = loadConfig();
  process.exitCode = await runRegisterRunner(process.argv.slice(2), { dataDir, databaseUrl, io });
} catch (error) {
  // Only the configuration can fail here; the command reports its own errors.
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
