import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createViews } from '../../src/cards/views.js';
import { createTranslator } from '../../src/i18n/index.js';
import { BACKEND01 } from '../../src/lab/servers.js';
import { cardOf } from '../support/card-reading.js';
import type { CrashPoint } from './support/bot-main.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, stepReplies } from './support/system.js';

const SCENARIO = {
  order: 1,
  title: 'Bot killed (SIGKILL) at step boundaries, restarted on the same data and port',
  notes: [
    'Kill points: after the step-result audit of step 9 (before downtime, before the run is saved); ' +
      'after the save of step 11 (inside downtime, before its messages were queued in the old design); ' +
      'while Teams holds the step reply of step 13 (after the installer: Teams took it, the bot never heard back); ' +
      'after the save of step 20 (last step). The runner keeps working meanwhile and resends unacknowledged results.',
    'The one window no Bot Connector client can close: the bot dies after Teams accepted a new message and ' +
      'before the answer reached it. The bot marks each send as in flight on disk first, so after a restart it ' +
      'knows that message is in doubt and posts it again marked as a possible repeat (at-least-once, labelled).',
  ],
};

let system: ReliabilitySystem;
afterAll(async () => system?.close());

/** Step `n` of the plan as a step-result card heading says it ("Step n of 20: ..."). */
function isStepReply(activity: unknown, step: number): boolean {
  const card = cardOf(activity);
  const heading = (card?.body as { text?: string }[] | undefined)?.[0]?.text ?? '';
  return new RegExp(`Step ${step} of \\d+:`).test(heading) && !/halted/.test(heading);
}

