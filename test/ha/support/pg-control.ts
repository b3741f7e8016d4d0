import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './ports.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of one test's own, from the same Debian binaries scripts/ensure-postgres.sh
 * uses (and, as root, run by the `postgres` account through runuser as that script does), so a
 * test can restart the server under a running bot. Restarting the shared cluster instead would cut
 * every other suite's connections: `npm test` runs test files in parallel.
 */
export interface PrivateCluster {
  /** postgres://patchbot@127.0.0.1:<port>/postgres (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl restart -m fast`: every session is ended, then the server starts again. */
  restart(): Promise<void>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (!newest)
    throw new Error(
      'PostgreSQL binaries not found: run `bash scripts/ensure-postgres.sh` (npm test does this first)',
    );
  return join('/usr/lib/postgresql', newest, 'bin');
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  // As root the cluster belongs to 'postgres', which must reach its folder: /var/tmp, as the script's fallback.
  const parent = await mkdtemp(join(asRoot ? '/var/tmp' : tmpdir(), 'patchbot-ha-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(parent, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(parent, 'data');
  const as = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  const [port] = await freePorts(1);
  await as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'patchbot',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
  ]);
  const pgCtl = (...args: string[]) =>
    as(join(bin, 'pg_ctl'), ['-D', data, '-l', join(parent, 'server.log'), '-w', '-t', '60', ...args]);
  await pgCtl(
    '-o',
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories='' -c max_connections=50`,
    'start',
  );
  return {
    url: `postgres://patchbot@127.0.0.1:${port}/postgres`,
    port: port!,
    // restart reuses the options of the last start (postmaster.opts).
    restart: async () => {
      await pgCtl('restart', '-m', 'fast');
    },
    destroy: async () => {
      await pgCtl('stop', '-m', 'immediate').catch(() => undefined);
      await rm(parent, { recursive: true, force: true });
    },
  };
}
