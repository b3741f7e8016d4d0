import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny load balancer for the fail-over tests, behaving like Azure's health-probed front ends:
 * it probes each backend's /readyz every probeMs and forwards every request to the one that
 * answered 200 (the leader); with none healthy it answers 503 itself. A backend that dies
 * mid-request (a SIGKILLed leader holding a runner's long poll) gives the caller a 502. Runners
 * and the Teams stand-in only ever talk to this URL.
 */
export interface Balancer {
  readonly url: string;
  /** The backend port requests go to now, or null while none is healthy. */
  readonly active: number | null;
  /** Every change of the active backend, in order. */
  readonly switches: readonly { at: number; port: number | null }[];
  /** Answers it gave itself: 503 (no healthy backend) and 502 (backend failed mid-request). */
  readonly refused: { noBackend: number; backendFailed: number };
  close(): Promise<void>;
}

export async function startBalancer(options: { backends: number[]; probeMs?: number }): Promise<Balancer> {
  const probeMs = options.probeMs ?? 250;
  let active: number | null = null;
  const switches: { at: number; port: number | null }[] = [];
  const refused = { noBackend: 0, backendFailed: 0 };
  let closed = false;

  const probe = (port: number) =>
    new Promise<boolean>((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/readyz', timeout: 1_000, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
  const probeAll = async () => {
    const healthy = await Promise.all(options.backends.map((port) => probe(port)));
    // Stay with the current backend while it is healthy; otherwise the first healthy one.
    const stillActive = active !== null && healthy[options.backends.indexOf(active)];
    const next = stillActive ? active : (options.backends.find((_, i) => healthy[i]) ?? null);
    if (next !== active) {
      active = next;
      switches.push({ at: Date.now(), port: next });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await probeAll();
    if (!closed) timer = setTimeout(() => void loop(), probeMs);
  };
  await loop();

  const server = http.createServer((req, res) => {
    const port = active;
    if (port === null) {
      refused.noBackend++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"error":"no-backend","message":"No healthy backend."}');
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${port}`, connection: 'close' },
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      refused.backendFailed++;
      res.writeHead(502, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"error":"bad-gateway","message":"The backend failed."}');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get active() {
      return active;
    },
    switches,
    refused,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
