import type { Store } from '../store/store.js';

/**
 * The step results already in the audit log, keyed run/step/attempt. A result is audited before
 * the run is saved; when the bot dies in between, the runner sends the result again and it is
 * applied again, and this keeps it from being audited twice. Read once from the audit months of
 * the runs that were live at start-up; a run's keys are forgotten when it ends.
 */
export class AuditedResults {
  private keys: Promise<Set<string>> | undefined;

  constructor(private readonly store: Store) {}

  static key(runId: number, stepId: string, attempt: number): string {
    return `${runId}/${stepId}/${attempt}`;
  }

  async has(key: string): Promise<boolean> {
    return (await this.load()).has(key);
  }

  async add(key: string): Promise<void> {
    (await this.load()).add(key);
  }

  async forgetRun(runId: number): Promise<void> {
    const keys = await this.load();
    for (const key of keys) if (key.startsWith(`${runId}/`)) keys.delete(key);
  }

  private load(): Promise<Set<string>> {
    this.keys ??= this.read().catch((error: unknown) => {
      // Not cached: the next result tries again (this one is refused and resent by the runner).
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }

  private async read(): Promise<Set<string>> {
    const live = this.store.liveRuns();
    if (live.length === 0) return new Set();
    const since = live.map((run) => run.requestedAt).sort()[0]!;
    const keys = new Set<string>();
    for (const event of await this.store.readAudit(new Date(since))) {
      const { step, attempt } = event.detail ?? {};
      if (event.action === 'step-result' && event.runId !== undefined)
        keys.add(AuditedResults.key(event.runId, String(step), Number(attempt)));
    }
    return keys;
  }
}
