import type pg from 'pg';
import { RUNNERS_CHANNEL, type PgRunners } from './pg-runners.js';

/**
 * Keeps PgRunners current: a connection of its own LISTENs on RUNNERS_CHANNEL (a pooled one
 * could not: LISTEN belongs to a session), and a timer reads the table at least every
 * `periodMs` whatever happens to that connection. A lost listening connection is reported
 * (health) and opened again at the next tick; after it is back, the table is read once, for
 * changes notified while nobody listened.
 */
export class RunnerWatch {
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | null = null;
  private connecting = false;
  private stopped = false;

  constructor(
    private readonly runners: PgRunners,
    private readonly newClient: () => pg.Client,
    private readonly onLost: () => void,
    private readonly periodMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      void this.runners.refresh();
      void this.listen();
    }, this.periodMs);
    // The watch never keeps the process alive by itself.
    this.timer.unref();
    void this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.runners.stop();
  }

  private async listen(): Promise<void> {
    if (this.listener || this.connecting || this.stopped) return;
    this.connecting = true;
    const client = this.newClient();
    const drop = () => {
      if (this.listener !== client) return;
      this.listener = null;
      this.onLost();
      void client.end().catch(() => undefined);
    };
    // Without a listener, an 'error' on an idle client would crash the process.
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', () => void this.runners.refresh());
    try {
      await client.connect();
      await client.query(`LISTEN ${RUNNERS_CHANNEL}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.listener = client;
      void this.runners.refresh();
    } catch {
      this.onLost();
      await client.end().catch(() => undefined);
    } finally {
      this.connecting = false;
    }
  }
}
