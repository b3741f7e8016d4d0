import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01, BE01 } from '../../src/lab/servers.js';
import { cardActions, cardOf } from '../support/card-reading.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, waitUntil, type RunHandle } from './support/system.js';

const SCENARIO = {
  order: 2,
  title: 'Runner killed (SIGKILL, with its PowerShell) mid-step and restarted',
  notes: [
    'PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS=5, runner heartbeat every 250 ms, bot sweep every 200 ms. ' +
      'The installer step is killed on two servers: one run is retried from the card, the other aborted.',
  ],
};
const HEARTBEAT_TIMEOUT_MS = 5_000;

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('runner-crash', SCENARIO, { check, measured, pass });

function failureCard(run: RunHandle) {
  for (const message of system.connector.messages(run.thread).reverse()) {
    const actions = cardActions(cardOf(message.activity));
    const retry = actions.find((a) => a.verb === 'run.retry');
    const abort = actions.find((a) => a.verb === 'run.abort');
    if (retry && abort) return { message, retry, abort };
  }
  return undefined;
}

describe('runner killed mid-step', () => {
  it('shows the run interrupted within the heartbeat timeout, re-runs nothing, and lets the operator retry or abort', async () => {
    beginScenario('runner-crash');
    system = await ReliabilitySystem.start({ name: 'runner-crash', heartbeatTimeoutSeconds: 5 });
    // The installer runs ~20 s here, long enough to be cut off in the middle.
    const slowInstall = { durationsMs: { 'Install-PatchBotUpdate': 100_000_000 } };
    system.addServer(BACKEND01, slowInstall);
    system.addServer(BE01, slowInstall);
    await system.startBot();
    await Promise.all([system.startRunner('backend01'), system.startRunner('be01')]);
    await system.waitForRunnersOnline();
    const retried = await system.requestRun('backend01', 'standard');
    const aborted = await system.requestRun('be01', 'enterprise', 'Alex', ' sql sql01.contoso.local');

    // Both runners are inside the installer: the bot knows (heartbeat) and the simulator runs it.
    for (const name of ['backend01', 'be01']) {
      const server = system.server(name);
      const runId = name === 'backend01' ? retried.runId : aborted.runId;
      await waitUntil(
        () =>
          system.run(runId)?.steps.find((s) => s.stepId === 'update.install')?.status === 'running' &&
          server.lab.stepCommands().some((c) => c.startsWith('Install-PatchBotUpdate')),
        30_000,
        `${name} to be inside the installer`,
      );
    }
    const commandsAtKill = new Map(
      ['backend01', 'be01'].map((name) => [name, system.server(name).lab.stepCommands()]),
    );
    const killedAt = Date.now();
    await Promise.all([system.killRunner('backend01'), system.killRunner('be01')]);

    // The bot notices the silence on its own.
    const latencies: number[] = [];
    for (const run of [retried, aborted]) {
      await system.waitForRun(run.runId, ['interrupted'], HEARTBEAT_TIMEOUT_MS + 10_000);
      latencies.push(Date.now() - killedAt);
    }
    const interruptedLatency = Math.max(...latencies);
    const steps = [retried, aborted].map(
      (r) => system.run(r.runId)!.steps.find((s) => s.stepId === 'update.install')!.status,
    );
    record(
      'run shown interrupted within the heartbeat timeout',
      `interrupted ${(interruptedLatency / 1000).toFixed(1)} s after the kill (timeout 5 s + sweep 0.2 s); installer step: ${steps.join(', ')}`,
      interruptedLatency <= HEARTBEAT_TIMEOUT_MS + 1_500 && steps.every((s) => s === 'interrupted'),
    );
    expect(interruptedLatency).toBeLessThanOrEqual(HEARTBEAT_TIMEOUT_MS + 1_500);
    const cards = await waitUntil(
      () => {
        const found = [failureCard(retried), failureCard(aborted)];
        return found.every(Boolean) ? found.map((f) => f!) : undefined;
      },
      10_000,
      'the failure cards with Retry and Abort',
    );

    // The runners come back on their journals: they report the cut-off step, and run nothing.
    await Promise.all([system.startRunner('backend01'), system.startRunner('be01')]);
    await new Promise((r) => setTimeout(r, 2_000));
    const rerun = ['backend01', 'be01'].filter(
      (name) =>
        JSON.stringify(system.server(name).lab.stepCommands()) !== JSON.stringify(commandsAtKill.get(name)),
    );
    const statuses = [retried, aborted].map((r) => system.run(r.runId)!.status);
    const failureCards = [retried, aborted].map(
      (r) =>
        system.connector
          .messages(r.thread)
          .filter((m) => cardActions(cardOf(m.activity)).some((a) => a.verb === 'run.retry')).length,
    );
    record(
      'nothing re-run automatically after the restart',
      `simulator commands unchanged on ${2 - rerun.length} of 2 servers; runs still ${statuses.join(', ')}; failure cards per run: ${failureCards.join(', ')}`,
      rerun.length === 0 && statuses.every((s) => s === 'interrupted') && failureCards.every((n) => n === 1),
    );
    expect(rerun).toEqual([]);
    expect(statuses).toEqual(['interrupted', 'interrupted']);

    // Retry without "I have checked the server" is refused; with it, the run goes on to the end.
    const alex = system.teams.user('Alex');
    const [retryCard, abortCard] = cards;
    const unchecked = await system.teams.pressCardButton({
      conversation: retried.target,
      replyToId: retryCard!.message.id,
      verb: 'run.retry',
      data: { ...retryCard!.retry.data, checked: 'false' },
      from: alex,
    });
    const uncheckedText = JSON.stringify(unchecked.body);
    const stillInterrupted = system.run(retried.runId)!.status;
    const checked = await system.teams.pressCardButton({
      conversation: retried.target,
      replyToId: retryCard!.message.id,
      verb: 'run.retry',
      data: { ...retryCard!.retry.data, checked: 'true' },
      from: alex,
    });
    const abort = await system.teams.pressCardButton({
      conversation: aborted.target,
      replyToId: abortCard!.message.id,
      verb: 'run.abort',
      data: abortCard!.abort.data,
      from: alex,
    });
    // The retried installer takes ~20 s again; shorten it now that the point is made.
    system.server('backend01').lab.update((s) => void (s.durationsMs['Install-PatchBotUpdate'] = 480_000));
    const finalRetried = await system.waitForRun(
      retried.runId,
      ['succeeded', 'failed', 'interrupted'],
      60_000,
    );
    const finalAborted = await system.waitForRun(aborted.runId, ['aborted'], 10_000);
    const installs = system
      .server('backend01')
      .lab.stepCommands()
      .filter((c) => c.startsWith('Install-PatchBotUpdate')).length;
    const abortedCommands = system.server('be01').lab.stepCommands();
    const audit = system.audit();
    const audited = (action: string, runId: number) =>
      audit.filter((e) => e.action === action && e.runId === runId).length;
    record(
      'retry from the card needs "I have checked the server"',
      `unchecked: ${unchecked.status} "${/partly run|checked/i.test(uncheckedText) ? 'check the server first' : uncheckedText.slice(0, 60)}", run stayed ${stillInterrupted}; checked: ${checked.status}, run ${finalRetried.status} at attempt ${finalRetried.attempt}; installer ran ${installs}x (once cut off, once retried)`,
      stillInterrupted === 'interrupted' && finalRetried.status === 'succeeded' && installs === 2,
    );
    record(
      'abort from the card',
      `${abort.status}, run ${finalAborted.status}; simulator ran nothing after the kill: ${JSON.stringify(abortedCommands) === JSON.stringify(commandsAtKill.get('be01'))}`,
      finalAborted.status === 'aborted' &&
        JSON.stringify(abortedCommands) === JSON.stringify(commandsAtKill.get('be01')),
    );
    record(
      'audited: interruption, refused retry, retry, abort',
      `interrupted ${audited('interrupted', retried.runId)}+${audited('interrupted', aborted.runId)}, refused ${audited('refuse', retried.runId)}, retry ${audited('retry', retried.runId)}, abort ${audited('abort', aborted.runId)}`,
      audited('interrupted', retried.runId) === 1 &&
        audited('interrupted', aborted.runId) === 1 &&
        audited('refuse', retried.runId) === 1 &&
        audited('retry', retried.runId) === 1 &&
        audited('abort', aborted.runId) === 1,
    );
    expect(stillInterrupted).toBe('interrupted');
    expect(finalRetried.status).toBe('succeeded');
    expect(installs).toBe(2);
    expect(finalAborted.status).toBe('aborted');
    expect(abortedCommands).toEqual(commandsAtKill.get('be01'));
  }, 150_000);
});
