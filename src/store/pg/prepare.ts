import pg from 'pg';
import type { RegistryWarn } from '../runner-registry.js';
import { clientConfig, PgSchemaError, PgStoreConnectError, type PgTarget } from './connection.js';
import { loadState, type LoadedState } from './load.js';
import { migrate, schemaVersions } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

/**
 * The first connection of a store being opened: proves the server is reachable, brings the
 * schema up to date (a read-only open only checks it) and reads the hot state. It has no
 * statement timeout, because a migration on a large table, or waiting for another instance's
 * migration, may take longer than any single write. Closed before open() returns or fails.
 */
export async function prepare(
  url: string,
  target: PgTarget,
  options: { readOnly: boolean; warn: RegistryWarn },
): Promise<LoadedState> {
  const client = new pg.Client(clientConfig(url));
  // A server that goes away mid-start is reported by the failing query; this keeps it from crashing.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new PgStoreConnectError(target, error);
  }
  try {
    if (options.readOnly) await checkSchema(client, target);
    else {
      const { unknown } = await migrate(client).catch((error: unknown) => {
        throw new PgStoreConnectError(target, error);
      });
      if (unknown.length > 0)
        options.warn(
          `The database ${target.label} has schema migrations this version does not know (${unknown.join(', ')}): ` +
            'a newer version of the bot migrated it. Running an older version against it may misbehave.',
          { file: target.label },
        );
    }
    return await loadState(client).catch((error: unknown) => {
      throw new PgStoreConnectError(target, error);
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A read-only open (admin commands beside the bot) never migrates: it needs the schema in place. */
async function checkSchema(client: pg.Client, target: PgTarget): Promise<void> {
  const versions = await schemaVersions(client).catch((error: unknown) => {
    throw new PgStoreConnectError(target, error);
  });
  const missing = MIGRATIONS.filter((m) => !versions.has(m.version)).map((m) => m.version);
  if (versions.size === 0)
    throw new PgSchemaError(target, 'has no patch-bot tables yet: start the bot once, which creates them');
  if (missing.length > 0)
    throw new PgSchemaError(
      target,
      `lacks schema migrations ${missing.join(', ')}: start this version of the bot once, which applies them`,
    );
}
