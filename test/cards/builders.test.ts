import { describe, expect, it } from 'vitest';
import {
  failureCard,
  helpCard,
  INPUT_IDS,
  planCard,
  planCardForRun,
  progressCard,
  renderCard,
  runnersCard,
  statusCard,
  stepResultCard,
  summaryCard,
  VERBS,
} from '../../src/cards/index.js';
import { createTranslator } from '../../src/i18n/index.js';
import {
  at,
  awaitingRun,
  baseRun,
  failedRun,
  installIndex,
  mustPlan,
  nowAt,
  RUNNERS,
  runningRun,
  succeededRun,
} from './fixtures.js';
import { validateCard, visibleText } from './validate-card.js';

const t = createTranslator('en-US');
const plan = mustPlan();

type Card = Record<string, unknown> & { actions?: { verb: string; data: Record<string, unknown> }[] };
const verbsOf = (card: Card) => (card.actions ?? []).map((a) => a.verb);
const textOf = (card: Card) => visibleText(card).join('\n');

describe('plan card', () => {
  it('as a preview has no actions and no refresh', () => {
    const card = renderCard('plan', planCard(plan, {}, t)).content as Card;
    expect(verbsOf(card)).toEqual([]);
    expect(card.refresh).toBeUndefined();
    expect(textOf(card)).toContain('Preview only');
    expect(textOf(card)).toContain('Update plan for backend01');
  });

  it('asks the requester to confirm or cancel', () => {
    const model = planCardForRun(baseRun(plan), { showConfirm: true }, t);
    const card = renderCard('plan', model).content as Card;
    expect(verbsOf(card)).toEqual([VERBS.planConfirm, VERBS.planCancel]);
    expect(card.actions?.every((a) => a.data.runId === 12)).toBe(true);
    expect(textOf(card)).toContain('Needs approval from 1 other admin.');
    expect(JSON.stringify(card)).not.toContain('"reason"');
  });

  it('shows approvers the count, decisions, reason box and Approve / Reject, refreshed per user', () => {
    const model = planCardForRun(awaitingRun(plan), { showApproval: true, refreshUserIds: ['29:bob'] }, t);
    const card = renderCard('plan', model).content as Card;
    expect(verbsOf(card)).toEqual([VERBS.runApprove, VERBS.runReject]);
    expect(textOf(card)).toContain('Waiting for approval (1/2)');
    expect(textOf(card)).toMatch(/Approved by Bob Approver, Mar 12, 2025/);
    expect(card.refresh).toEqual({
      action: { type: 'Action.Execute', verb: VERBS.runRefresh, data: { runId: 12 } },
      userIds: ['29:bob'],
    });
    expect(JSON.stringify(card)).toContain('"id":"reason"');
  });

  it('marks the downtime window and lists every step with its command', () => {
    const model = planCard(plan, {}, t);
    expect(model.phases.map((p) => p.style)).toEqual(['default', 'warning', 'default']);
    expect(model.phases.flatMap((p) => p.steps).map((s) => s.number)).toEqual(
      plan.steps.map((s) => String(s.index)),
    );
    expect(model.downtime.window).toBe(
      'Services are down from step 12 to step 21. Everything before step 12 happens while the server is still in service.',
    );
    const markers = model.phases.flatMap((p) => p.steps).filter((s) => s.marker !== '');
    expect(markers.map((s) => s.number)).toEqual(['12', '21']);
    const open = plan.steps.findIndex((s) => s.id === 'shell.open');
    expect(model.phases[0]?.steps[open]?.title).toBe('Open the Skype for Business Server Management Shell');
  });

  it('names the Lync shell for Lync Server 2013', () => {
    const lync = mustPlan(
      { server: 'lyncbe01', edition: 'standard' },
      {
        ...PROFILE_LYNC,
      },
    );
    const titles = planCard(lync, {}, createTranslator('de-DE'))
      .phases.flatMap((p) => p.steps)
      .map((s) => s.title);
    expect(titles).toContain('Lync Server-Verwaltungsshell öffnen');
    expect(titles).toContain('Lync Server-Dienste beenden');
  });
});

const PROFILE_LYNC = {
  server: 'lyncbe01',
  product: 'lync2013' as const,
  package: {
    source: 'https://updates.contoso.local/cu/LyncServerUpdateInstaller.exe',
    fileName: 'LyncServerUpdateInstaller.exe',
    sha256: 'ab'.repeat(32),
    version: '5.0.8308.1182',
  },
  stagingDir: 'C:\\PatchBot\\staging',
  minFreeGb: 10,
};

describe('progress card', () => {
  it('shows step n of N, the running step and the downtime clock', () => {
    const model = progressCard(runningRun(plan), nowAt(19), t);
    expect(model.position).toBe('Step 15 of 22: Install the cumulative update');
    expect(model.downtime).toEqual({
      label: 'Downtime',
      value: '5 min, still down',
      note: '25 min left before the 30-minute line.',
      color: 'good',
    });
    const steps = model.phases.flatMap((p) => p.steps);
    expect(steps[0]).toEqual({ icon: '✅', number: '1', title: expect.any(String), detail: '1 min' });
    expect(steps[14]).toMatchObject({ icon: '🔄', detail: '2 min' });
    expect(steps[15]).toMatchObject({ icon: '⬜', detail: '' });
    expect(model.facts).toContainEqual({ title: 'Elapsed', value: '14 min' });
  });

  it('turns the clock amber at 20 minutes and red at the 30-minute line', () => {
    expect(progressCard(runningRun(plan), nowAt(35), t).downtime.color).toBe('warning');
    const late = progressCard(runningRun(plan), nowAt(44), t).downtime;
    expect(late).toMatchObject({ color: 'attention', value: '30 min, still down' });
    expect(late.note).toContain('resiliency mode');
  });

  it('reports the finished downtime against the line', () => {
    const model = progressCard(succeededRun(plan), nowAt(60), t);
    expect(model.downtime.value).toBe('10 min, under the 30-minute line');
    expect(model.position).toBe('22 of 22 steps done');
  });
});

