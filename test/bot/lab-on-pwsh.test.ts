import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnRealPwsh } from '../support/real-pwsh.js';
import { channelThread } from '../support/teams-client.js';
import { cardActions, cardOf, startBotHarness, waitUntil, type BotHarness } from './harness.js';

/**
 * Lab mode as `npm start` runs it where pwsh is installed: the bot, a runner agent per simulated
 * server, and each server's steps run by the real PatchBot.psm1 in real pwsh over the lab's fake
 * Windows/Lync layer. One update per database variant, from the chat to the patched server.
 */
describeOnRealPwsh('lab mode on real pwsh, end to end over HTTP', () => {
  let h: BotHarness;

  beforeAll(async () => {
    h = await startBotHarness({}, { engine: 'pwsh' });
  }, 60_000);
  afterAll(async () => h?.stop());

  it.each([
    ['backend01', 'update backend01 standard'],
    ['be01', 'update be01 enterprise sql sql01.contoso.local'],
    ['lyncbe01', 'update lyncbe01 enterprise sql lyncsql01.contoso.local collocated'],
  ])(
    'patches %s through the real module',
    async (name, command) => {
      expect(h.fleet.engine).toBe('pwsh');
      const alex = h.teams.user('Alex');
      const post = await h.teams.postInChannel(command, { from: alex });
      expect(post.status).toBe(200);
      const thread = (post.activity!.conversation as { id: string }).id;
      const planMessage = await waitUntil(
        () => h.connector.messages(thread).find((m) => cardOf(m.activity)),
        10_000,
        'the plan card',
      );
      const confirm = cardActions(cardOf(planMessage.activity)).find((a) => a.verb === 'plan.confirm');
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

      const run = await waitUntil(
        async () => {
          const r = await h.app.store.findRun(runId);
          return r && ['succeeded', 'failed', 'interrupted'].includes(r.status) ? r : undefined;
        },
        120_000,
        'the run to finish',
      );
      expect(run.steps.map((s) => `${s.stepId} ${s.status}`)).toEqual(
        run.plan.steps.map((s) => `${s.id} succeeded`),
      );
      expect(run.status).toBe('succeeded');

      const server = h.fleet.servers.find((s) => s.profile.server === name)!;
      // Every command the plan sends ran in pwsh, in order, and left the server patched and up.
      expect(server.stepCommands()).toEqual(
        run.plan.steps.filter((s) => s.session !== 'close-session').map((s) => s.command),
      );
      const state = server.readState();
      expect(state.installedVersion).toBe(server.profile.package.version);
      expect(state.databaseVersion).toBe(server.profile.package.version);
      expect(Object.values(state.services).every((s) => s === 'Running')).toBe(true);
      expect(state.w3svc).toBe('Running');
      expect(state.downtime).toHaveLength(1);
    },
    180_000,
  );
});
