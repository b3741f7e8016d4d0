import type pg from 'pg';
import { causeOf, PgStoreWriteError, type PgTarget } from './connection.js';

/**
 * How the PostgreSQL store writes: mutations one at a time (as the file store's), each change
 * in one transaction, and what health() reports. The store changes its memory only once a
 * transaction committed, so a failure leaves memory as the database has it.
 *
 * A COMMIT that fails because the connection broke leaves it unknown whether the database took
 * the change; it is reported as not saved, like a file write whose rename may or may not have
 * happened, and the next start reads what the database holds.
 */
export class PgWriter {
  private mutations: Promise<unknown> = Promise.resolve();
  private lastWriteFailed = false;
  private connectionLost = false;
  /** performance.now() of the last committed write. */
  writtenAt = performance.now();
  closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: PgTarget,
    private readonly readOnly: boolean,
  ) {}

  health(): { ok: boolean } {
    return { ok: !this.lastWriteFailed && !this.connectionLost };
  }

  /** The pool or the listening connection lost the server (true), or a read reached it (false). */
  connection(lost: boolean): void {
    this.connectionLost = lost;
  }

  /** Runs mutations one at a time, so each one's memory change sees only its own transaction. */
  mutate<T>(mutation: () => Promise<T>): Promise<T> {
    if (this.readOnly)
      return Promise.reject(new Error(`The store PostgreSQL ${this.target.label} was opened read-only.`));
    if (this.closed) return Promise.reject(this.closedError());
    return this.queue(mutation);
  }

  closedError(): Error {
    return new Error(`The store PostgreSQL ${this.target.label} is closed.`);
  }

  /** After every mutation queued so far; for close(), which refuses new ones first. */
  queue<T>(mutation: () => Promise<T>): Promise<T> {
    const done = this.mutations.then(mutation);
    this.mutations = done.catch(() => undefined);
    return done;
  }

  /**
   * One transaction; rejects with PgStoreWriteError when the database did not take it. A pooled
   * connection the server dropped while idle fails at BEGIN, before anything was sent: the
   * transaction is tried once more on a fresh connection.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw this.failed(error);
      }
      let broken = false;
      // A checked-out client has no listener of the pool's: its connection's end would crash the process.
      const onError = () => (broken = true);
      client.on('error', onError);
      try {
        try {
          await client.query('BEGIN');
        } catch (error) {
          broken = true;
          if (attempt === 1) continue;
          throw error;
        }
        const result = await work(client);
        await client.query('COMMIT');
        this.succeeded();
        return result;
      } catch (error) {
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        throw this.failed(error);
      } finally {
        client.off('error', onError);
        // A connection that broke, or cannot even roll back, is not given back: the pool opens another.
        client.release(broken);
      }
    }
  }

  /** A single statement, atomic by itself (the audit log's appends). */
  async statement(sql: string, params: unknown[]): Promise<void> {
    try {
      await this.pool.query(sql, params);
    } catch (error) {
      throw this.failed(error);
    }
    this.succeeded();
  }

  /** A read; its failure names the database but does not change health(). */
  async read<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (error) {
      throw new Error(
        `Could not read from PostgreSQL at ${this.target.label} (${causeOf(error, this.target)}).`,
        {
          cause: error,
        },
      );
    }
  }

  private succeeded(): void {
    this.lastWriteFailed = false;
    this.connectionLost = false;
    this.writtenAt = performance.now();
  }

  private failed(error: unknown): PgStoreWriteError {
    this.lastWriteFailed = true;
    return error instanceof PgStoreWriteError ? error : new PgStoreWriteError(this.target, error);
  }
}
