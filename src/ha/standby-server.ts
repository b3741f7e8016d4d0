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
    res.setHeader('Connection', 'close');
    res.setHeader('Content-Type', 'application/json');
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200).end(JSON.stringify({ status: 'ok', role: 'standby' }));
    } else if (req.method === 'GET' && path === '/readyz') {
      res.writeHead(503).end(JSON.stringify({ status: 'standby', role: 'standby' }));
    } else {
      res.setHeader('Retry-After', String(STANDBY_RETRY_AFTER_SECONDS));
      res.writeHead(503).end(
        JSON.stringify({
          error: 'standby',
          message: 'This instance is a standby; another instance serves. Retry shortly.',
        }),
      );
    }
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
