/**
 * Prints the bot's audit events as JSON.
 *
 *   npm run audit -- --since 2026-11-01 [--until 2026-11-30] [--server be01] [--run 12] [--jsonl]
 *
 * The store is the PostgreSQL database in PATCHBOT_DATABASE_URL when set, else the folder in
 * PATCHBOT_DATA_DIR (see .env.example).
 */
import { runAuditExport } from '../src/admin/audit-export.js';
import { loadConfig } from '../src/config.js';

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

try {
  const { dataDir, databaseUrl } = loadConfig();
  process.exitCode = await runAuditExport(process.argv.slice(2), { dataDir, databaseUrl, io });
} catch (error) {
  // Only the configuration can fail here; the command reports its own errors.
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
