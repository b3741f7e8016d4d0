import type { RunnerIdentity } from './runner-registry.js';
import type { RunnerRecord } from './store.js';

/** What the bot learns from a runner's heartbeats: kept in the hot file, never in the registry. */
export type RunnerFacts = Pick<RunnerRecord, 'lastSeenAt' | 'info' | 'facts'>;

/**
 * A runner entry of the hot file. Before the runner registry existed the hot file held the whole
 * record, secret included; such an entry is moved to the registry when the bot opens the store.
 */
export type StoredRunner = RunnerFacts & Partial<RunnerIdentity>;

export function identityOf({ id, server, secret, createdAt }: RunnerIdentity): RunnerIdentity {
  return { id, server, secret, createdAt };
}

/** The server facts (`facts`) are kept only once a runner reported them; older entries have none. */
export function factsOf({ lastSeenAt, info, facts }: RunnerFacts): RunnerFacts {
  const kept: RunnerFacts = { lastSeenAt: lastSeenAt ?? null, info: info ?? null };
  if (facts) kept.facts = facts;
  return kept;
}

export function sameIdentity(a: RunnerIdentity | undefined, b: RunnerIdentity): boolean {
  return a?.id === b.id && a.server === b.server && a.secret === b.secret && a.createdAt === b.createdAt;
}

/** The identity an old-style hot file entry still carries, if it is one. */
export function legacyIdentity(id: string, entry: StoredRunner | undefined): RunnerIdentity | undefined {
  if (entry === undefined || typeof entry.secret !== 'string' || typeof entry.server !== 'string')
    return undefined;
  const createdAt = entry.createdAt ?? new Date(0).toISOString();
  return { id, server: entry.server, secret: entry.secret, createdAt };
}

export function hasLegacyRunners(stored: Record<string, StoredRunner>): boolean {
  return Object.entries(stored).some(([id, entry]) => legacyIdentity(id, entry) !== undefined);
}

export function mergeRunner(identity: RunnerIdentity, facts: RunnerFacts | undefined): RunnerRecord {
  const record: RunnerRecord = {
    ...identityOf(identity),
    lastSeenAt: facts?.lastSeenAt ?? null,
    info: facts?.info ?? null,
  };
  if (facts?.facts) record.facts = facts.facts;
  return record;
}
