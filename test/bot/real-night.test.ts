import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator, stepTitle } from '../../src/i18n/index.js';
import { LAB_FLEET, labServerSpec, type LabEngine, type LabServer } from '../../src/lab/servers.js';
import type { LabConditions, LabState } from '../../src/lab/state.js';
import type { RunRecord } from '../../src/store/types.js';
import { describeOnRealPwsh } from '../support/real-pwsh.js';
import { channelThread } from '../support/teams-client.js';
import { cardActions, cardOf, cardText, startBotHarness, waitUntil, type BotHarness } from './harness.js';
import { seedLabCatalog } from './lab-catalog.js';

/**
 * Issue 15's "Done when", in lab mode through the real bot over HTTP: the chat drives real runner
 * agents, which drive SIMULATED servers (the stand-in, and where pwsh is installed the real
 * PatchBot.psm1 in real pwsh) with fault conditions set on the lab server:
 *
 * - an installer answering 3010, a simulated restart and Retry finish the run (backend01);
 * - a mirrored Enterprise back end with the mirror as principal is failed over before downtime,
 *   and a failing failover stops the run before downtime (be01);
 * - PowerShell 2.0 is refused before downtime, and 4.0 runs (lyncbe01);
 * - one lagging component fails the post-check, naming it (backend02).
 */

const BACKEND02 = labServerSpec({ server: 'backend02', product: 'sfb2019', edition: 'standard' });
const LAGGING = 'Skype for Business Server 2019, Front End Server';
const en = createTranslator('en-US');
const TERMINAL = ['succeeded', 'failed', 'interrupted', 'cancelled', 'aborted', 'expired'];

