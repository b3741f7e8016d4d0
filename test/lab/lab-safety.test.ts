/**
 * Lab mode has no authentication, so it stays on this machine (issue 16, finding 7): a HOST that
 * is not loopback is refused with a clear message, and a PLAYGROUND_PORT that is taken is an
 * error naming the port, never a quiet move to another one.
 */
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PlaygroundStartError, startPlayground } from '../../src/lab/playground.js';
import { silentLogger } from '../../src/log.js';

const production = { MicrosoftAppId: '11111111-2222-4333-8444-555555555555', MicrosoftAppPassword: 'p' };

describe('lab mode listens on loopback only', () => {
  it.each(['0.0.0.0', '::', '192.168.10.5', 'bot.contoso.local', '[::]'])('refuses HOST=%s', (host) => {
    const error = (() => {
      try {
        loadConfig({ HOST: host });
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`HOST=${host} is not allowed in lab mode`);
    expect((error as Error).message).toContain('127.0.0.1');
  });

  it.each(['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost', 'LOCALHOST'])('accepts HOST=%s', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it('defaults to 127.0.0.1, and production may listen anywhere', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ ...production, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });
});

describe('a taken PLAYGROUND_PORT', () => {
  let blocker: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is an error that names the port, and nothing is started', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    dir = await mkdtemp(path.join(tmpdir(), 'patchbot-playground-'));
    const started = startPlayground({
      botEndpoint: 'http://127.0.0.1:9/api/messages',
      port,
      dataDir: dir,
      logger: silentLogger(),
      startTimeoutMs: 60_000,
    });
    await expect(started).rejects.toBeInstanceOf(PlaygroundStartError);
    await expect(started).rejects.toThrow(`PLAYGROUND_PORT ${port} is already in use by another program`);
  });
});
