/**
 * Teams' per-conversation limits as the capture connector applies them (observe and enforce),
 * plus the route parsing that has to undo botbuilder's URL encoding exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEAMS_CONVERSATION_LIMITS } from '../../src/bot/pacing.js';
import { startCaptureConnector, type CaptureConnector } from '../../src/lab/capture-connector.js';
import { ConversationLimitTracker } from '../../src/lab/capture-connector-faults.js';
import { parseConnectorRoute } from '../../src/lab/capture-connector-routes.js';
import { startSampleBot, type RunningSampleBot } from '../support/sample-bot.js';
import { createTeamsClient } from '../support/teams-client.js';

describe('ConversationLimitTracker', () => {
  const fill = (tracker: ConversationLimitTracker, times: number[]) =>
    times.forEach((t) => tracker.record('c', t));

  it('uses the same windows as the pacer', () => {
    expect(TEAMS_CONVERSATION_LIMITS.map((w) => [w.max, w.windowMs])).toEqual([
      [7, 1_000],
      [8, 2_000],
      [60, 30_000],
      [1_800, 3_600_000],
    ]);
  });

  it('allows 7 per second and 8 per 2 seconds', () => {
    const tracker = new ConversationLimitTracker();
    fill(tracker, [0, 1, 2, 3, 4, 5, 6]);
    expect(tracker.check('c', 7)).toEqual({ exceeded: true, retryAfterSeconds: 1 });
    expect(tracker.check('other', 7).exceeded).toBe(false);
    expect(tracker.check('c', 1_001).exceeded).toBe(false);
    tracker.record('c', 1_001);
    expect(tracker.check('c', 1_500)).toEqual({ exceeded: true, retryAfterSeconds: 1 });
    expect(tracker.check('c', 2_001).exceeded).toBe(false);
  });

  it('allows 60 per 30 seconds and 1800 per hour', () => {
    const spaced = new ConversationLimitTracker();
    fill(
      spaced,
      Array.from({ length: 60 }, (_, i) => i * 300),
    );
    expect(spaced.check('c', 18_000)).toEqual({ exceeded: true, retryAfterSeconds: 12 });
    expect(spaced.check('c', 30_001).exceeded).toBe(false);

    const hourly = new ConversationLimitTracker();
    fill(
      hourly,
      Array.from({ length: 1_800 }, (_, i) => i * 1_000),
    );
    expect(hourly.check('c', 1_800_000).exceeded).toBe(true);
    expect(hourly.check('c', 3_600_001).exceeded).toBe(false);
  });
});

describe('parseConnectorRoute', () => {
  const thread = '19:abc@thread.tacv2;messageid=1712345678901';
  const encoded = encodeURIComponent(thread);

  it('decodes ids with ; = : @ and tells send, reply, update and delete apart', () => {
    expect(parseConnectorRoute('POST', `/v3/conversations/${encoded}/activities`)).toEqual({
      kind: 'send',
      conversationId: thread,
    });
    expect(parseConnectorRoute('POST', `/v3/conversations/${encoded}/activities/17`)).toMatchObject({
      kind: 'reply',
      activityId: '17',
    });
    expect(parseConnectorRoute('PUT', `//v3/conversations/${encoded}/activities/17?x=1`)).toMatchObject({
      kind: 'update',
      conversationId: thread,
    });
    expect(parseConnectorRoute('DELETE', `/v3/conversations/a%3Ab/activities/17`)).toMatchObject({
      kind: 'delete',
      conversationId: 'a:b',
    });
    expect(
      parseConnectorRoute('POST', `/v3/conversations/${encodeURIComponent('a/b')}/activities`),
    ).toMatchObject({
      conversationId: 'a/b',
    });
  });

  it('leaves everything else to the unknown-route path', () => {
    for (const [method, path] of [
      ['GET', `/v3/conversations/${encoded}/members`],
      ['POST', '/v3/conversations'],
      ['POST', `/v3/conversations/${encoded}/activities/history`],
      ['GET', `/v3/conversations/${encoded}/activities`],
      ['POST', '/v3/conversations/%E0%A4%A/activities'],
      ['POST', `/v3/conversations/${encoded}/activities/1/members`],
    ] as const) {
      expect(parseConnectorRoute(method, path), `${method} ${path}`).toBeUndefined();
    }
  });
});

describe('limits over HTTP', () => {
  let connector: CaptureConnector | undefined;
  let bot: RunningSampleBot | undefined;
  afterEach(async () => {
    await bot?.close();
    await connector?.close();
  });

  async function setUp(options: Parameters<typeof startCaptureConnector>[0]) {
    connector = await startCaptureConnector(options);
    bot = await startSampleBot();
    const teams = createTeamsClient({ botEndpoint: bot.endpoint, serviceUrl: connector.url });
    const threadOf = async () =>
      ((await teams.postInChannel('hi')).activity?.conversation as { id: string }).id;
    return { connector, bot, threads: [await threadOf(), await threadOf()] as const };
  }

  async function burst(target: RunningSampleBot, thread: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) {
      await target.send(thread, { text: `burst ${i}` }).then(
        () => statuses.push(200),
        (e: { statusCode?: number }) => statuses.push(e.statusCode ?? -1),
      );
    }
    return statuses;
  }

  it('observe mode accepts everything and counts violations per conversation', async () => {
    const { connector, bot, threads } = await setUp({});
    // The echo reply already used one message of each thread's budget.
    const statuses = await burst(bot, threads[0], 8);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(connector.stats).toMatchObject({ violations: 2, throttled: 0 });
    expect(connector.messages(threads[1])).toHaveLength(1);
  });

  it('enforce mode answers 429 (here without Retry-After, so botbuilder does not retry)', async () => {
    const { connector, bot, threads } = await setUp({ teamsLimits: 'enforce', limitRetryAfter: false });
    const statuses = await burst(bot, threads[0], 8);
    const other = await burst(bot, threads[1], 1);

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expect(other).toEqual([200]);
    expect(connector.stats).toMatchObject({ violations: 2, throttled: 2 });
    expect(connector.requests.filter((r) => r.refusal === 'rate-limit')).toHaveLength(2);
  });

  it('enforce mode with Retry-After: botbuilder waits and the message gets through', async () => {
    const { connector, bot, threads } = await setUp({ teamsLimits: 'enforce' });
    const started = Date.now();
    const statuses = await burst(bot, threads[0], 7);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(connector.stats).toMatchObject({ violations: 1, throttled: 1 });
    expect(connector.requests.find((r) => r.refusal === 'rate-limit')?.retryAfterSeconds).toBe(1);
  });
});