describe('bot killed at step boundaries', () => {
  it('the run completes; every step result reaches the thread and the audit once', async () => {
    beginScenario('bot-crash');
    system = await ReliabilitySystem.start({ name: 'bot-crash' });
    const server = system.addServer(BACKEND01, { timeScale: 0.002 });
    const crashLog = join(system.logDir, 'crashes.log');
    let pending: CrashPoint[] = [
      {
        name: 'step 9 audited, run not yet saved (before downtime)',
        after: 'appendAudit',
        step: 'precheck.version',
      },
      { name: 'step 11 saved (inside downtime)', after: 'saveRun', step: 'iis.stop' },
      { name: 'step 20 saved (last step)', after: 'saveRun', step: 'postcheck.version' },
    ];
    await system.startBot({ crashPoints: pending, crashLog });
    await system.startRunner('backend01');
    await system.waitForRunnersOnline();
    const run = await system.requestRun('backend01', 'standard');

    // After the installer: Teams takes the step 13 reply, but the bot is killed before the answer.
    const teamsWindow = system.connector.inject({
      conversationId: run.thread,
      times: 1,
      delayMs: 300,
      when: (call) => {
        if (call.kind === 'update' || !isStepReply(call.activity, 13)) return false;
        void system.killBot();
        return true;
      },
    });

    const started = Date.now();
    const kills: string[] = [];
    const readCrashes = () =>
      existsSync(crashLog) ? readFileSync(crashLog, 'utf8').split('\n').filter(Boolean) : [];
    for (;;) {
      if (Date.now() - started > 60_000) break;
      const bot = system.bot;
      if (!bot || !bot.alive) {
        if (bot) await bot.exited;
        const crashed = readCrashes();
        pending = pending.filter((p) => !crashed.includes(p.name));
        kills.length = 0;
        kills.push(...crashed);
        if (teamsWindow.hits > 0)
          kills.push('step 13 reply taken by Teams, answer never seen (after the installer)');
        await system.startBot({ crashPoints: pending, crashLog });
        continue;
      }
      const current = system.run(run.runId);
      const state = system.state();
      if (
        pending.length === 0 &&
        teamsWindow.hits > 0 &&
        current?.status === 'succeeded' &&
        state?.outbox.length === 0
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const restarts = system.botProcesses.length - 1;
    const finalRun = system.run(run.runId)!;
    const planSteps = finalRun.plan.steps.length;

    // Step-result replies in the thread, per step.
    const replies = stepReplies(system.connector, run.thread, run.cardId);
    const perStep = new Map<number, number>();
    for (const r of replies) perStep.set(r.step, (perStep.get(r.step) ?? 0) + 1);
    const missing = [...Array(planSteps).keys()].map((i) => i + 1).filter((n) => !perStep.has(n));
    const repeated = [...perStep].filter(([, count]) => count > 1).map(([step]) => step);
    const unlabelledRepeats = replies.filter(
      (r, i) =>
        replies.findIndex((o) => o.step === r.step) !== i &&
        !/again|repeat/i.test(JSON.stringify(system.connector.message(r.messageId)?.activity)),
    );
    const inOrder = replies.every((r, i) => i === 0 || r.step >= replies[i - 1]!.step);

    // The progress card shows the final run, exactly as the bot would render it now.
    const expectedCard = createViews({ now: () => new Date(finalRun.endedAt!) }).runCard(
      finalRun,
      createTranslator(finalRun.locale),
    ).content;
    const cardNow = system.connector.currentCard(run.cardId);

    // The audit: one step-result per step, nothing missing.
    const audited = system
      .audit()
      .filter((e) => e.action === 'step-result' && e.runId === run.runId)
      .map((e) => String(e.detail?.step));
    const auditDuplicates = audited.filter((s, i) => audited.indexOf(s) !== i);
    const auditMissing = finalRun.plan.steps.map((s) => s.id).filter((id) => !audited.includes(id));

    // Nothing ran twice on the server.
    const commands = server.lab.stepCommands();
    const planCommands = finalRun.plan.steps
      .filter((s) => s.session !== 'close-session')
      .map((s) => s.command);

    const record = (check: string, measured: string, pass: boolean) =>
      recordCheck('bot-crash', SCENARIO, { check, measured, pass });
    record(
      'run completes after the kills',
      `${kills.length} kills (${kills.join('; ')}), ${restarts} restarts; run ${finalRun.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      finalRun.status === 'succeeded' && kills.length === 4,
    );
    record(
      'each step result in the thread once, in order (a send cut off by a kill is repeated, marked)',
      `${replies.length} replies for ${planSteps} steps; missing: ${missing.join(', ') || 'none'}; sent again after a kill while in flight: ${repeated.length ? `step ${repeated.join(', ')}` : 'none'}, marked as a possible repeat: ${repeated.length - unlabelledRepeats.length} of ${repeated.length}; in order: ${inOrder}`,
      missing.length === 0 && unlabelledRepeats.length === 0 && repeated.length <= kills.length && inOrder,
    );
    record(
      'progress card ends correct',
      JSON.stringify(cardNow) === JSON.stringify(expectedCard)
        ? 'equals the final run rendered afresh'
        : 'differs from the final run',
      JSON.stringify(cardNow) === JSON.stringify(expectedCard),
    );
    record(
      'audit: every step result once, no gaps',
      `${audited.length} step-result events for ${planSteps} steps; duplicates: ${auditDuplicates.length}; missing: ${auditMissing.length}`,
      auditDuplicates.length === 0 && auditMissing.length === 0,
    );
    record(
      'no step re-run on the server',
      `${commands.length} commands run, ${planCommands.length} planned; identical: ${JSON.stringify(commands) === JSON.stringify(planCommands)}`,
      JSON.stringify(commands) === JSON.stringify(planCommands),
    );

    expect(finalRun.status).toBe('succeeded');
    expect(kills).toHaveLength(4);
    expect(missing).toEqual([]);
    expect(inOrder).toBe(true);
    expect(unlabelledRepeats).toEqual([]);
    // Each kill can leave at most the one message that was in flight in doubt.
    expect(repeated.length).toBeLessThanOrEqual(kills.length);
    expect(cardNow).toEqual(expectedCard);
    expect(auditDuplicates).toEqual([]);
    expect(auditMissing).toEqual([]);
    expect(commands).toEqual(planCommands);
  }, 180_000);
});
