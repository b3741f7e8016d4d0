/**
 * The bot's four languages, proven through Teams-shaped activities over real HTTP: the language
 * of the Teams client (activity.locale), the `language` command kept per conversation, the
 * fallbacks (de-AT -> de-DE, anything unknown -> en-US), and the language of a run's messages in
 * a channel (the requester's, unless the conversation has a language set). Expected texts come
 * from the catalogs, never from guesses.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CATALOGS,
  SUPPORTED_LOCALES,
  createTranslator,
  interpolate,
  runStatusName,
  stepTitle,
  type MessageKey,
  type SupportedLocale,
} from '../../src/i18n/index.js';
import type { PlaygroundUser } from '../../src/lab/playground-tenant.js';
import type { RunRecord } from '../../src/store/types.js';
import { compiledLabHost } from '../runner/compiled-host.js';
import {
  cardActionActivity,
  channelThread,
  createTeamsClient,
  messageActivity,
  type ConversationTarget,
  type TeamsClient,
} from '../support/teams-client.js';
import { cardActions, cardOf, cardText, startBotHarness, waitUntil, type BotHarness } from './harness.js';
import { rollBackLabServers } from './lab-rollback.js';

let h: BotHarness;
let alex: PlaygroundUser;
let bea: PlaygroundUser;
let chen: PlaygroundUser;

beforeAll(async () => {
  // The simulator compiled once to JavaScript: the same host, without tsx's start-up per session.
  const hostExecutable = await compiledLabHost();
  h = await startBotHarness({}, { serverOptions: () => ({ hostExecutable }) });
  alex = h.teams.user('Alex');
  bea = h.teams.user('Bea');
  chen = h.teams.user('Chen');
}, 60_000);
afterAll(async () => h?.stop());

/** A catalog message with its parameters filled in, exactly as the bot's translator does it. */
function msg(locale: SupportedLocale, key: MessageKey, params: Record<string, string | number> = {}): string {
  return interpolate(CATALOGS[locale][key], params);
}

const SERVERS = 'backend01, be01, lyncbe01';

// --- Teams helpers ------------------------------------------------------------------------------

interface Speaker {
  from: PlaygroundUser;
  /** The Teams client's language (activity.locale). */
  locale: string;
}

const personal = (name: string): ConversationTarget => ({
  conversationType: 'personal',
  id: `a:lab-locale-${name}`,
});
const group = (name: string): ConversationTarget => ({
  conversationType: 'groupChat',
  id: `19:lab-locale-${name}@thread.v2`,
});

/** Posts a message in `target`; the bot's answers to it. */
async function say(target: ConversationTarget, text: string, speaker: Speaker) {
  const before = h.connector.messages(target.id).length;
  const answer = await h.teams.post(
    messageActivity(target, text, { serviceUrl: h.connector.url, ...speaker }),
  );
  expect(answer.status).toBe(200);
  return waitUntil(
    () => {
      const all = h.connector.messages(target.id).slice(before);
      return all.length > 0 ? all : undefined;
    },
    5000,
    `an answer to "${text}"`,
  );
}

async function textAnswer(target: ConversationTarget, text: string, speaker: Speaker): Promise<string> {
  const [first] = await say(target, text, speaker);
  return String(first!.activity.text ?? '');
}

async function cardAnswer(target: ConversationTarget, text: string, speaker: Speaker) {
  const answers = await say(target, text, speaker);
  const message = answers.find((m) => cardOf(m.activity));
  if (!message) throw new Error(`no card for "${text}": ${answers.map((m) => m.activity.text).join()}`);
  return { id: message.id, card: cardOf(message.activity)! };
}

/** Presses a button the way Teams does; the card or the message it answers with. */
async function press(
  target: ConversationTarget,
  cardId: string,
  button: { verb: string; data: Record<string, unknown> },
  speaker: Speaker,
) {
  const answer = await h.teams.post(
    cardActionActivity(target, {
      serviceUrl: h.connector.url,
      ...speaker,
      replyToId: cardId,
      verb: button.verb,
      data: button.data,
    }),
  );
  expect(answer.status).toBe(200);
  return (answer.body as { value: unknown }).value;
}

