import { setTimeout as delay } from 'node:timers/promises';

/** Sleeps, cut short (without an error) when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(Math.max(0, ms), undefined, { signal }).catch(() => undefined);
}

/** A sleep that wake() cuts short; a wake() while nobody waits ends the next wait at once. */
export class Wakeup {
  #controller = new AbortController();
  #closed = false;

  wake(): void {
    this.#controller.abort();
  }

  /** Every wait from now on returns at once. */
  close(): void {
    this.#closed = true;
    this.#controller.abort();
  }

  async wait(ms: number): Promise<void> {
    await pause(ms, this.#controller.signal);
    if (this.#controller.signal.aborted && !this.#closed) this.#controller = new AbortController();
  }
}