describe('step result and failure cards', () => {
  const failed = failedRun(plan);
  const step = failed.steps[installIndex(plan)]!;

  it('puts the output excerpt in monospace lines', () => {
    const model = stepResultCard(failed, step, t);
    expect(model.facts).toContainEqual({ title: 'Exit code', value: '1603' });
    expect(model.facts).toContainEqual({ title: 'Duration', value: '4 min 12 sec' });
    expect(model.output.lines.map((l) => l.text)).toEqual([
      'Extracting files',
      'Installing SkypeServerUpdateInstaller',
      'Rollback started',
    ]);
    expect(model.errors.lines).toHaveLength(2);
    expect(model.truncated).toBe('');
  });

  it('keeps only the last lines of long output and says so', () => {
    const long = { ...step, stdout: Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\r\n') };
    const model = stepResultCard(failed, long, t);
    expect(model.output.lines.at(-1)?.text).toBe('line 30');
    expect(model.output.lines).toHaveLength(12);
    expect(model.truncated).not.toBe('');
  });

  it('asks for a server check before retrying a step that is not retry-safe', () => {
    const model = failureCard(failed, step, nowAt(22), t);
    expect(model.check.show).toBe(true);
    expect(model.downtime).toBe('The services of backend01 are stopped: down for 8 min so far.');
    const card = renderCard('failure', model).content as Card;
    expect(verbsOf(card)).toEqual([VERBS.runRetry, VERBS.runAbort]);
    expect(card.actions?.[0]?.data).toEqual({ runId: 12, stepId: 'update.install', attempt: 1 });
    expect(JSON.stringify(card)).toContain(`"id":"${INPUT_IDS.serverChecked}"`);
  });

  it('offers a plain retry for a retry-safe step', () => {
    const stop = { ...step, stepId: 'services.stop' as const, index: 9 };
    const model = failureCard(failed, stop, nowAt(22), t);
    expect(model.check.show).toBe(false);
    expect(model.guidance).toEqual({ text: 'This step is safe to run again.', color: 'good' });
  });

  it('treats an interrupted step as possibly half-done', () => {
    const interrupted = { ...failed, status: 'interrupted' as const };
    const model = failureCard(
      interrupted,
      { ...step, stepId: 'services.stop', status: 'interrupted' },
      nowAt(22),
      t,
    );
    expect(model.check.show).toBe(true);
    expect(model.guidance.text).toContain('lost contact');
  });

  it('drops the actions once the run has moved on', () => {
    const aborted = { ...failed, status: 'aborted' as const };
    const card = renderCard('failure', failureCard(aborted, step, nowAt(22), t)).content as Card;
    expect(card.actions).toBeUndefined();
    expect(JSON.stringify(card)).not.toContain('Input.Toggle');
    expect(validateCard(card)).toEqual([]);
  });
});

describe('summary card', () => {
  it('shows outcome, total time, downtime against the line and both versions', () => {
    const model = summaryCard(succeededRun(plan), t);
    expect(model.title).toBe('backend01 is updated');
    expect(model.downtime.value).toBe('10 min, under the 30-minute line');
    expect(model.facts).toEqual(
      expect.arrayContaining([
        { title: 'Total time', value: '20 min' },
        { title: 'Version before', value: '7.0.2046.385' },
        { title: 'Version after', value: '7.0.2046.530' },
        { title: 'Approved by', value: 'Bob Approver' },
      ]),
    );
    expect(model.steps).toBe('22 steps succeeded');
  });

  it('says a run that never started did not touch the server', () => {
    const model = summaryCard(baseRun(plan, { status: 'cancelled', endedAt: at(2) }), t);
    expect(model.title).toBe('The update of backend01 was cancelled');
    expect(model.downtime.note).toBe('The update never started, so the server was not touched.');
  });
});

describe('help, status and runners cards', () => {
  it('help lists every command with usage and example, and explains one in detail', () => {
    const overview = helpCard(t);
    expect(overview.commands.map((c) => c.name)).toEqual([
      'update',
      'plan',
      'check',
      'status',
      'cancel',
      'history',
      'runners',
      'versions',
      'packages',
      'package',
      'language',
      'help',
    ]);
    const update = helpCard(createTranslator('zh-CN'), 'update').commands[0]!;
    expect(update.usage).toBe(
      'update <server> [standard|enterprise] [sql <fqdn>] [collocated] [graceful] [force]',
    );
    expect(update.args).toHaveLength(6);
    expect(update.aliases).toBe('也可以写作：patch和upgrade');
  });

  it('status lists active runs newest first, or says there are none', () => {
    const model = statusCard([runningRun(plan), { ...awaitingRun(plan), id: 13 }], nowAt(19), t);
    expect(model.items.map((i) => i.heading)).toEqual(['#13 · backend01', '#12 · backend01']);
    expect(model.summary).toBe('2 runs are active');
    expect(statusCard([], nowAt(0), t).summary).toBe('No runs are active.');
  });

  it('runners shows online and offline by last heartbeat', () => {
    const model = runnersCard(RUNNERS, nowAt(20), t);
    expect(model.items.map((i) => [i.heading, i.status.text])).toEqual([
      ['backend01', 'Online'],
      ['lyncbe01', 'Offline'],
      ['newbe01', 'Offline'],
    ]);
    expect(model.items[2]?.facts[0]).toEqual({ title: 'Product', value: 'not reported yet' });
    expect(model.items[0]?.facts).toContainEqual({ title: 'Current run', value: '#12' });
  });
});
