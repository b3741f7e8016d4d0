import type { RunnerIdentity, RunnerRegistry } from './runner-registry.js';

/**
 * How long the bot trusts what it last read from the runner registry. A runner removed by
 * another process (register-runner --remove or --replace) is refused at most this long after
 * its file is deleted; a runner registered by another process is found on its first request.
 */
export const RUNNER_RECHECK_MS = 2_000;

/**
 * The bot's view of the runner registry, cheap enough for every signed runner request: a known
 * id is answered from memory and its file read again at most every `recheckMs`; an unknown id
 * is looked up on disk at once (one failed stat when there is no such runner). The list is
 * refreshed at most every `recheckMs` by listing the folder (one call however many runners):
 * new files are read, vanished ones forgotten; a known runner's file is read again when get()
 * asks for it (the authentication path), so all() may show a runner's details up to a little
 * longer, never a runner whose file is gone.
 */
export class RunnerIdentities {
  private readonly known = new Map<string, { identity: RunnerIdentity; readAt: number }>();
  private listedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly registry: RunnerRegistry,
    private readonly recheckMs: number = RUNNER_RECHECK_MS,
    /** Monotonic milliseconds: how old a reading is does not depend on the bot's (replaceable) clock. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get(id: string): RunnerIdentity | undefined {
    const entry = this.known.get(id);
    const now = this.clock();
    if (entry && now - entry.readAt < this.recheckMs) return entry.identity;
    return this.reread(id, now);
  }

  /** Every usable identity. */
  all(): RunnerIdentity[] {
    const now = this.clock();
    if (now - this.listedAt >= this.recheckMs) this.relist(now);
    return [...this.known.values()].map((entry) => entry.identity);
  }

  /** After this process wrote the identity itself. */
  remember(identity: RunnerIdentity): void {
    this.known.set(identity.id, { identity, readAt: this.clock() });
  }

  /** After this process removed the runner itself. */
  forget(id: string): void {
    this.known.delete(id);
  }

  private reread(id: string, now: number): RunnerIdentity | undefined {
    const identity = this.registry.read(id);
    if (identity) this.known.set(id, { identity, readAt: now });
    else this.known.delete(id);
    return identity;
  }

  private relist(now: number): void {
    let ids: string[];
    try {
      ids = this.registry.ids();
    } catch (error) {
      // Keep what was known rather than refusing every runner; the warning says why.
      this.registry.warnAboutFolder(error);
      return;
    }
    const listed = new Set(ids);
    for (const id of this.known.keys()) if (!listed.has(id)) this.known.delete(id);
    for (const id of ids) if (!this.known.has(id)) this.reread(id, now);
    this.listedAt = now;
  }
}
