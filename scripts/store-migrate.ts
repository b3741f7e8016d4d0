/**
 * Copies the bot's file store into an empty PostgreSQL database (docs/postgresql.md).
 *
 *   npm run store:migrate -- --to postgres://patchbot@db.example.com/patchbot?sslmode=require [--from <dir>]
 *
 * The data folder defaults to PATCHBOT_DATA_DIR (see .env.example). Stop the bot first.
 */
import { runStoreMigrate } from '../src/admin/store-migrate.js';
import { loadConfig } from '../src/config.js';

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

try {
  const { dataDir } = loadConfig();
  process.exitCode = await runStoreMigrate(process.argv.slice(2), { dataDir, io });
} catch (error) {
  // Only the configuration can fail here; the command reports its own errors.
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
