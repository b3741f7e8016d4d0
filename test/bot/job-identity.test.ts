/**
 * Finding 9 of issue 16: a bot started on a fresh data folder while the runners kept their
 * journals made every new run hang in silence (run #1 of the new store looked like run #1 the
 * runner had already done). Jobs now carry a key made with the run; and a job that no runner
 * picks up within the heartbeat timeout fails on the run's card with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/i18n/index.js';
import { channelThread } from '../support/teams-client.js';
import {
  cardActions,
  cardOf,
  cardText,
  createTestClock,
  startBotHarness,
  waitUntil,
  type BotHarness,
} from './harness.js';
import { rollBackLabServers } from './lab-rollback.js';

let h: BotHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Requests and confirms an update of `server` in a channel thread, as Alex; the run id and thread. */
async function requestAndConfirm(harness: BotHarness, server: string, edition: string) {
  const alex = harness.teams.user('Alex');
  const command =
    edition === 'standard'
      ? `update ${server} standard`
      : `update ${server} enterprise sql sql01.contoso.local`;
  const post = await harness.teams.postInChannel(command, { from: alex });
  const thread = (post.activity!.conversation as { id: string }).id;
  const plan = await waitUntil(
    () => harness.connector.messages(thread).find((m) => cardOf(m.activity)),
    5000,
    'the plan card',
  );
  const confirm = cardActions(cardOf(plan.activity)!).find((a) => a.verb === 'plan.confirm')!;
  await harness.teams.pressCardButton({
    conversation: channelThread(post.activity!.id),
    replyToId: plan.id,
    verb: 'plan.confirm',
    data: confirm.data,
    from: alex,
  });
  return { runId: confirm.data.runId as number, thread };
}

describe('a bot on a fresh store, runners with their old journals', () => {
  it('runs the new store’s run #1 although the runner ran an older run #1', async () => {
    h = await startBotHarness();
    const first = await requestAndConfirm(h, 'backend01', 'standard');
    expect(first.runId).toBe(1);
    await waitUntil(async () => (await h!.app.store.findRun(1))?.status === 'succeeded', 30_000, 'run #1');

    // A new data folder (reset, restored elsewhere, moved to another store); the runners go on.
    await h.restart({ freshStore: true });
    // Back on its old version, or the second update would be "nothing to do".
    await rollBackLabServers(h.fleet, h.app.store);
    const again = await requestAndConfirm(h, 'backend01', 'standard');
    expect(again.runId).toBe(1);
    const run = await waitUntil(
      async () => {
        const r = await h!.app.store.findRun(1);
        return r && ['succeeded', 'failed', 'interrupted'].includes(r.status) ? r : undefined;
      },
      30_000,
      'the new run #1 to end',
    );
    expect(run.status).toBe('succeeded');
    expect(run.steps.every((s) => s.status === 'succeeded')).toBe(true);
  }, 90_000);
});

describe('a job no runner picks up', () => {
  it('fails on the run’s card with the reason after the heartbeat timeout', async () => {
    const clock = createTestClock();
    h = await startBotHarness({ PATCHBOT_HEARTBEAT_TIMEOUT_SECONDS: '5' }, {}, { now: clock.now });
    // Plan while the runner is online, then stop the runners before the Confirm: nobody polls.
    const alex = h.teams.user('Alex');
    const post = await h.teams.postInChannel('update backend01 standard', { from: alex });
    const thread = (post.activity!.conversation as { id: string }).id;
    const plan = await waitUntil(
      () => h!.connector.messages(thread).find((m) => cardOf(m.activity)),
      5000,
      'plan',
    );
    const confirm = cardActions(cardOf(plan.activity)!).find((a) => a.verb === 'plan.confirm')!;
    const runId = confirm.data.runId as number;
    await h.fleet.stop();
    await h.teams.pressCardButton({
      conversation: channelThread(post.activity!.id),
      replyToId: plan.id,
      verb: 'plan.confirm',
      data: confirm.data,
      from: alex,
    });
    expect(h.app.store.getRun(runId)?.status).toBe('queued');

    clock.advance(6_000);
    const failed = await waitUntil(
      () => (h!.app.store.getRun(runId)?.status === 'failed' ? h!.app.store.getRun(runId) : undefined),
      10_000,
      'the run to fail',
    );
    expect(failed.steps[0]).toMatchObject({ status: 'failed', notice: { key: 'run.not-picked-up' } });
    const en = createTranslator('en-US');
    const expected = en.t('run.not-picked-up', {
      timeout: en.formatDuration(5_000),
      server: 'backend01',
      lastSeen: en.formatDateTime(failed.steps[0]!.notice!.params.lastSeen as string),
    });
    const card = await waitUntil(
      () =>
        h!.connector
          .messages(thread)
          .map((m) => cardText(cardOf(m.activity)))
          .find((text) => text.includes(expected)),
      10_000,
      'a card with the reason',
    );
    expect(card).toContain('backend01');
    const audit = await h.app.store.readAudit();
    expect(audit.some((e) => e.action === 'not-picked-up' && e.runId === runId)).toBe(true);
  }, 60_000);
});
