import { factsOf, legacyIdentity, type StoredRunner } from './runner-records.js';
import { isSafeRunnerId, type RegistryWarn, type RunnerRegistry } from './runner-registry.js';

/**
 * The hot file's runner map once identities live in the registry only: earlier versions kept
 * whole runner records (secrets included) in the hot file. Each such identity is written to the
 * registry before the hot file loses it, so a crash in between loses nothing; one the registry
 * already holds (a crash after that write) is kept as the registry has it. Facts of runners that
 * are no longer registered (removed by another process) are dropped too. Resolves to null when
 * the map is already as it should be.
 */
export async function runnersMovedToRegistry(
  stored: Record<string, StoredRunner>,
  registry: RunnerRegistry,
  warn: RegistryWarn,
): Promise<Record<string, StoredRunner> | null> {
  const registered = new Set(registry.ids());
  const next: Record<string, StoredRunner> = {};
  let changed = false;
  for (const [id, entry] of Object.entries(stored)) {
    const legacy = legacyIdentity(id, entry);
    if (legacy && !isSafeRunnerId(id)) {
      // The runner protocol never accepted such an id, so this runner could not have connected.
      warn(`Dropped runner "${id}" from ${registry.dir}: its id is not valid. Register the server again.`, {
        file: registry.dir,
      });
      changed = true;
      continue;
    }
    if (legacy && !registered.has(id)) {
      await registry.write(legacy);
      registered.add(id);
    }
    if (legacy || !registered.has(id)) changed = true;
    if (registered.has(id)) next[id] = factsOf(entry);
  }
  return changed ? next : null;
}
