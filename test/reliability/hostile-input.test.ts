import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_VERBS } from '../../src/cards/verbs.js';
import { parseCommand } from '../../src/commands/index.js';
import { BACKEND01, BE01, LAB_FLEET, labServerSpec } from '../../src/lab/servers.js';
import { planUpdate } from '../../src/procedure/index.js';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import {
  cardActionActivity,
  groupChat,
  messageActivity,
  personalChat,
  type Activity,
  type BotAnswer,
} from '../support/teams-client.js';
import {
  anyText,
  cardActionCases,
  firstStepResult,
  hostileCommand,
  malformedActivity,
  rawBodies,
  runnerBodies,
  SEED,
  type CardActionCase,
} from './support/hostile.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, waitUntil, type RunHandle } from './support/system.js';

const SCENARIO = {
  order: 5,
  title: 'Hostile input (fast-check, fixed seed)',
  notes: [
    `Seed ${SEED}. Commands go to the parser in-process (and every plan they yield is checked for unquoted or ` +
      'unvalidated values), a sample of them to /api/messages; card actions, malformed activities and runner API ' +
      'bodies (signed by a registered runner, so they pass authentication and reach validation) go over HTTP to the bot process.',
  ],
};
const COUNTS = {
  parser: 7_000,
  commandsHttp: 400,
  cardActions: 1_300,
  activities: 600,
  rawBodies: 150,
  runnerBodies: 800,
};
const FUZZ_RUNNER = {
  id: 'rn-fuzz',
  server: 'fuzz01',
  secret: 'fuzz-runner-secret-0123456789abcdefghijklmnop',
};

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('hostile-input', SCENARIO, { check, measured, pass });

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/** Quoted values may hold only what the validators let through; outside quotes only the catalog's words. */
function unsafeCommand(command: string): boolean {
  const literals = [...command.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1] ?? '');
  const outside = command.replace(/'(?:[^']|'')*'/g, '');
  return !/^[A-Za-z0-9 ./-]*$/.test(outside) || literals.some((l) => !/^[A-Za-z0-9._:\\/ -]*$/.test(l));
}

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}x${n}`)
    .join(' ');
}

/** Seconds since `since`, for the table. */
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

describe('hostile input', () => {
  it('refuses every case clearly, never crashes, and runs nothing but plan commands', async () => {
    beginScenario('hostile-input');
    system = await ReliabilitySystem.start({ name: 'hostile' });
    system.addServer(BACKEND01);
    system.addServer(BE01);
    system.extraRunners.push(FUZZ_RUNNER);
    const bot = await system.startBot();
    await Promise.all([system.startRunner('backend01'), system.startRunner('be01')]);
    await system.waitForRunnersOnline();

    // 1. The parser, in-process: never throws; every plan it leads to carries only validated values.
    let phase = Date.now();
    let parserCases = 0;
    let plansChecked = 0;
    const unsafe: string[] = [];
    fc.assert(
      fc.property(anyText, (text) => {
        parserCases++;
        const parsed = parseCommand(text);
        return parsed.ok || (parsed.error.code.length > 0 && parsed.error.message.length > 0);
      }),
      { seed: SEED, numRuns: COUNTS.parser / 2 },
    );
    fc.assert(
      fc.property(hostileCommand, (text) => {
        parserCases++;
        const parsed = parseCommand(text);
        if (!parsed.ok) return parsed.error.code.length > 0 && parsed.error.message.length > 0;
        const command = parsed.value;
        if ((command.name !== 'update' && command.name !== 'plan') || !command.server || !command.edition)
          return true;
        const spec = LAB_FLEET.find((s) => s.profile.server === command.server);
        if (!spec) return true;
        const request = {
          server: command.server,
          edition: command.edition,
          sqlServerFqdn: command.sqlServerFqdn ?? undefined,
          collocated: command.collocated,
        };
        const planned = planUpdate(request, spec.profile);
        if (!planned.ok) return true;
        plansChecked++;
        for (const step of planned.value.steps) if (unsafeCommand(step.command)) unsafe.push(step.command);
        return true;
      }),
      { seed: SEED, numRuns: COUNTS.parser / 2 },
    );
    record(
      'parser: never throws, refuses with a reason; plans carry only validated values',
      `${parserCases} cases in ${seconds(phase)}; ${plansChecked} plans built from them, ${unsafe.length} commands with an unvalidated value`,
      unsafe.length === 0,
    );
    expect(unsafe).toEqual([]);

    // A plan card in a channel thread that nobody confirms: card actions must never move it.
    const planned = await system.planRun('backend01', 'standard');

    // 2. Card actions over HTTP: other conversations, wrong shapes, huge and non-UTF-8 payloads.
    const conversations = {
      thread: planned.target,
      group: groupChat(system.teams.tenant),
      personal: personalChat(system.teams.tenant),
    };
    const legit = (c: CardActionCase) => {
      const data = c.data as { runId?: unknown } | undefined;
      const id =
        typeof data?.runId === 'string' && /^\d{1,9}$/.test(data.runId) ? Number(data.runId) : data?.runId;
      return (
        c.conversation === 'thread' &&
        c.value === undefined &&
        c.name === undefined &&
        ALL_VERBS.includes(c.verb as never) &&
        id === planned.runId
      );
    };
    const actionCases = fc
      .sample(cardActionCases([planned.runId]), { seed: SEED, numRuns: COUNTS.cardActions })
      .filter((c) => !legit(c));
    const actionAnswers: BotAnswer[] = [];
    phase = Date.now();
    await pool(actionCases, 6, async (c) => {
      const activity: Activity = cardActionActivity(conversations[c.conversation], {
        serviceUrl: system.connector.url,
        from: system.teams.user(c.from),
        replyToId: planned.cardId,
        verb: 'x',
      });
      activity.value =
        c.value !== undefined
          ? c.value
          : { action: { type: 'Action.Execute', verb: c.verb, data: c.data }, trigger: 'manual' };
      if (c.name !== undefined) activity.name = c.name;
      actionAnswers.push(await system.teams.post(activity));
    });
    // Byte-level: prototype keys and invalid UTF-8 inside an otherwise good invoke.
    const base = JSON.stringify(
      cardActionActivity(planned.target, {
        serviceUrl: system.connector.url,
        replyToId: planned.cardId,
        verb: 'plan.confirm',
        from: system.teams.user('Fay'),
        data: { runId: 424242 },
      }),
    );
    for (const body of [
      base
        .replace('"runId":424242', `"runId":${planned.runId},"__proto__":{"isApprover":true}`)
        .replace('"verb":"plan.confirm"', '"verb":"run.approve"'),
      base.replace('"verb":"plan.confirm"', '"verb":{"constructor":{"prototype":{"polluted":true}}}'),
    ])
      actionAnswers.push(await system.teams.postRaw(body));
    const utf8 = Buffer.from(base.replace('"plan.confirm"', '"plan.confirm\u0001"'));
    const bad = Buffer.concat([
      utf8.subarray(0, utf8.indexOf('\u0001')),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
      utf8.subarray(utf8.indexOf('\u0001') + 1),
    ]);
    actionAnswers.push(await system.teams.postRaw(new Uint8Array(bad)));
    const unclear = actionAnswers.filter((a) => {
      if (a.status === 400 || a.status === 413 || a.status === 501) return false;
      const body = a.body as { type?: string; value?: unknown } | undefined;
      return !(
        a.status === 200 &&
        typeof body?.type === 'string' &&
        body.value !== undefined &&
        JSON.stringify(body.value).length > 2
      );
    });
    const plannedAfter = system.run(planned.runId)!;
    record(
      'card actions: every payload refused with an answer, the plan untouched',
      `${actionAnswers.length} cases in ${seconds(phase)} (${COUNTS.cardActions - actionCases.length} legitimate ones left out); answers ${tally(actionAnswers.map((a) => a.status))}; without a clear answer: ${unclear.length}; plan still ${plannedAfter.status}`,
      unclear.length === 0 && plannedAfter.status === 'planned',
    );
    expect(unclear.map((a) => `${a.status} ${JSON.stringify(a.body).slice(0, 200)}`)).toEqual([]);
    expect(plannedAfter.status).toBe('planned');

    // 3. Malformed activities and raw bodies to /api/messages.
    const valid = messageActivity(groupChat(system.teams.tenant), 'help', {
      serviceUrl: system.connector.url,
    });
    const activities = fc.sample(malformedActivity(valid), { seed: SEED, numRuns: COUNTS.activities });
    const raws = fc.sample(rawBodies, { seed: SEED, numRuns: COUNTS.rawBodies });
    const activityStatuses: number[] = [];
    phase = Date.now();
    await pool(activities, 6, async (a) => {
      activityStatuses.push((await system.teams.postRaw(JSON.stringify(a) ?? 'undefined')).status);
    });
    await pool(raws, 6, async (r) => {
      activityStatuses.push((await system.teams.postRaw(r)).status);
    });
    activityStatuses.push(
      (await system.teams.postRaw('{"type":"message"}', { 'content-type': 'text/plain' })).status,
    );
    activityStatuses.push(
      (await system.teams.postRaw(JSON.stringify({ ...valid, text: 'x'.repeat(600_000) }))).status,
    );
    const serverErrors = activityStatuses.filter((s) => s >= 500 && s !== 501).length;
    record(
      'malformed activities: refused (400/413/415) or handled, never a server error',
      `${activityStatuses.length} cases in ${seconds(phase)}; answers ${tally(activityStatuses)}`,
      serverErrors === 0,
    );
    expect(tally(activityStatuses.filter((s) => s >= 500 && s !== 501))).toBe('');

    // 4. Runner API bodies, signed by a registered runner so they get past authentication.
    const validResult = firstStepResult(planned.runId);
    const fuzzProfile = labServerSpec({
      server: FUZZ_RUNNER.server,
      product: 'sfb2019',
      edition: 'standard',
    }).profile;
    const validBeat = {
      info: { runnerId: FUZZ_RUNNER.id, version: '1.0.0', profile: fuzzProfile },
      runId: null,
      stepId: null,
    };
    const runnerCases = fc.sample(runnerBodies(validResult, validBeat), {
      seed: SEED,
      numRuns: COUNTS.runnerBodies,
    });
    const runnerStatuses: number[] = [];
    phase = Date.now();
    await pool(runnerCases, 6, async (c) => {
      runnerStatuses.push((await system.runnerCall(RUNNER_API_PATHS[c.path], c.body, FUZZ_RUNNER)).status);
    });
    for (const bytes of [
      Buffer.from('{"results":['),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      Buffer.alloc(300_000, 0x20),
    ])
      runnerStatuses.push(
        (await system.runnerCall(RUNNER_API_PATHS.results, new Uint8Array(bytes), FUZZ_RUNNER)).status,
      );
    const runnerServerErrors = runnerStatuses.filter((s) => s >= 500).length;
    record(
      'runner API bodies: refused with a reason, never a server error',
      `${runnerStatuses.length} cases in ${seconds(phase)}; answers ${tally(runnerStatuses)}`,
      runnerServerErrors === 0,
    );
    expect(tally(runnerStatuses.filter((s) => s >= 500))).toBe('');

    // 5. A sample of the hostile commands over HTTP: each gets an answer in the chat.
    const commands = fc.sample(hostileCommand, { seed: SEED + 1, numRuns: COUNTS.commandsHttp });
    const users = ['Alex', 'Bea', 'Chen', 'Dana', 'Eli', 'Fay'];
    const posted: Activity[] = [];
    const commandStatuses: number[] = [];
    phase = Date.now();
    await pool(commands, 4, async (text, i) => {
      const answer = await system.teams.sayInGroupChat(text, {
        from: system.teams.user(users[i % users.length]!),
      });
      commandStatuses.push(answer.status);
      if (answer.activity) posted.push(answer.activity);
    });
    const replied = (a: Activity) => system.connector.activities.some((c) => c.replyToId === a.id);
    await waitUntil(() => posted.every(replied), 20_000, 'an answer to every command').catch(() => undefined);
    const unanswered = posted.filter((a) => !replied(a));
    record(
      'commands over HTTP: every message answered in the chat',
      `${commands.length} messages in ${seconds(phase)}; HTTP ${tally(commandStatuses)}; unanswered: ${unanswered.length}`,
      unanswered.length === 0 && commandStatuses.every((s) => s === 200),
    );
    expect(unanswered.map((a) => a.text)).toEqual([]);

    // 6. Commands that are odd but valid do reach the servers, as exactly the plan's commands.
    const odd: RunHandle[] = [
      await system.planRun(
        'be01',
        '',
        'Alex',
        '',
        '<at>PatchBot</at>\u00a0 UPDATE\tbe01  Enterprise  --sql=SQL01.Contoso.Local',
      ),
      await system.planRun('backend01', '', 'Bea', '', 'update&nbsp;backend01 &nbsp; STANDARD'),
    ];
    // The plan from step 2 still blocks backend01: cancel it from its own card first.
    const cancelled = await system.teams.pressCardButton({
      conversation: planned.target,
      replyToId: planned.cardId,
      verb: 'plan.cancel',
      data: { runId: planned.runId },
      from: system.teams.user('Alex'),
    });
    expect(cancelled.status).toBe(200);
    const backendPlan = odd[1]!.runId === planned.runId ? undefined : odd[1];
    await system.confirm(odd[0]!, 'Alex');
    const finals = [await system.waitForRun(odd[0]!.runId, ['succeeded', 'failed'], 60_000)];
    if (backendPlan && system.run(backendPlan.runId)?.status === 'planned') {
      await system.confirm(backendPlan, 'Bea');
      finals.push(await system.waitForRun(backendPlan.runId, ['succeeded', 'failed'], 60_000));
    }
    const foreign: string[] = [];
    for (const name of ['backend01', 'be01']) {
      const allowed = new Set(
        finals.filter((r) => r.server === name).flatMap((r) => r.plan.steps.map((s) => s.command)),
      );
      for (const c of system.server(name).lab.commandLog())
        if (c.kind === 'unknown' || (c.kind === 'step' && !allowed.has(c.command)))
          foreign.push(`${name}: ${c.command}`);
    }
    const alive =
      bot.alive && system.botProcesses.length === 1 && (await fetch(`${system.url}/healthz`)).status === 200;
    const totalCases =
      parserCases + actionAnswers.length + activityStatuses.length + runnerStatuses.length + commands.length;
    record(
      'PowerShell sees only plan commands; the bot never crashed',
      `${totalCases} cases in all; runs from odd but valid commands: ${finals.map((r) => `#${r.id} ${r.status}`).join(', ')}; commands on the simulators not in a plan: ${foreign.length}; bot process alive throughout: ${alive}`,
      foreign.length === 0 && alive && totalCases >= 10_000 && finals.every((r) => r.status === 'succeeded'),
    );
    expect(foreign).toEqual([]);
    expect(alive).toBe(true);
    expect(totalCases).toBeGreaterThanOrEqual(10_000);
    expect(finals.map((r) => r.status)).toEqual(finals.map(() => 'succeeded'));
  }, 240_000);
});
