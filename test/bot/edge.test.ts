/**
 * The HTTP edge as an attacker meets it (issue 16, findings 1, 2 and 4): the whole bot from the
 * composition root over real HTTP on 127.0.0.1, probed with raw requests: other content types,
 * multipart uploads, oversized and trickling bodies, health probes, and tokens that fail.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { signRequest } from '../../src/protocol/signing.js';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import { profile } from '../procedure/fixtures.js';
import { waitUntil } from './harness.js';

const APP_ID = '11111111-2222-4333-8444-555555555555';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function freshDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startApp(env: Record<string, string> = {}, tune?: (config: Config) => void): Promise<App> {
  const dir = await freshDir('patchbot-edge-');
  const config = loadConfig({
    PORT: '0',
    PATCHBOT_DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  tune?.(config);
  const app = await createApp(config, silentLogger(), { bodyTimeoutMs: 300 });
  cleanups.push(() => app.stop());
  return app;
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One request with full control over what is written and when. `write` gets the request stream
 * and may leave it open (a trickling client); the promise settles when the bot answers.
 */
function raw(
  url: string,
  headers: Record<string, string>,
  write: (req: ReturnType<typeof request>) => void,
  method = 'POST',
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    // The bot may answer and close before the client has written everything: that is the point.
    req.on('error', (error) => reject(error));
    write(req);
  });
}

const activity = (serviceUrl: string) => ({
  type: 'message',
  id: 'a1',
  channelId: 'msteams',
  serviceUrl,
  from: { id: '29:intruder' },
  conversation: { id: 'a:intruder' },
  recipient: { id: '28:bot' },
  text: 'help',
});

function multipart(boundary: string, bytes: number): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="fill.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    Buffer.alloc(bytes, 0x41),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

describe('only JSON reaches /api/messages and the runner API (finding 1)', () => {
  it('refuses a multipart upload with 415 and writes nothing to the temp folder', async () => {
    const app = await startApp();
    const temp = await freshDir('patchbot-tmpdir-');
    const before = process.env.TMPDIR;
    // Everything in this process that asks os.tmpdir() now gets an empty folder of its own.
    process.env.TMPDIR = temp;
    cleanups.push(async () => {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    });
    const boundary = 'x-patchbot-probe';
    const body = multipart(boundary, 1024 * 1024);
    for (const target of ['/api/messages', RUNNER_API_PATHS.results]) {
      const answer = await raw(
        `${app.url}${target}`,
        {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(body.length),
        },
        (req) => req.end(body),
      ).catch((error: unknown) => ({ status: -1, text: String(error), headers: {} }));
      expect(answer.status, target).toBe(415);
    }
    expect(await readdir(temp)).toEqual([]);
  });

  it.each([
    ['application/x-www-form-urlencoded', 'type=message&text=help'],
    ['text/plain', '{"type":"message"}'],
    ['application/json; charset=utf-16', '{"type":"message"}'],
  ])('refuses %s with 415 on both routes', async (type, body) => {
    const app = await startApp();
    for (const target of ['/api/messages', RUNNER_API_PATHS.heartbeat]) {
      const answer = await raw(`${app.url}${target}`, { 'content-type': type }, (req) => req.end(body));
      expect(answer.status, target).toBe(415);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'unsupported-media-type' });
    }
  });

  it('answers 413 to a chunked body once it passes the cap, without waiting for the rest', async () => {
    const app = await startApp();
    // Chunked (no length declared); the client never ends its body. The bot must answer as soon
    // as the count passes the cap: 512 KiB for activities, 256 KiB for runner messages.
    for (const [target, over] of [
      ['/api/messages', 600 * 1024],
      [RUNNER_API_PATHS.poll, 300 * 1024],
    ] as const) {
      let sent = 0;
      const answer = await raw(`${app.url}${target}`, { 'content-type': 'application/json' }, (req) => {
        req.write('{"pad":"');
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const more = () => {
          while (sent < over) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', more);
          }
        };
        more();
      });
      expect(answer.status, target).toBe(413);
      expect(answer.headers.connection).toBe('close');
    }
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('answers 413 at once to a declared length over the cap, before any of it arrives', async () => {
    const app = await startApp();
    for (const target of ['/api/messages', RUNNER_API_PATHS.results]) {
      const answer = await raw(
        `${app.url}${target}`,
        { 'content-type': 'application/json', 'content-length': String(4 * 1024 * 1024) },
        (req) => req.write('{'),
      );
      expect(answer.status, target).toBe(413);
    }
  });

  it('ends a body that trickles in with 408 after the read timeout, and keeps serving', async () => {
    const app = await startApp();
    const trickles: Array<ReturnType<typeof setInterval>> = [];
    cleanups.push(async () => trickles.forEach(clearInterval));
    for (const target of ['/api/messages', RUNNER_API_PATHS.heartbeat]) {
      const answer = await raw(
        `${app.url}${target}`,
        { 'content-type': 'application/json', 'content-length': '100000' },
        (req) => {
          req.write('{"type":"');
          // A byte now and then: always "still sending", never done.
          trickles.push(setInterval(() => req.write('a'), 20));
        },
      );
      expect(answer.status, target).toBe(408);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'body-timeout' });
    }
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('still takes a JSON activity with a charset', async () => {
    const app = await startApp();
    const answer = await raw(
      `${app.url}/api/messages`,
      { 'content-type': 'application/json; charset=utf-8' },
      (req) =>
        req.end(
          JSON.stringify({
            type: 'conversationUpdate',
            serviceUrl: 'http://127.0.0.1:9',
            conversation: { id: 'a:1' },
          }),
        ),
    );
    expect(answer.status).toBe(200);
  });
});

