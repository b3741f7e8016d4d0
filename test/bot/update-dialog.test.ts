/**
 * The update dialog with and without server facts, on a real RunService over a lowdb file and
 * the real card views: a server that reported its edition is planned without questions; one that
 * reported nothing is asked for the edition (and the SQL Server) as before; `update backend01
 * standard` keeps working.
 */
import { describe, expect, it } from 'vitest';
import { createViews } from '../../src/cards/index.js';
import { parseCommand, type UpdateCommand } from '../../src/commands/index.js';
import { PendingQuestions } from '../../src/dialogs/pending.js';
import type { Reply, Turn } from '../../src/dialogs/turn.js';
import { UpdateDialog } from '../../src/dialogs/update-dialog.js';
import { createTranslator } from '../../src/i18n/index.js';
import type { ServerFacts } from '../../src/procedure/index.js';
import { ALEX, CONVERSATION, makeService } from '../runs/support.js';
import { cardText } from '../support/card-reading.js';
import { profile } from '../procedure/fixtures.js';

const t = createTranslator('en-US');

async function setUp() {
  const made = await makeService();
  const dialog = new UpdateDialog({
    runs: made.service,
    views: createViews(),
    pending: new PendingQuestions(),
  });
  const replies: Reply[] = [];
  const turn: Turn = {
    user: ALEX,
    conversationId: CONVERSATION,
    locale: 'en-US',
    userLocale: 'en-US',
    reply: async (reply) => {
      replies.push(reply);
      return `activity-${replies.length}`;
    },
  };
  /** Types a line: a command goes to start(), anything else answers the open question. */
  const type = async (text: string) => {
    const parsed = parseCommand(text);
    if (parsed.ok && (parsed.value.name === 'update' || parsed.value.name === 'plan'))
      await dialog.start(turn, t, parsed.value as UpdateCommand);
    else expect(await dialog.answer(turn, t, text)).toBe(true);
    return replies.at(-1)!;
  };
  const textOf = (reply: Reply) =>
    typeof reply === 'string'
      ? reply
      : `${reply.text ?? ''}${reply.attachments.map((a) => cardText(a.content)).join('\n')}`;
  return { ...made, type, textOf };
}

/** Makes the runner of `server` one that reported nothing: no facts, no edition in its profile. */
async function forgetFacts(store: Awaited<ReturnType<typeof makeService>>['store'], server: string) {
  const runner = store.runners().find((r) => r.server === server)!;
  const product = runner.info!.profile.product;
  await store.saveRunner({
    ...runner,
    facts: null,
    info: { ...runner.info!, profile: profile(product, server) },
  });
}

describe('update dialog', () => {
  it('asks for the edition and then the SQL Server when the server reported neither', async () => {
    const { store, type, textOf } = await setUp();
    await forgetFacts(store, 'be01');
    expect(textOf(await type('update be01'))).toBe(
      t.t('bot.ask.edition', { command: 'update', server: 'be01' }),
    );
    expect(textOf(await type('enterprise'))).toBe(t.t('bot.ask.sql', { command: 'update', server: 'be01' }));
    const plan = textOf(await type('sql01.contoso.local'));
    expect(plan).toContain("-SqlServerFqdn 'sql01.contoso.local'");
    expect(plan).toContain('could not compare');
    expect(store.liveRuns().map((r) => r.server)).toEqual(['be01']);
  });

  it('plans at once with what the server reported, and asks only for the SQL Server it did not report', async () => {
    const { store, type, textOf } = await setUp();
    const reported: ServerFacts = {
      readAt: '2026-11-23T01:55:00.000Z',
      product: 'sfb2019',
      installedVersion: '7.0.2046.385',
      components: [{ name: 'Core Components', version: '7.0.2046.385' }],
      edition: 'enterprise',
      poolFqdn: 'pool01.contoso.local',
      sqlServerFqdn: null,
      collocatedStores: false,
      mirrored: false,
      pendingRestart: false,
      freeSpaceGb: 40,
      powershellVersion: '5.1',
      csServiceCount: 12,
    };
    const runner = store.runners().find((r) => r.server === 'be01')!;
    await store.saveRunner({ ...runner, facts: reported });
    expect(textOf(await type('plan be01'))).toBe(t.t('bot.ask.sql', { command: 'plan', server: 'be01' }));
    const plan = textOf(await type('sql01.contoso.local'));
    expect(plan).toContain("-SqlServerFqdn 'sql01.contoso.local'");
    expect(plan).toContain('7.0.2046.385 -> 7.0.2046.530');

    await store.saveRunner({ ...runner, facts: { ...reported, sqlServerFqdn: 'sql01.contoso.local' } });
    const direct = textOf(await type('plan be01'));
    expect(direct).toContain("-SqlServerFqdn 'sql01.contoso.local'");
    expect(direct).toContain(
      t.t('update.note.from-facts', { server: 'be01', time: t.formatDateTime(reported.readAt) }),
    );
  });

  it('keeps "update backend01 standard" as before, and refuses a contradicting edition without a card', async () => {
    const { store, type, textOf } = await setUp();
    const plan = await type('update backend01 standard');
    expect(typeof plan).not.toBe('string');
    expect(textOf(plan)).toContain('backend01');
    const refused = await type('update be01 standard');
    expect(refused).toBe(
      t.t('update.edition-mismatch', { server: 'be01', typed: 'standard', reported: 'enterprise' }),
    );
    expect(store.liveRuns().map((r) => r.server)).toEqual(['backend01']);
  });
});
