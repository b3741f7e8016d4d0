import { isDeepStrictEqual } from 'node:util';
import { RUNNER_RECHECK_MS, RunnerIdentities } from './runner-identities.js';
import { runnersMovedToRegistry } from './runner-migration.js';
import {
  factsOf,
  hasLegacyRunners,
  identityOf,
  legacyIdentity,
  mergeRunner,
  sameIdentity,
  type RunnerFacts,
  type StoredRunner,
} from './runner-records.js';
import {
  InvalidRunnerIdError,
  isSafeRunnerId,
  RunnerRegistry,
  type RegistryWarn,
} from './runner-registry.js';
import type { RunnerRecord } from './store.js';

/** Same facts, whatever order their fields arrived in. */
function sameInfo(a: RunnerFacts['info'], b: RunnerFacts['info']): boolean {
  return isDeepStrictEqual(a, b);
}

/** Same server facts apart from when they were read: a fresh reading alone is no reason to write. */
function sameServerFacts(a: RunnerFacts['facts'], b: RunnerFacts['facts']): boolean {
  if (!a || !b) return !a && !b;
  return isDeepStrictEqual({ ...a, readAt: '' }, { ...b, readAt: '' });
}

/** The hot file's runner entries, as the store that owns the file lets others change them. */
export interface RunnerFactsFile {
  read(): Record<string, StoredRunner>;
  /** Sets one runner's facts (undefined removes them) and writes; undone in memory when the write fails. */
  write(id: string, facts: RunnerFacts | undefined): Promise<void>;
  /**
   * Moves a runner's last-seen time (and the time its unchanged facts were read) in memory only;
   * they reach the file with the next write.
   */
  touch(id: string, lastSeenAt: string | null, facts?: RunnerFacts['facts']): void;
  /** Replaces every entry and writes; undone in memory when the write fails. */
  writeAll(entries: Record<string, StoredRunner>): Promise<void>;
}

export interface StoreRunnersOptions {
  warn: RegistryWarn;
  /** How long a registry reading is trusted (default RUNNER_RECHECK_MS). */
  recheckMs?: number | undefined;
}

/**
 * The Store's runners: identity from the runner registry, which other processes change while
 * the bot runs (register-runner), merged with the facts the hot file keeps. Callers serialize
 * the changes (the store's mutation queue).
 */
export class StoreRunners {
  private readonly registry: RunnerRegistry;
  private readonly identities: RunnerIdentities;

  constructor(
    dataDir: string,
    private readonly facts: RunnerFactsFile,
    private readonly options: StoreRunnersOptions,
  ) {
    this.registry = new RunnerRegistry(dataDir, options.warn);
    this.identities = new RunnerIdentities(this.registry, options.recheckMs ?? RUNNER_RECHECK_MS);
  }

  get(id: string): RunnerRecord | undefined {
    const stored = this.facts.read();
    const entry = Object.hasOwn(stored, id) ? stored[id] : undefined;
    const identity = this.identities.get(id) ?? legacyIdentity(id, entry);
    return identity && mergeRunner(identity, entry);
  }

  /** Sorted by id; entries an older version left in the hot file count as registered too. */
  all(): RunnerRecord[] {
    const stored = this.facts.read();
    const records = this.identities.all().map((identity) => mergeRunner(identity, stored[identity.id]));
    const registered = new Set(records.map((record) => record.id));
    for (const [id, entry] of Object.entries(stored)) {
      const legacy = registered.has(id) ? undefined : legacyIdentity(id, entry);
      if (legacy) records.push(mergeRunner(legacy, entry));
    }
    return records.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Facts first, then the identity (only when it changed): a failed hot write changes nothing,
   * and after a failed registry write memory and disk still agree.
   */
  async save(runner: RunnerRecord): Promise<void> {
    if (!isSafeRunnerId(runner.id)) throw new InvalidRunnerIdError(runner.id);
    await this.facts.write(runner.id, factsOf(runner));
    const identity = identityOf(runner);
    if (!sameIdentity(this.registry.read(runner.id), identity)) await this.registry.write(identity);
    this.identities.remember(identity);
  }

  /**
   * Records a heartbeat. Facts never register anyone: a runner removed meanwhile stays removed.
   * A beat that only moves lastSeenAt changes memory, not the disk: the time reaches the file
   * with the store's next write (the store writes at least once a minute while runners beat).
   * Hundreds of runners beat every few seconds, and a stale time after a restart does no harm
   * (the sweep counts from the bot's own start).
   */
  async noteSeen(id: string, facts: RunnerFacts): Promise<'written' | 'in memory' | 'unknown'> {
    if (this.get(id) === undefined) return 'unknown';
    const stored = this.facts.read();
    const entry = Object.hasOwn(stored, id) ? stored[id] : undefined;
    // A beat without facts keeps the ones reported before (runners send them only when they change).
    const fresh = factsOf({ ...facts, facts: facts.facts ?? entry?.facts });
    if (
      entry !== undefined &&
      entry.lastSeenAt !== null &&
      sameInfo(entry.info, fresh.info) &&
      sameServerFacts(entry.facts, fresh.facts)
    ) {
      this.facts.touch(id, fresh.lastSeenAt, fresh.facts);
      return 'in memory';
    }
    await this.facts.write(id, fresh);
    return 'written';
  }

  /** Facts first, so a failed hot write leaves the runner as it was. */
  async remove(id: string): Promise<void> {
    await this.facts.write(id, undefined);
    await this.registry.remove(id);
    this.identities.forget(id);
  }

  /** Moves identities an older version kept in the hot file to the registry (runner-migration.ts). */
  async moveLegacyToRegistry(): Promise<void> {
    const moved = await runnersMovedToRegistry(this.facts.read(), this.registry, this.options.warn);
    if (moved !== null) await this.facts.writeAll(moved);
  }

  /** True for a hot file the bot has not yet opened since the runner registry came. */
  hasLegacy(): boolean {
    return hasLegacyRunners(this.facts.read());
  }
}
