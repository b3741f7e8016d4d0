import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelThread } from '../support/teams-client.js';
import { cardActions, cardOf, cardText, startBotHarness, waitUntil, type BotHarness } from './harness.js';

let h: BotHarness;

beforeAll(async () => {
  h = await startBotHarness();
}, 60_000);
afterAll(async () => h?.stop());

function botMessages(conversationId: string) {
  return h.connector.messages(conversationId);
}

describe('update in a channel, end to end over HTTP', () => {
  it('plans, confirms, runs every step on the simulated server and reports each one', async () => {
    const alex = h.teams.user('Alex');
    const post = await h.teams.postInChannel('update backend01 standard', { from: alex });
    expect(post.status).toBe(200);
    const thread = (post.activity!.conversation as { id: string }).id;
    expect(thread).toContain(';messageid=');

    const planMessage = await waitUntil(
      () => botMessages(thread).find((m) => cardOf(m.activity)),
      5000,
      'the plan card',
    );
    const plan = cardOf(planMessage.activity)!;
    const text = cardText(plan);
    expect(text).toContain('backend01');
    expect(text).toContain('Stop-PatchBotCsServices');
    expect(text).toContain('Update-PatchBotDatabase -Variant standard');
    // ...and, under our wrappers, the Microsoft commands they run (the article's lines).
    expect(text).toContain('Stop-CsWindowsService');
    expect(text).toContain('Install-CsDatabase -Update -LocalDatabases');
    expect(text).toContain('SkypeServerUpdateInstaller.exe /silentmode');
    expect(text).toContain('SkypeServerUpdateInstaller.exe');
    const confirm = cardActions(plan).find((a) => a.verb === 'plan.confirm');
    expect(confirm).toBeDefined();
    const runId = confirm!.data.runId as number;

    const answer = await h.teams.pressCardButton({
      conversation: channelThread(post.activity!.id),
      replyToId: planMessage.id,
      verb: 'plan.confirm',
      data: confirm!.data,
      from: alex,
    });
    expect(answer.status).toBe(200);
    expect((answer.body as { type: string }).type).toBe('application/vnd.microsoft.card.adaptive');

    const run = await waitUntil(
      async () => {
        const r = await h.app.store.findRun(runId);
        return r && ['succeeded', 'failed', 'interrupted'].includes(r.status) ? r : undefined;
      },
      30_000,
      'the run to finish',
    );
    expect(run.status).toBe('succeeded');
    expect(run.steps.every((s) => s.status === 'succeeded')).toBe(true);
    expect(run.downtimeStartedAt).not.toBeNull();
    expect(run.downtimeEndedAt).not.toBeNull();

    // The simulator ran exactly the plan's commands, in order.
    const server = h.fleet.servers.find((s) => s.profile.server === 'backend01')!;
    expect(server.stepCommands()).toEqual(
      run.plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command),
    );

    // Every step result reached the thread once, then the summary; the plan card became the progress card.
    await h.app.notifier.idle();
    await waitUntil(() => h.app.store.outbox().length === 0, 10_000, 'the outbox to drain');
    const replies = botMessages(thread).filter((m) => m.id !== planMessage.id && cardOf(m.activity));
    expect(replies.length).toBe(run.steps.length + 1);
    const current = h.connector.currentCard(planMessage.id);
    expect(current).toBeDefined();
    expect(cardActions(current).map((a) => a.verb)).not.toContain('plan.confirm');
    const progressText = cardText(current);
    expect(progressText).toContain(`${run.steps.length}`);
  });

  // The questions themselves (a server that reported nothing) are in update-dialog.test.ts.
  it('takes the edition and the SQL Server FQDN from what the server reported when they are left out', async () => {
    const alex = h.teams.user('Alex');
    await waitUntil(
      () => h.app.store.runners().find((r) => r.server === 'be01')?.facts,
      10_000,
      'be01 facts',
    );
    await h.teams.sayInPersonalChat('update be01', { from: alex });
    const conversation = h.teams.personalChat.id;
    const messages = await waitUntil(
      () => {
        const all = botMessages(conversation);
        return all.some((m) => cardOf(m.activity)) ? all : undefined;
      },
      5000,
      'the plan card',
    );
    expect(messages.filter((m) => !cardOf(m.activity))).toEqual([]);
    const plan = cardOf(messages.find((m) => cardOf(m.activity))!.activity);
    expect(cardText(plan)).toContain(
      "Update-PatchBotDatabase -Variant enterprise -SqlServerFqdn 'sql01.contoso.local'",
    );
    expect(cardText(plan)).toContain(
      "Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn 'sql01.contoso.local'",
    );
    expect(cardText(plan)).not.toContain('-ExcludeCollocatedStores');
  });

  it('answers an unknown server and a typo with a clear message and a suggestion', async () => {
    const alex = h.teams.user('Alex');
    const conversation = h.teams.personalChat.id;
    const before = botMessages(conversation).length;
    await h.teams.sayInPersonalChat('update backend1 standard', { from: alex });
    await h.teams.sayInPersonalChat('updte backend01 standard', { from: alex });
    const texts = await waitUntil(
      () => {
        const all = botMessages(conversation).slice(before);
        return all.length >= 2 ? all.map((m) => String(m.activity.text ?? '')) : undefined;
      },
      5000,
      'two answers',
    );
    expect(texts[0]).toContain('backend1');
    expect(texts[0]).toContain('backend01');
    expect(texts[1]).toContain('update');
  });

  it('previews with plan and creates no run', async () => {
    const alex = h.teams.user('Alex');
    const conversation = h.teams.personalChat.id;
    const before = botMessages(conversation).length;
    const runsBefore = h.app.store.liveRuns().length;
    await h.teams.sayInPersonalChat('plan lyncbe01 enterprise sql lyncsql01.contoso.local collocated', {
      from: alex,
    });
    const message = await waitUntil(
      () =>
        botMessages(conversation)
          .slice(before)
          .find((m) => cardOf(m.activity)),
      5000,
      'preview',
    );
    const card = cardOf(message.activity);
    expect(cardText(card)).toContain('Update-PatchBotDatabase -Variant enterprise-collocated');
    // The article's line for a collocated back end, as the wrapper runs it.
    expect(cardText(card)).toContain(
      "Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn 'lyncsql01.contoso.local' -ExcludeCollocatedStores",
    );
    expect(cardText(card)).toContain('LyncServerUpdateInstaller.exe');
    expect(cardActions(card)).toEqual([]);
    expect(h.app.store.liveRuns().length).toBe(runsBefore);
  });

  it('serves help, runners and status', async () => {
    const alex = h.teams.user('Alex');
    const conversation = h.teams.personalChat.id;
    for (const command of ['help', 'runners', 'status', 'history']) {
      const before = botMessages(conversation).length;
      const answer = await h.teams.sayInPersonalChat(command, { from: alex });
      expect(answer.status).toBe(200);
      await waitUntil(() => botMessages(conversation).length > before, 5000, `an answer to ${command}`);
    }
    const runners = botMessages(conversation)
      .map((m) => cardText(cardOf(m.activity)))
      .join('\n');
    for (const server of ['backend01', 'be01', 'lyncbe01']) expect(runners).toContain(server);
  });

  it('refuses a forged card action for a run of another conversation', async () => {
    const run = [...h.app.store.liveRuns(), ...(await h.app.store.finishedRuns({ limit: 5 }))][0];
    expect(run).toBeDefined();
    const answer = await h.teams.pressCardButton({
      conversation: h.teams.groupChat,
      replyToId: 'x',
      verb: 'run.abort',
      data: { runId: run!.id },
      from: h.teams.user('Alex'),
    });
    expect(answer.status).toBe(200);
    expect((answer.body as { type: string }).type).toBe('application/vnd.microsoft.activity.message');
    expect(String((answer.body as { value: unknown }).value)).toContain(`#${run!.id}`);
  });

  it('rejects a malformed activity with 400 and keeps serving', async () => {
    const bad = await h.teams.postRaw('{"not json');
    expect(bad.status).toBe(400);
    const ok = await h.teams.sayInPersonalChat('help', { from: h.teams.user('Alex') });
    expect(ok.status).toBe(200);
  });
});
