import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01 } from '../../src/lab/servers.js';
import { cardOf } from '../support/card-reading.js';
import { createTestDatabase, dropTestDatabase } from '../support/postgres.js';
import type { CrashPoint } from './support/bot-main.js';
import { HaSystem } from './support/ha-system.js';
import { handOvers, timedStepReplies } from './support/replies.js';

/**
 * Active/passive fail-over with real processes: two bot instances on one PostgreSQL database
 * behind a health-probing balancer; the runner and the Teams stand-in only know the balancer.
 * The leader is SIGKILLed at step boundaries of a lab run (only while the other instance is a
 * ready standby, so each kill is a hand-over); a service manager starts each killed instance
 * again, as a standby. The run must finish as if nothing happened, but for messages Teams held
 * at the moment of a kill, which are posted again marked as a possible repeat.
 */

const CRASH_POINTS: CrashPoint[] = [
  {
    name: 'step 11 (precheck.version) audited, run not yet saved: before downtime',
    after: 'appendAudit',
    step: 'precheck.version',
  },
  { name: 'step 13 (iis.stop) saved: inside downtime', after: 'saveRun', step: 'iis.stop' },
  { name: 'step 22 (postcheck.version) saved: the last step', after: 'saveRun', step: 'postcheck.version' },
];
/** The Teams-held kill takes the first step reply from here on that finds a standby ready. */
const HOLD_FROM_STEP = 16;

let system: HaSystem | undefined;
let databaseUrl: string | undefined;
afterAll(async () => {
  await system?.close();
  if (databaseUrl) await dropTestDatabase(databaseUrl);
});

function seconds(ms: number): string {
  return Number.isFinite(ms) ? `after ${(ms / 1000).toFixed(2)} s` : 'never (none was left to send)';
}

function stepOf(activity: unknown): number | null {
  const heading = (cardOf(activity)?.body as { text?: string }[] | undefined)?.[0]?.text ?? '';
  const match = /Step (\d+) of \d+:/.exec(heading);
  return match && !/halted/.test(heading) ? Number(match[1]) : null;
}