function scenarios(engine: LabEngine, runTimeoutMs: number): void {
  let h: BotHarness;

  beforeAll(async () => {
    // Facts read often (a runner reads them between long polls, so those are short too): the
    // tests change a server's conditions and wait for the bot to know.
    h = await startBotHarness(
      { PATCHBOT_LONG_POLL_SECONDS: '2' },
      { engine, specs: [...LAB_FLEET, BACKEND02], factsIntervalMs: 300 },
    );
    // As lab mode does at start: the lab runners have no package of their own.
    await seedLabCatalog(h.app.store);
  }, 120_000);
  afterAll(async () => h?.stop());

  const alex = () => h.teams.user('Alex');
  const lab = (name: string): LabServer => h.fleet.servers.find((s) => s.profile.server === name)!;

  /**
   * The lab state is one file that the simulated server's own commands also rewrite (read, act,
   * write), and the runner reads facts between jobs: a change made while such a command runs can be
   * overwritten by it. Apply the change until it has held for a second.
   */
  async function lasting(server: LabServer, change: (s: LabState) => void, holds: (s: LabState) => boolean) {
    server.update(change);
    let since = Date.now();
    while (Date.now() - since < 1000) {
      await new Promise((r) => setTimeout(r, 100));
      if (!holds(server.readState())) {
        server.update(change);
        since = Date.now();
      }
    }
  }

  /** Sets lab conditions and waits until the bot holds the facts the runner read after the change. */
  async function setConditions(
    name: string,
    conditions: Partial<LabConditions>,
    factsSay: (facts: NonNullable<ReturnType<BotHarness['app']['store']['getRunner']>>['facts']) => boolean,
  ): Promise<void> {
    lab(name).update((s) => void Object.assign(s.conditions, conditions));
    await waitUntil(
      () => {
        const facts = h.app.store.getRunner(`rn-lab-${name}`)?.facts;
        return facts ? factsSay(facts) : false;
      },
      60_000,
      `the facts of ${name} to show the change`,
    );
  }

  interface Conversation {
    post: Awaited<ReturnType<BotHarness['teams']['postInChannel']>>;
    thread: string;
    runId: number;
  }

  /** Asks for an update in a channel and confirms its plan card. */
  async function requestAndConfirm(command: string): Promise<Conversation> {
    const post = await h.teams.postInChannel(command, { from: alex() });
    expect(post.status).toBe(200);
    const thread = (post.activity!.conversation as { id: string }).id;
    const planMessage = await waitUntil(
      () =>
        h.connector
          .messages(thread)
          .find((m) => cardActions(cardOf(m.activity)).some((a) => a.verb === 'plan.confirm')),
      15_000,
      `the plan card for "${command}"`,
    ).catch((error: unknown) => {
      // Say what the bot answered instead.
      const said = h.connector
        .messages(thread)
        .map((m) => cardText(cardOf(m.activity)) || String(m.activity.text));
      throw new Error(`${String(error)}; the bot said: ${JSON.stringify(said)}`);
    });
    const confirm = cardActions(cardOf(planMessage.activity)).find((a) => a.verb === 'plan.confirm')!;
    const answer = await h.teams.pressCardButton({
      conversation: channelThread(post.activity!.id),
      replyToId: planMessage.id,
      verb: 'plan.confirm',
      data: confirm.data,
      from: alex(),
    });
    expect(answer.status).toBe(200);
    return { post, thread, runId: confirm.data.runId as number };
  }

  async function ended(runId: number, attempt = 1): Promise<RunRecord> {
    return waitUntil(
      async () => {
        const r = await h.app.store.findRun(runId);
        return r && r.attempt === attempt && TERMINAL.includes(r.status) ? r : undefined;
      },
      runTimeoutMs,
      `run #${runId} (attempt ${attempt}) to end`,
    );
  }

  /** Presses Retry on the newest card of the thread that offers it. */
  async function retry(conversation: Conversation): Promise<void> {
    const message = await waitUntil(
      () =>
        h.connector
          .messages(conversation.thread)
          .filter((m) =>
            cardActions(cardOf(m.activity)).some(
              (a) => a.verb === 'run.retry' && a.data.runId === conversation.runId,
            ),
          )
          .at(-1),
      15_000,
      'a card with Retry',
    );
    const action = cardActions(cardOf(message.activity)).find((a) => a.verb === 'run.retry')!;
    const answer = await h.teams.pressCardButton({
      conversation: channelThread(conversation.post.activity!.id),
      replyToId: message.id,
      verb: 'run.retry',
      data: action.data,
      from: alex(),
    });
    expect(answer.status).toBe(200);
  }

  const statuses = (run: RunRecord) => run.steps.map((s) => `${s.stepId} ${s.status}`);
  const stepKeys = (state: LabState, fromSeq = 0) =>
    state.log.filter((r) => r.kind === 'step' && r.seq > fromSeq && r.key !== 'Get-PatchBotServerFacts');

  it('an installer answering 3010, a simulated restart and Retry finish the run: database updated, every service running', async () => {
    const server = lab('backend01');
    await lasting(
      server,
      (s) => void (s.conditions.installerExitCode = 3010),
      (s) => s.conditions.installerExitCode === 3010,
    );
    const conversation = await requestAndConfirm('update backend01 standard');
    const halted = await ended(conversation.runId);
    expect(halted.status).toBe('failed');
    const install = halted.steps.find((s) => s.stepId === 'update.install');
    expect(install).toMatchObject({ status: 'succeeded', exitCode: 3010, rebootRequired: true });
    // Halted at the restart: nothing after the installer ran.
    const afterInstall = halted.steps.slice(halted.steps.indexOf(install!) + 1);
    expect(afterInstall.every((s) => s.status === 'pending')).toBe(true);
    expect(server.readState().conditions.pendingReboot).toBe(true);

    // The admin restarts the (simulated) server: Windows starts W3SVC and the Cs services again.
    const restarted = server.restart();
    expect(restarted.w3svc).toBe('Running');
    expect(Object.values(restarted.services).every((s) => s === 'Running')).toBe(true);
    const restartSeq = restarted.log.at(-1)?.seq ?? 0;

    await retry(conversation);
    // The thread says where Retry picks the run up: not the installer again, but the shell
    // reopened after the restart, from where the Cs services are stopped again.
    const reopen = halted.plan.steps.find((s) => s.id === 'shell.reopen')!;
    const resumeText = en.t('run.resume.from', {
      step: stepTitle(en, 'shell.reopen', halted.product),
      index: reopen.index,
      total: halted.plan.steps.length,
    });
    expect(resumeText).toContain(`step ${reopen.index} of ${halted.plan.steps.length}`);
    await waitUntil(
      () => h.connector.messages(conversation.thread).find((m) => m.activity.text === resumeText),
      15_000,
      `the reply "${resumeText}"`,
    );
    const done = await ended(conversation.runId, 2);
    expect(statuses(done)).toEqual(done.plan.steps.map((s) => `${s.id} succeeded`));

    const state = server.readState();
    expect(state.installedVersion).toBe(server.profile.package.version);
    expect(state.databaseVersion).toBe(state.installedVersion);
    expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
    expect(state.w3svc).toBe('Running');
    expect(state.conditions.pendingReboot).toBe(false);
    // After the restart: the shell reopened, the Cs services were stopped again, then (and only
    // then) the database was updated; IIS, already running after the restart, was left as it was.
    const resumed = stepKeys(state, restartSeq).map((r) => r.key);
    expect(resumed.slice(0, 3)).toEqual(['Import-Module', 'Stop-PatchBotCsServices', 'Start-PatchBotIis']);
    expect(resumed.indexOf('Stop-PatchBotCsServices')).toBeLessThan(
      resumed.indexOf('Update-PatchBotDatabase'),
    );
    expect(resumed).not.toContain('Install-PatchBotUpdate');
    expect(done.steps.find((s) => s.stepId === 'iis.start')?.stdout).toContain('already running');
  });

  it('a mirrored back end, principal on the mirror: a failing failover stops before downtime; a working one is used, then the update', async () => {
    const server = lab('be01');
    const windowsBefore = server.readState().downtime.length;
    await setConditions(
      'be01',
      { mirrored: true, principalOnMirror: true, failoverFails: true },
      (f) => f?.mirrored === true,
    );

    const failing = await requestAndConfirm('update be01 enterprise sql sql01.contoso.local');
    const failed = await ended(failing.runId);
    expect(failed.status).toBe('failed');
    expect(failed.steps.find((s) => s.status === 'failed')?.stepId).toBe('precheck.mirror');
    expect(failed.steps.find((s) => s.stepId === 'services.stop')?.status).toBe('pending');
    expect(server.readState().downtime).toHaveLength(windowsBefore);
    expect(server.readState().conditions.principalOnMirror).toBe(true);

    // The mirror can give the principal role back now: Retry fails over, then updates.
    await lasting(
      server,
      (s) => void (s.conditions.failoverFails = false),
      (s) => !s.conditions.failoverFails,
    );
    await retry(failing);
    const done = await ended(failing.runId, 2);
    expect(statuses(done)).toEqual(done.plan.steps.map((s) => `${s.id} succeeded`));
    expect(done.steps.find((s) => s.stepId === 'precheck.mirror')?.stdout).toContain(
      'Invoke-CsDatabaseFailover',
    );
    const state = server.readState();
    expect(state.conditions.principalOnMirror).toBe(false);
    expect(state.databaseVersion).toBe(server.profile.package.version);
    // The failover ended before the first Cs service stopped.
    const mirror = stepKeys(state)
      .filter((r) => r.key === 'Assert-PatchBotDatabaseMirror')
      .at(-1)!;
    const window = state.downtime.at(-1)!;
    expect(mirror.simEndMs).not.toBeNull();
    expect(window.stoppedAtSimMs).toBeGreaterThanOrEqual(mirror.simEndMs!);
    expect(state.downtime).toHaveLength(windowsBefore + 1);
  });

  it('PowerShell 2.0 is refused before downtime; on 4.0 the run finishes', async () => {
    const server = lab('lyncbe01');
    await lasting(
      server,
      (s) => void (s.conditions.powershellVersion = '2.0'),
      (s) => s.conditions.powershellVersion === '2.0',
    );
    const conversation = await requestAndConfirm(
      'update lyncbe01 enterprise sql lyncsql01.contoso.local collocated',
    );
    const refused = await ended(conversation.runId);
    expect(refused.status).toBe('failed');
    expect(refused.steps.find((s) => s.status === 'failed')?.stepId).toBe('precheck.powershell');
    expect(refused.steps.find((s) => s.stepId === 'precheck.powershell')?.errorExcerpt).toContain('2.0');
    expect(server.readState().downtime).toEqual([]);

    await lasting(
      server,
      (s) => void (s.conditions.powershellVersion = '4.0'),
      (s) => s.conditions.powershellVersion === '4.0',
    );
    await retry(conversation);
    const done = await ended(conversation.runId, 2);
    expect(statuses(done)).toEqual(done.plan.steps.map((s) => `${s.id} succeeded`));
    expect(server.readState().installedVersion).toBe(server.profile.package.version);
  });

  it('one lagging component fails the post-check, naming it', async () => {
    const server = lab('backend02');
    await lasting(
      server,
      (s) => void (s.conditions.laggingComponent = LAGGING),
      (s) => s.conditions.laggingComponent === LAGGING,
    );
    const conversation = await requestAndConfirm('update backend02 standard');
    const run = await ended(conversation.runId);
    expect(run.status).toBe('failed');
    const post = run.steps.find((s) => s.status === 'failed');
    expect(post?.stepId).toBe('postcheck.version');
    expect(post?.errorExcerpt).toContain(LAGGING);
    const state = server.readState();
    expect(state.componentVersions[LAGGING]).toBe(BACKEND02.installedVersion);
    expect(state.installedVersion).toBe(BACKEND02.installedVersion);
    // The other components did reach the package's version.
    expect(Object.values(state.componentVersions)).toContain(server.profile.package.version);
  });
}

describe('a real night in lab mode (stand-in), end to end over HTTP', { timeout: 120_000 }, () => {
  scenarios('stand-in', 60_000);
});

describeOnRealPwsh('a real night in lab mode on real pwsh, end to end over HTTP', () => {
  scenarios('pwsh', 150_000);
});
