import pg from 'pg';
import type { CatalogPackage, PackageChange } from '../package-catalog.js';
import type { RegistryWarn } from '../runner-registry.js';
import type { RunSummary } from '../server-history.js';
import type {
  AuditEvent,
  ConversationRecord,
  OutboxDraft,
  OutboxItem,
  RunnerRecord,
  Store,
} from '../store.js';
import type { RunRecord } from '../types.js';
import { migrate } from './migrate.js';

export interface PgOpenOptions {
  readOnly?: boolean;
  warn?: RegistryWarn;
  runnerRecheckMs?: number;
  poolSize?: number;
}

const notYet = (): never => {
  throw new Error('PgStore: not implemented yet');
};

/** Skeleton: the schema is applied at open; the rest follows. */
export class PgStore implements Store {
  private constructor(
    private readonly pool: pg.Pool,
    readonly now: () => Date,
  ) {}

  static async open(
    url: string,
    now: () => Date = () => new Date(),
    options: PgOpenOptions = {},
  ): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 4 });
    const client = await pool.connect();
    try {
      if (!options.readOnly) await migrate(client);
    } finally {
      client.release();
    }
    return new PgStore(pool, now);
  }

  nextRunId = (): Promise<number> => notYet();
  getRun = (_id: number): RunRecord | undefined => notYet();
  liveRuns = (): RunRecord[] => notYet();
  saveRun = (_run: RunRecord, _messages?: readonly OutboxDraft[]): Promise<void> => notYet();
  finishedRuns = (_filter: { server?: string | undefined; limit: number }): Promise<RunRecord[]> => notYet();
  findRun = (_id: number): Promise<RunRecord | undefined> => notYet();
  recentRuns = (_server: string): RunSummary[] => notYet();
  getRunner = (_id: string): RunnerRecord | undefined => notYet();
  runners = (): RunnerRecord[] => notYet();
  saveRunner = (_runner: RunnerRecord): Promise<void> => notYet();
  noteRunnerSeen = (_id: string, _facts: Pick<RunnerRecord, 'lastSeenAt' | 'info'>): Promise<void> =>
    notYet();
  removeRunner = (_id: string): Promise<void> => notYet();
  packages = (): CatalogPackage[] => notYet();
  pendingPackageChanges = (): PackageChange[] => notYet();
  getPackageChange = (_id: number): PackageChange | undefined => notYet();
  savePackageChange = (_change: PackageChange): Promise<PackageChange> => notYet();
  getConversation = (_id: string): ConversationRecord | undefined => notYet();
  saveConversation = (_c: ConversationRecord): Promise<void> => notYet();
  appendAudit = (_event: AuditEvent): Promise<void> => notYet();
  readAudit = (_since?: Date): Promise<AuditEvent[]> => notYet();
  enqueue = (_item: OutboxDraft): Promise<OutboxItem> => notYet();
  outbox = (): OutboxItem[] => notYet();
  completeOutbox = (_id: number): Promise<void> => notYet();
  touchOutbox = (_id: number, _attempts: number): Promise<void> => notYet();
  markSending = (_id: number): Promise<void> => notYet();
  health = (): { ok: boolean } => ({ ok: true });
  close = async (): Promise<void> => {
    await this.pool.end();
  };
}
