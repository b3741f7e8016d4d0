/**
 * A lowdb data folder with something in every part of the store, made through the store itself
 * as the bot makes it; it ends as a killed bot leaves it (the outbox log not yet folded into
 * the hot file), which store:migrate must read as the bot's next start would.
 */
import type { TableCounts } from '../../src/admin/store-import.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { PackageChange } from '../../src/store/package-catalog.js';
import type { OutboxDraft, RunnerRecord } from '../../src/store/store.js';
import {
  auditEvent,
  beat,
  conversation,
  FACTS,
  packageChange,
  runner,
  settableClock,
} from '../store/contract/fixtures.js';
import { CONVERSATION, finished, makeRun } from '../store/support.js';

export interface Fixture {
  /** Every run id handed out, and one more that was never used. */
  runIds: number[];
  servers: string[];
  conversationIds: string[];
  runners: RunnerRecord[];
  /** Rows each table must end with. */
  counts: TableCounts;
  lastRunId: number;
  lastPackageChangeId: number;
  pendingChange: PackageChange;
  /** A message whose send had started when the bot stopped. */
  sendingId: number;
  sendingSince: string;
  /** A message Teams took just before the bot stopped (only the outbox log says so). */
  deliveredId: number;
}

const message = (conversationId: string, runId: number | null, text: string): OutboxDraft => ({
  conversationId,
  runId,
  kind: 'send',
  activity: { type: 'message', text },
});

export async function buildDataDir(dir: string): Promise<Fixture> {
  const clock = settableClock('2026-10-20T10:00:00Z');
  const store = await LowdbStore.open(dir, clock, { warn: () => undefined });

  const be01 = runner('rn-be01', 'be01');
  const backend01 = runner('rn-backend01', 'backend01');
  await store.saveRunner(be01);
  await store.saveRunner(backend01);
  await store.noteRunnerSeen(
    backend01.id,
    beat(backend01.id, 'backend01', '2026-10-20T10:00:00.000Z', FACTS),
  );

  // October: an update run and a readiness check.
  const october = [
    makeRun(await store.nextRunId(), { server: 'backend01', status: 'running' }),
    makeRun(await store.nextRunId(), { server: 'be01', kind: 'check', status: 'running' }),
  ];
  for (const [i, run] of october.entries())
    await store.saveRun(finished(run, 'succeeded', `2026-10-20T1${i + 1}:00:00.000Z`));
  await store.appendAudit(auditEvent('2026-10-20T10:00:00.000Z', 'request', october[0]!.id));
  await store.appendAudit(auditEvent('2026-10-20T11:00:00.000Z', 'step-result', october[0]!.id));
  await store.appendAudit(auditEvent('2026-10-20T11:00:00.000Z', 'succeeded', october[0]!.id));

  // November: one run archived twice (its card saved after it finished), one cancelled.
  clock.set('2026-11-05T09:00:00Z');
  const third = finished(
    makeRun(await store.nextRunId(), { server: 'backend01' }),
    'succeeded',
    '2026-11-05T09:00:00.000Z',
  );
  await store.saveRun(third);
  await store.saveRun({ ...third, cardActivityId: 'card-of-3' });
  const fourth = finished(
    makeRun(await store.nextRunId(), { server: 'be01' }),
    'cancelled',
    '2026-11-05T10:00:00.000Z',
  );
  await store.saveRun(fourth);
  await store.appendAudit({
    at: '2026-11-05T10:00:00.000Z',
    action: 'cancel',
    actor: { system: true },
    runId: fourth.id,
  });

  // Conversations after the finished runs: a run's end drops the ones nothing needs.
  for (const c of [
    conversation(CONVERSATION),
    conversation('thread-live'),
    conversation('thread-de', 'de-DE'),
  ])
    await store.saveConversation(c);
  const live = makeRun(await store.nextRunId(), {
    server: 'backend01',
    status: 'running',
    conversationId: 'thread-live',
  });
  await store.saveRun(live, [message('thread-live', live.id, 'step 1 started')]);
  const waiting = makeRun(await store.nextRunId(), { server: 'be01', status: 'awaiting-approval' });
  await store.saveRun(waiting);
  const unused = await store.nextRunId();

  await store.savePackageChange(packageChange({ status: 'applied' }));
  const pendingChange = await store.savePackageChange(packageChange({ version: '7.0.2046.540' }));
  const rejected = await store.savePackageChange(packageChange({ version: '7.0.2046.550' }));
  await store.savePackageChange({ ...rejected, status: 'rejected' });

  const marked = await store.enqueue(message(CONVERSATION, null, 'marked, then the hot file was written'));
  await store.markSending(marked.id);
  await store.saveConversation(conversation('thread-de', 'de-DE'));
  const sending = await store.enqueue(message(CONVERSATION, waiting.id, 'approve?'));
  const delivered = await store.enqueue(message(CONVERSATION, null, 'delivered'));
  clock.set('2026-11-05T11:00:07Z');
  // As a bot killed now leaves it: these two are only in the outbox log (no close()).
  await store.markSending(sending.id);
  await store.completeOutbox(delivered.id);

  return {
    runIds: [...october.map((r) => r.id), third.id, fourth.id, live.id, waiting.id, unused],
    servers: ['backend01', 'be01'],
    conversationIds: [CONVERSATION, 'thread-live', 'thread-de'],
    runners: [backend01, be01].map((r) => store.getRunner(r.id)!),
    counts: {
      runs: 2,
      archived_runs: 4,
      outbox: 3,
      audit: 4,
      runners: 2,
      conversations: 3,
      packages: 1,
      package_changes: 1,
    },
    lastRunId: unused,
    lastPackageChangeId: rejected.id,
    pendingChange,
    sendingId: sending.id,
    sendingSince: '2026-11-05T11:00:07.000Z',
    deliveredId: delivered.id,
  };
}
