import { afterEach, describe, expect, it } from 'vitest';
// Loaded as in the bot's process: restify changes every response's writeHead there.
import 'restify';
import { startStandbyServer, type StandbyServer } from '../../src/ha/standby-server.js';

let standby: StandbyServer | undefined;
afterEach(async () => {
  await standby?.close();
  standby = undefined;
});

describe('standby server', () => {
  it('answers /readyz 503, /healthz 200 and everything else 503 with Retry-After', async () => {
    standby = await startStandbyServer({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${standby.port}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'standby', role: 'standby' });
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ role: 'standby' });
    for (const [method, path] of [
      ['POST', '/api/messages'],
      ['POST', '/api/runner/poll'],
      ['GET', '/'],
    ] as const) {
      const answer = await fetch(`${base}${path}`, {
        method,
        ...(method === 'POST' ? { body: JSON.stringify({ hello: 'world' }) } : {}),
      });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('2');
      expect(await answer.json()).toMatchObject({ error: 'standby' });
    }
  });

  it('lets the port go at once on close, even with a connection open', async () => {
    standby = await startStandbyServer({ host: '127.0.0.1', port: 0 });
    const { port } = standby;
    await fetch(`http://127.0.0.1:${port}/healthz`, { keepalive: true });
    await standby.close();
    standby = await startStandbyServer({ host: '127.0.0.1', port });
    expect(standby.port).toBe(port);
  });
});