function button(card: unknown, verb: string) {
  const found = cardActions(card).find((a) => a.verb === verb);
  if (!found) throw new Error(`no ${verb} button`);
  return found;
}

/** The plan card of a run is in `locale`, and not in English when `locale` is not English. */
function expectPlanCardIn(locale: SupportedLocale, card: Record<string, unknown>, server: string) {
  const text = cardText(card);
  const runId = Number(button(card, 'plan.confirm').data.runId);
  expect(card.lang).toBe(locale);
  expect(text).toContain(msg(locale, 'card.run.title', { runId, server }));
  expect(text).toContain(msg(locale, 'card.fact.server'));
  expect(text).toContain(msg(locale, 'card.downtime.heading'));
  expect(text).toContain(msg(locale, 'card.downtime.resiliency'));
  const product = h.app.store.getRun(runId)!.product;
  expect(text).toContain(stepTitle(createTranslator(locale), 'precheck.role', product));
  expect(button(card, 'plan.confirm').title).toBe(msg(locale, 'card.action.confirm'));
  expect(button(card, 'plan.cancel').title).toBe(msg(locale, 'card.action.cancel'));
  if (locale !== 'en-US') expect(text).not.toContain(msg('en-US', 'card.downtime.resiliency'));
  return runId;
}

/** `update`, check the plan card, then dismiss it so the server stays free. */
async function planCardRoundTrip(target: ConversationTarget, locale: SupportedLocale, speaker: Speaker) {
  const plan = await cardAnswer(target, 'update backend01 standard', speaker);
  expectPlanCardIn(locale, plan.card, 'backend01');
  const dismissed = await press(target, plan.id, button(plan.card, 'plan.cancel'), speaker);
  expect(cardText(dismissed)).toContain(runStatusName(createTranslator(locale), 'cancelled'));
}

/** The refusals and grammar errors, in `locale`. */
async function errorsIn(target: ConversationTarget, locale: SupportedLocale, speaker: Speaker) {
  expect(await textAnswer(target, 'update backend1 standard', speaker)).toBe(
    msg(locale, 'bot.unknown-server.suggest', {
      server: 'backend1',
      suggestion: 'backend01',
      servers: SERVERS,
    }),
  );
  expect(await textAnswer(target, 'update backend01 turbo', speaker)).toBe(
    msg(locale, 'error.unexpected-argument', { value: 'turbo', command: 'update' }),
  );
  expect(await textAnswer(target, 'frobnicate', speaker)).toBe(
    msg(locale, 'error.unknown-command', { value: 'frobnicate' }),
  );
}

// --- per locale -----------------------------------------------------------------------------------

describe.each(SUPPORTED_LOCALES.map((locale) => ({ locale })))('$locale', ({ locale }) => {
  it('from the Teams client: the plan card and the errors come back in it', async () => {
    const chat = personal(`client-${locale}`);
    const speaker = { from: alex, locale };
    await planCardRoundTrip(chat, locale, speaker);
    await errorsIn(chat, locale, speaker);
    expect(h.app.store.getConversation(chat.id)?.locale).toBeNull();
  });

  it('from `language`: kept for the conversation, whoever writes and whatever their client says', async () => {
    const chat = group(`command-${locale}`);
    const other = locale === 'en-US' ? 'zh-CN' : 'en-US';
    const set = await textAnswer(chat, `language ${locale}`, { from: bea, locale: other });
    expect(set).toBe(msg(locale, 'bot.language.set', { language: msg(locale, `language.${locale}`) }));
    expect(h.app.store.getConversation(chat.id)?.locale).toBe(locale);

    await planCardRoundTrip(chat, locale, { from: alex, locale: other });
    await errorsIn(chat, locale, { from: chen, locale: other });
    expect(await textAnswer(chat, 'language', { from: chen, locale: other })).toBe(
      msg(locale, 'bot.language.current', { language: msg(locale, `language.${locale}`) }),
    );
  });
});