describe('active/passive fail-over', () => {
  it('a lab run survives SIGKILLs of the leader at step boundaries: every step once, audit complete', async () => {
    databaseUrl = await createTestDatabase('ha_failover');
    system = await HaSystem.start({ name: 'failover', databaseUrl, retryMs: 500, crashPoints: CRASH_POINTS });
    const sys = system;
    // Long enough steps after the installer and the database update for the instance killed just
    // before to come back as a standby, so the next kill is a hand-over too.
    const server = sys.addServer(BACKEND01, {
      timeScale: 0.002,
      durationsMs: { 'Install-PatchBotUpdate': 4_000_000, 'Update-PatchBotDatabase': 4_000_000 },
    });
    await sys.startInstance(0);
    await sys.waitForLeader();
    await sys.startInstance(1);
    expect(sys.instances[1]!.role).toBe('standby');
    sys.supervise();
    await sys.startRunner('backend01');
    await sys.waitForRunnersOnline();
    const run = await sys.requestRun('backend01', 'standard');

    // Teams takes a step reply, and the leader is killed before Teams' answer reaches it.
    let heldStep: number | null = null;
    const hold = sys.connector.inject({
      conversationId: run.thread,
      times: 1,
      delayMs: 300,
      when: (call) => {
        if (call.kind === 'update') return false;
        const step = stepOf(call.activity);
        if (step === null || step < HOLD_FROM_STEP || !sys.standbyReady()) return false;
        heldStep = step;
        void sys.killLeader(`while Teams held the step ${step} reply`);
        return true;
      },
    });

    const started = Date.now();
    let settledSince: number | null = null;
    for (;;) {
      if (Date.now() - started > 240_000) break;
      const settled =
        (await sys.run(run.runId))?.status === 'succeeded' &&
        (await sys.db.outbox().catch(() => [null])).length === 0;
      if (settled && sys.crashes().length === CRASH_POINTS.length && hold.hits > 0) break;
      // Finished without every kill: nothing more will happen; the expectations below say what is missing.
      settledSince = settled ? (settledSince ?? Date.now()) : null;
      if (settledSince !== null && Date.now() - settledSince > 15_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const finalRun = (await sys.run(run.runId))!;
    const kills = sys.allKills();
    const planSteps = finalRun.plan.steps.length;

    const replies = timedStepReplies(sys.connector, run.thread, run.cardId);
    const perStep = new Map<number, number>();
    for (const r of replies) perStep.set(r.step, (perStep.get(r.step) ?? 0) + 1);
    const missing = [...Array(planSteps).keys()].map((i) => i + 1).filter((n) => !perStep.has(n));
    const repeated = [...perStep].filter(([, count]) => count > 1).map(([step]) => step);
    // A step is posted once, or twice when the kill caught its message in flight: as sent by the
    // killed leader (Teams took it) and again by the new leader, marked as a possible repeat. The
    // marked copy may even come first, when Teams answers the dead leader's call late.
    const badRepeats = repeated.filter((step) => {
      const copies = replies.filter((r) => r.step === step);
      return copies.length !== 2 || copies.filter((r) => r.labelled).length !== 1;
    });
    // A marked reply is what a new leader posts first after a kill: the send its predecessor had
    // started (Teams may or may not have taken it; when it had not, the marked copy is the only one).
    const times = handOvers(kills, replies);
    const firstAfterKill = new Set(times.map((h) => h.messageId));
    const strayMarks = replies.filter((r) => r.labelled && !firstAfterKill.has(r.messageId));

    const resultEvents = (await sys.db.audit()).filter(
      (e) => e.action === 'step-result' && e.runId === run.runId,
    );
    const audited = resultEvents.map((e) => String(e.detail?.step));
    // The runner's side of each hand-over: from the SIGKILL to the next result it delivered that
    // a leader recorded (it retried through the balancer meanwhile).
    const resultAfter = (at: number) =>
      Math.min(...resultEvents.map((e) => Date.parse(e.at)).filter((t) => t > at)) - at;
    const auditDuplicates = audited.filter((s, i) => audited.indexOf(s) !== i);
    const auditMissing = finalRun.plan.steps.map((s) => s.id).filter((id) => !audited.includes(id));

    const commands = server.lab.stepCommands();
    const planCommands = finalRun.plan.steps
      .filter((s) => s.session !== 'close-session')
      .map((s) => s.command);

    process.stdout.write(
      `${[
        `fail-over: run #${run.runId} ${finalRun.status} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `${kills.length} kills, ${sys.exits.length} process exits, ${sys.botProcesses.length} bot processes started`,
        ...times.map(
          (t, i) =>
            `  hand-over ${(t.ms / 1000).toFixed(2)} s (SIGKILL -> next step result posted; ` +
            `new leader serving after ${((sys.ledAfter(kills[i]!.at) - kills[i]!.at) / 1000).toFixed(2)} s, ` +
            `next runner result recorded ${seconds(resultAfter(kills[i]!.at))}): ${t.kill}`,
        ),
        `  balancer: ${sys.balancer.refused.noBackend} answered 503 (no leader), ${sys.balancer.refused.backendFailed} 502 (leader died mid-request)`,
        `  repeats (marked): ${repeated.join(', ') || 'none'}; Teams held step ${heldStep ?? '-'}`,
      ].join('\n')}\n`,
    );

    expect(finalRun.status).toBe('succeeded');
    expect(kills.map((k) => k.name)).toEqual(
      expect.arrayContaining([
        ...CRASH_POINTS.map((p) => p.name),
        `while Teams held the step ${heldStep} reply`,
      ]),
    );
    expect(kills).toHaveLength(CRASH_POINTS.length + 1);
    // Every killed leader ended by SIGKILL and was started again.
    expect(sys.exits.filter((e) => e.signal === 'SIGKILL')).toHaveLength(kills.length);
    expect(missing).toEqual([]);
    expect(badRepeats).toEqual([]);
    expect(strayMarks).toEqual([]);
    // The reply Teams held at the kill is the one posted again, marked.
    expect(repeated).toContain(heldStep);
    expect(replies.filter((r) => r.labelled).length).toBeLessThanOrEqual(kills.length);
    expect(auditDuplicates).toEqual([]);
    expect(auditMissing).toEqual([]);
    expect(commands).toEqual(planCommands);
    expect(times.every((t) => Number.isFinite(t.ms))).toBe(true);
  }, 300_000);
});
