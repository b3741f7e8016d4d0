import path from 'node:path';
import { AuditLog } from './audit-log.js';
import { HotFile } from './hot-file.js';
import { parseHotState } from './hot-state.js';
import type { StoredRunner } from './runner-records.js';
import type { RegistryWarn } from './runner-registry.js';
import type { AuditEvent, RunnerRecord, Store } from './store.js';
import { StoreRunners } from './store-runners.js';

/** What registering, listing and removing runners needs from a store. */
export type RunnerAdmin = Pick<
  Store,
  'getRunner' | 'runners' | 'saveRunner' | 'removeRunner' | 'appendAudit'
>;

/**
 * The runners of a data folder for an admin command, beside the running bot and without the
 * store's lock: it changes only the runner registry and appends to the audit log, which other
 * processes may write while the bot runs, and it reads the hot file (what the bot heard from
 * each runner) but never writes it. A runner registered here starts with no facts; the facts
 * of one removed here leave the hot file when the bot next opens the store.
 */
export class RunnerAdminStore implements RunnerAdmin {
  private constructor(
    private readonly storeRunners: StoreRunners,
    private readonly audit: AuditLog,
  ) {}

  static async open(dataDir: string, options: { warn: RegistryWarn }): Promise<RunnerAdminStore> {
    const stored = await readHotFileRunners(path.join(dataDir, 'state.json'));
    const factsLeftToTheBot = {
      read: () => stored,
      write: () => Promise.resolve(),
      touch: () => undefined,
      writeAll: () => Promise.resolve(),
    };
    // Read the registry afresh on every look: a command is short and must see every change.
    const storeRunners = new StoreRunners(dataDir, factsLeftToTheBot, { warn: options.warn, recheckMs: 0 });
    return new RunnerAdminStore(storeRunners, new AuditLog(dataDir));
  }

  getRunner(id: string): RunnerRecord | undefined {
    return this.storeRunners.get(id);
  }

  runners(): RunnerRecord[] {
    return this.storeRunners.all();
  }

  saveRunner(runner: RunnerRecord): Promise<void> {
    return this.storeRunners.save(runner);
  }

  removeRunner(id: string): Promise<void> {
    return this.storeRunners.remove(id);
  }

  appendAudit(event: AuditEvent): Promise<void> {
    return this.audit.append(event);
  }

  /** True while the hot file still holds runner identities (a bot not yet upgraded and started). */
  hasLegacyRunners(): boolean {
    return this.storeRunners.hasLegacy();
  }
}

/** The hot file's runner entries, its journal replayed (never written); none when there is no hot file yet. */
async function readHotFileRunners(file: string): Promise<Record<string, StoredRunner>> {
  const state = await new HotFile(file, (text) => parseHotState(text, file)).read();
  return state?.runners ?? {};
}