// --- fallbacks ------------------------------------------------------------------------------------

// Each test updates servers afresh: one already at the package's version would be "nothing to do".
beforeEach(() => rollBackLabServers(h.fleet, h.app.store));

describe('fallbacks', () => {
  it('a de-AT client gets German', async () => {
    const chat = personal('client-de-AT');
    const speaker = { from: alex, locale: 'de-AT' };
    await planCardRoundTrip(chat, 'de-DE', speaker);
    await errorsIn(chat, 'de-DE', speaker);
  });

  it.each(['fr-FR', 'tlh', ''])('a client in "%s" gets English', async (clientLocale) => {
    const chat = personal(`client-unknown-${clientLocale || 'empty'}`);
    const speaker = { from: alex, locale: clientLocale };
    await planCardRoundTrip(chat, 'en-US', speaker);
    await errorsIn(chat, 'en-US', speaker);
  });

  it('`language de-AT` sets German; an unsupported language is refused; `auto` follows the client again', async () => {
    const chat = group('fallbacks');
    const es = { from: bea, locale: 'es-ES' };
    expect(await textAnswer(chat, 'language de-AT', es)).toBe(
      msg('de-DE', 'bot.language.set', { language: msg('de-DE', 'language.de-DE') }),
    );
    expect(h.app.store.getConversation(chat.id)?.locale).toBe('de-DE');
    expect(await textAnswer(chat, 'language fr-FR', es)).toBe(
      msg('de-DE', 'bot.language.unsupported', { value: 'fr-FR', supported: SUPPORTED_LOCALES.join(', ') }),
    );
    expect(h.app.store.getConversation(chat.id)?.locale).toBe('de-DE');
    await textAnswer(chat, 'language auto', es);
    expect(h.app.store.getConversation(chat.id)?.locale).toBeNull();
    await errorsIn(chat, 'es-ES', es);
    await errorsIn(chat, 'zh-CN', { from: chen, locale: 'zh-CN' });
  });
});

// --- a run's messages in a channel --------------------------------------------------------------

