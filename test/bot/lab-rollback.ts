import type { LabFleet } from '../../src/lab/lab-fleet.js';
import { setComponentVersion } from '../../src/lab/state.js';
import { ACTIVE_STATUSES } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';

/**
 * Puts every idle lab server back on the version it started with (SIMULATED: as if an admin had
 * restored it), and tells the bot so, as the runner's next facts would. Tests that update the
 * same server again call this first: an update of a server already at the package's version is
 * "nothing to do" now, and never reaches a plan card.
 */
export async function rollBackLabServers(fleet: LabFleet, store: Store): Promise<void> {
  const busy = new Set(
    store
      .liveRuns()
      .filter((r) => ACTIVE_STATUSES.includes(r.status))
      .map((r) => r.server),
  );
  for (const server of fleet.servers) {
    const name = server.profile.server;
    if (busy.has(name)) continue;
    const start = server.spec.installedVersion;
    server.update((state) => {
      setComponentVersion(state, start);
      state.databaseVersion = start;
    });
    const runner = store.runners().find((r) => r.server === name);
    if (runner?.facts) {
      await store.saveRunner({
        ...runner,
        facts: {
          ...runner.facts,
          installedVersion: start,
          components: runner.facts.components.map((c) => ({ ...c, version: start })),
        },
      });
    }
  }
}
