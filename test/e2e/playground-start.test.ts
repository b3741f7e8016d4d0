/** startPlayground's start-up checks, without a bot or a browser. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allTenantUsers,
  LAB_TENANT,
  PlaygroundStartError,
  renderTenantYaml,
  startPlayground,
  type RunningPlayground,
} from '../../src/lab/playground.js';
import { silentLogger } from '../../src/log.js';

// Nothing listens there: the playground calls the bot only when a user acts. (Its
// /_internal/v1/config, which the web UI loads, waits ~15 s for the bot to answer; avoided here.)
const UNUSED_BOT_ENDPOINT = 'http://127.0.0.1:9/api/messages';

describe('startPlayground', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patchbot-playground-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it('refuses a busy port with an error naming it, instead of moving to another one', async () => {
    const busy = await listenOnFreePort();
    cleanups.push(() => new Promise((resolve) => busy.server.close(resolve)));
    await expect(
      startPlayground({
        botEndpoint: UNUSED_BOT_ENDPOINT,
        port: busy.port,
        dataDir: await tempDir(),
        logger: silentLogger(),
      }),
    ).rejects.toThrow(`PLAYGROUND_PORT ${busy.port} is already in use`);
  });

  it('writes the lab tenant, reports the port it listens on, and stops', async () => {
    const dataDir = await tempDir();

    const playground: RunningPlayground = await startPlayground({
      botEndpoint: UNUSED_BOT_ENDPOINT,
      port: 0,
      dataDir,
      logger: silentLogger(),
    });
    cleanups.push(() => playground.stop());

    expect(playground.url).toBe(`http://127.0.0.1:${playground.port}`);
    expect(await readFile(path.join(dataDir, 'playground-tenant.yml'), 'utf8')).toBe(
      renderTenantYaml(LAB_TENANT),
    );
    // The connector API the bot calls (TeamsInfo.getMembers) answers from the tenant file.
    const membersUrl = `${playground.url}/_connector/v3/conversations/${encodeURIComponent(LAB_TENANT.team.id)}/members`;
    const members = (await (await fetch(membersUrl)).json()) as { id: string; name: string }[];
    expect(members.map((member) => member.name).sort()).toEqual(
      allTenantUsers(LAB_TENANT)
        .map((user) => user.name)
        .sort(),
    );

    await playground.stop();
    await expect(fetch(`${playground.url}/_debug/ping`)).rejects.toThrow();
  });

  it('fails with the reason the playground logged when it rejects the tenant', async () => {
    const tenant = {
      ...LAB_TENANT,
      bot: { id: '28:x', name: 'A bot name far longer than forty-two characters' },
    };

    const starting = startPlayground({
      botEndpoint: UNUSED_BOT_ENDPOINT,
      dataDir: await tempDir(),
      logger: silentLogger(),
      tenant,
    });

    await expect(starting).rejects.toThrow(PlaygroundStartError);
    await expect(starting).rejects.toThrow(/YAML path "\/bot\/name"/);
  });

  it('refuses a tenant without exactly five users besides the current one', () => {
    expect(() => renderTenantYaml({ ...LAB_TENANT, otherUsers: LAB_TENANT.otherUsers.slice(1) })).toThrow(
      /exactly 5 users/,
    );
  });
});

function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      resolve({ server, port: address.port });
    });
  });
}