describe("a run's messages in a channel", () => {
  const clients = new Map<string, TeamsClient>();
  /** The lab tenant as seen from a Teams client in `locale`. */
  const client = (locale: string): TeamsClient => {
    let found = clients.get(locale);
    if (!found) {
      found = createTeamsClient({
        botEndpoint: `${h.app.url}/api/messages`,
        serviceUrl: h.connector.url,
        locale,
      });
      clients.set(locale, found);
    }
    return found;
  };

  interface ChannelRun {
    thread: ConversationTarget;
    cardId: string;
    runId: number;
  }

  /** `update` in a channel thread (a new post, or a reply in `rootId`), confirmed by its requester. */
  async function updateInChannel(
    text: string,
    from: PlaygroundUser,
    locale: string,
    expected: SupportedLocale,
    rootId?: string,
  ): Promise<ChannelRun & { plan: Record<string, unknown> }> {
    const teams = client(locale);
    const before = rootId ? h.connector.messages(channelThread(rootId).id).length : 0;
    const posted = await teams.postInChannel(text, { from, ...(rootId ? { threadRootId: rootId } : {}) });
    const thread = channelThread(rootId ?? posted.activity!.id);
    const message = await waitUntil(
      () =>
        h.connector
          .messages(thread.id)
          .slice(before)
          .find((m) => cardOf(m.activity)),
      5000,
      `the plan card for "${text}"`,
    );
    const plan = cardOf(message.activity)!;
    const runId = expectPlanCardIn(expected, plan, text.split(' ')[1]!);
    return { thread, cardId: message.id, runId, plan };
  }

  async function confirm(
    run: ChannelRun & { plan: Record<string, unknown> },
    from: PlaygroundUser,
    locale: string,
  ) {
    const answer = await client(locale).pressCardButton({
      conversation: run.thread,
      replyToId: run.cardId,
      verb: 'plan.confirm',
      data: button(run.plan, 'plan.confirm').data,
      from,
    });
    expect(answer.status).toBe(200);
    return (answer.body as { value: Record<string, unknown> }).value;
  }

  /** Waits for the run to succeed and every message about it to reach the thread. */
  async function finished(run: ChannelRun): Promise<RunRecord> {
    const done = await waitUntil(
      async () => {
        const r = await h.app.store.findRun(run.runId);
        return r && ['succeeded', 'failed', 'interrupted', 'cancelled'].includes(r.status) ? r : undefined;
      },
      30_000,
      `run #${run.runId} to finish`,
    );
    expect(done.status).toBe('succeeded');
    await waitUntil(
      () => !h.app.store.outbox().some((o) => o.conversationId === run.thread.id) || undefined,
      20_000,
      `the messages of run #${run.runId}`,
    );
    return done;
  }

  /** The step replies, the summary and the run's own card are all in `locale`. */
  function expectRunMessagesIn(locale: SupportedLocale, run: ChannelRun, done: RunRecord) {
    const t = createTranslator(locale);
    const cards = h.connector
      .messages(run.thread.id)
      .filter((m) => m.id !== run.cardId)
      .map((m) => cardOf(m.activity))
      .filter((c): c is Record<string, unknown> => c !== undefined && c.lang !== undefined);
    const replies = cards.filter((c) => cardText(c).includes(msg(locale, 'card.fact.attempt')));
    expect(replies.length).toBe(done.steps.length);
    const first = done.plan.steps[0]!;
    expect(cardText(replies[0])).toContain(
      msg(locale, 'card.step.position', {
        index: first.index,
        total: done.plan.steps.length,
        title: stepTitle(t, first.id, done.product),
      }),
    );
    expect(cards.every((c) => c.lang === locale)).toBe(true);
    expect(
      cards.some((c) => cardText(c).includes(msg(locale, 'card.summary.succeeded', { server: done.server }))),
    ).toBe(true);
    const progress = h.connector.currentCard(run.cardId)!;
    expect(progress.lang).toBe(locale);
    expect(cardText(progress)).toContain(
      msg(locale, 'card.progress.done', { done: done.steps.length, total: done.steps.length }),
    );
  }

  it("without a conversation language each run speaks its requester's language", async () => {
    const [german, spanish] = await Promise.all([
      updateInChannel('update backend01 standard', alex, 'de-DE', 'de-DE'),
      updateInChannel('update be01 enterprise sql sql01.contoso.local', chen, 'es-ES', 'es-ES'),
    ]);
    const confirmed = await Promise.all([confirm(german, alex, 'de-DE'), confirm(spanish, chen, 'es-ES')]);
    expect(confirmed.map((c) => c.lang)).toEqual(['de-DE', 'es-ES']);
    const [germanDone, spanishDone] = await Promise.all([finished(german), finished(spanish)]);
    expectRunMessagesIn('de-DE', german, germanDone);
    expectRunMessagesIn('es-ES', spanish, spanishDone);
  });

  it('with a conversation language every message uses it, whatever the requester speaks', async () => {
    const setter = await client('en-US').postInChannel('language zh-CN', { from: bea });
    const rootId = setter.activity!.id;
    const run = await updateInChannel(
      'update lyncbe01 enterprise sql lyncsql01.contoso.local collocated',
      alex,
      'de-DE',
      'zh-CN',
      rootId,
    );
    expect((await confirm(run, alex, 'de-DE')).lang).toBe('zh-CN');
    expectRunMessagesIn('zh-CN', run, await finished(run));
  });

  it("`language auto` mid-way hands the run back to its requester's language", async () => {
    const setter = await client('en-US').postInChannel('language es-ES', { from: bea });
    const rootId = setter.activity!.id;
    const run = await updateInChannel('update backend01 standard', alex, 'de-DE', 'es-ES', rootId);
    await client('en-US').postInChannel('language auto', { from: bea, threadRootId: rootId });
    expect(h.app.store.getConversation(run.thread.id)?.locale).toBeNull();
    expect((await confirm(run, alex, 'de-DE')).lang).toBe('de-DE');
    expectRunMessagesIn('de-DE', run, await finished(run));
  });
});
