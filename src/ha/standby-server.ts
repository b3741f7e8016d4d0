import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What a standby instance answers on the bot's port while another instance leads: /readyz 503,
 * so a load balancer's health probe sends traffic to the leader; /healthz 200 (the process is
 * fine, restarting it would not help); every other request 503 with Retry-After, which runners
 * honour and Bot Framework treats as a failed delivery. Nothing here reads or writes the store.
 */

export interface StandbyServer {
  /** The port it listens on (the one asked for, or the one the system chose for port 0). */
  readonly port: number;
  /** Stops listening and cuts every open connection, so the app can bind the port at once. */
  close(): Promise<void>;
}

/** Seconds a caller should wait before trying again: about one hand-over's worth. */
export const STANDBY_RETRY_AFTER_SECONDS = 2;

export async function startStandbyServer(options: { host: string; port: number }): Promise<StandbyServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // The body is never read: each answer ends its connection, so nothing is left half-read.
    // (No chaining on writeHead: restify, loaded in the same process, replaces it on every response.)
    const send = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.statusCode = status;
      for (const [name, value] of Object.entries({
        'Content-Type': 'application/json',
        Connection: 'close',
        ...headers,
      }))
        res.setHeader(name, value);
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/healthz') send(200, { status: 'ok', role: 'standby' });
    else if (req.method === 'GET' && path === '/readyz') send(503, { status: 'standby', role: 'standby' });
    else
      send(
        503,
        { error: 'standby', message: 'This instance is a standby; another instance serves. Retry shortly.' },
        { 'Retry-After': String(STANDBY_RETRY_AFTER_SECONDS) },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