describe('/healthz and /readyz are side-effect free (finding 2)', () => {
  it('leaves state.json untouched over 1,000 calls', async () => {
    const app = await startApp();
    const file = path.join(app.config.dataDir, 'state.json');
    await app.store.close();
    const before = await stat(file);
    for (let i = 0; i < 500; i++) {
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    }
    const after = await stat(file);
    expect({ ino: after.ino, mtimeMs: after.mtimeMs, size: after.size }).toEqual({
      ino: before.ino,
      mtimeMs: before.mtimeMs,
      size: before.size,
    });
  });
});

/** A token shaped like one from the Bot Connector (RS256, a key id): checking it needs the signing keys. */
function connectorShapedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [
    part({ alg: 'RS256', typ: 'JWT', kid: 'probe-key' }),
    part({ iss: 'https://api.botframework.com', aud: APP_ID, nbf: now - 60, exp: now + 600 }),
    Buffer.from('not-a-signature').toString('base64url'),
  ].join('.');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('authentication failures answer 401 or 503 with a fixed body (finding 4)', () => {
  const production = { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-used-here' };

  it('401 without a token, saying nothing about why', async () => {
    const app = await startApp(production);
    const answer = await raw(`${app.url}/api/messages`, { 'content-type': 'application/json' }, (req) =>
      req.end(JSON.stringify(activity('http://127.0.0.1:9'))),
    );
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual({
      error: 'unauthorized',
      message: 'The request is not authenticated.',
    });
  });

  it('503 with a fixed body when the signing keys cannot be fetched; the detail is not sent', async () => {
    const port = await closedPort();
    const metadata = `http://127.0.0.1:${port}/v1/.well-known/openidconfiguration`;
    const app = await startApp(production, (config) => {
      // Where botbuilder fetches the Bot Connector's signing keys: a port nobody listens on. (Set
      // one of these and botbuilder expects the rest of the cloud's settings too: the issuer.)
      config.bot = {
        ...config.bot,
        ToBotFromChannelOpenIdMetadataUrl: metadata,
        ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
      } as Config['bot'];
    });
    const answer = await raw(
      `${app.url}/api/messages`,
      { 'content-type': 'application/json', authorization: `Bearer ${connectorShapedToken()}` },
      (req) => req.end(JSON.stringify(activity('https://smba.trafficmanager.net/amer/'))),
    );
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({
      error: 'auth-unavailable',
      message: 'The bot cannot check credentials right now; retry later.',
    });
    expect(answer.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|openid|fetch/i);
  });
});

describe('runner messages for a run never handed out (finding 3, over HTTP)', () => {
  it('a signed heartbeat naming a planned run: 403 not-dispatched, audited, the run unchanged', async () => {
    const app = await startApp();
    const runner = { id: 'rn-backend01', secret: 'k'.repeat(43), server: 'backend01' };
    const info = { runnerId: runner.id, version: '1.0.0', profile: profile('sfb2019', 'backend01') };
    const seen = new Date().toISOString();
    await app.store.saveRunner({ ...runner, createdAt: seen, lastSeenAt: seen, info });
    const requested = await app.runs.request({
      request: { server: 'backend01', edition: 'standard' },
      requester: { id: '29:alex', name: 'Alex' },
      conversationId: 'a:alex',
      locale: 'en-US',
    });
    if (!requested.ok) throw new Error(requested.refusal.key);
    const run = requested.value;
    const before = structuredClone(app.store.getRun(run.id));
    const body = JSON.stringify({
      info,
      runId: run.id,
      stepId: run.plan.downtimeStartsAt,
    });
    const headers = signRequest({
      runnerId: runner.id,
      secret: runner.secret,
      method: 'POST',
      path: RUNNER_API_PATHS.heartbeat,
      body,
    });
    const answer = await raw(
      `${app.url}${RUNNER_API_PATHS.heartbeat}`,
      { 'content-type': 'application/json', ...headers },
      (req) => req.end(body),
    );
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({ error: 'not-dispatched' });
    expect(app.store.getRun(run.id)).toEqual(before);
    expect(app.store.getRunner(runner.id)?.lastSeenAt).toBe(seen);
    // The refusal is audited beside the answer, not before it.
    const audit = await waitUntil(
      async () => {
        const events = await app.store.readAudit();
        return events.some((e) => e.action === 'refuse') ? events : null;
      },
      5_000,
      'the refusal in the audit log',
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'refuse',
        runId: run.id,
        actor: { runnerId: runner.id },
        detail: expect.objectContaining({ why: 'not-dispatched' }),
      }),
    );
  });
});
