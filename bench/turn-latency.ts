import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCaptureConnector, type CaptureConnector } from '../src/lab/capture-connector.js';
import { createTeamsClient, messageActivity, type TeamsClient } from '../test/support/teams-client.js';
import { replyTo } from './chat.js';
import { startBotProcess, type BotProcess } from './child-process.js';
import { runConcurrently } from './load.js';
import type { PatchBotProcessOptions } from './patch-bot-process.js';
import { benchRunner } from './seed-store.js';
import { summarize } from './stats.js';
import type { BenchRow } from './table.js';

/**
 * 1. Turn latency: `plan backend01 standard` posted as a Teams activity -> the plan card reply
 * accepted by the capture connector, at concurrency 10 over loopback. Baseline: a bare botbuilder
 * echo handler (CloudAdapter + restify) answering through the same connector, measured in the
 * same run in alternating rounds so machine noise hits both alike.
 */

const CONCURRENCY = 10;
const WARMUP_REQUESTS = 100;
/** Many short alternating rounds: a noisy neighbour or a GC pause lands on both bots alike. */
const ROUNDS = 24;
const REQUESTS_PER_ROUND = 50;
const BUDGET_PER_ROUND_MS = 10_000;
const REPLY_TIMEOUT_MS = 10_000;

interface Target {
  name: string;
  teams: TeamsClient;
  text: string;
  samples: number[];
}

async function oneTurn(target: Target, connector: CaptureConnector, worker: number): Promise<number> {
  const activity = messageActivity(
    { conversationType: 'personal', id: `a:bench-turn-${target.name}-${worker}` },
    target.text,
    { serviceUrl: connector.url, mention: false },
  );
  const started = performance.now();
  const replied = connector
    .waitFor((activities) => replyTo(activities, activity.id), REPLY_TIMEOUT_MS)
    .then(() => performance.now());
  const answer = await target.teams.post(activity);
  if (answer.status !== 200) throw new Error(`${target.name} answered ${answer.status}`);
  return (await replied) - started;
}

async function round(target: Target, connector: CaptureConnector, requests: number, keep: boolean) {
  const outcome = await runConcurrently(requests, CONCURRENCY, BUDGET_PER_ROUND_MS, async (_i, worker) => {
    const latency = await oneTurn(target, connector, worker);
    if (keep) target.samples.push(latency);
  });
  if (outcome.timedOut) console.warn(`turn latency: ${target.name} round cut short by its time budget`);
}

export async function benchTurnLatency(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'patchbot-bench-turn-'));
  const connector = await startCaptureConnector({ teamsLimits: 'off' });
  const bots: BotProcess[] = [];
  try {
    const dataDir = path.join(dir, 'data');
    const patchBot = await startBotProcess('patch-bot-process.ts', {
      dataDir,
    } satisfies PatchBotProcessOptions);
    bots.push(patchBot);
    await patchBot.call({ type: 'register-runners', runners: [benchRunner('backend01').record] });
    const echoBot = await startBotProcess('echo-bot-process.ts', {});
    bots.push(echoBot);
    const client = (bot: BotProcess) =>
      createTeamsClient({ botEndpoint: `${bot.url}/api/messages`, serviceUrl: connector.url });
    const echo: Target = {
      name: 'echo',
      teams: client(echoBot),
      text: 'plan backend01 standard',
      samples: [],
    };
    const patch: Target = {
      name: 'patch',
      teams: client(patchBot),
      text: 'plan backend01 standard',
      samples: [],
    };

    for (const target of [echo, patch]) await round(target, connector, WARMUP_REQUESTS, false);
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first, so neither always follows the other's garbage collection.
      const order = i % 2 === 0 ? [echo, patch] : [patch, echo];
      for (const target of order) await round(target, connector, REQUESTS_PER_ROUND, true);
    }
    const plans = connector.activities.filter((a) => a.conversationId.includes('bench-turn-patch'));
    if (!plans.every((a) => Array.isArray(a.activity.attachments) && a.activity.attachments.length > 0))
      throw new Error('the patch bot answered a plan request without a card');

    const e = summarize(echo.samples);
    const p = summarize(patch.samples);
    const label = '1 turn latency';
    return [
      {
        benchmark: label,
        figure: `echo bot p50 (n=${e.count}, c=${CONCURRENCY})`,
        value: e.p50,
        unit: 'ms',
        goal: '-',
        pass: null,
      },
      { benchmark: label, figure: 'echo bot p99', value: e.p99, unit: 'ms', goal: '-', pass: null },
      {
        benchmark: label,
        figure: `patch bot plan card p50 (n=${p.count})`,
        value: p.p50,
        unit: 'ms',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'patch bot plan card p99',
        value: p.p99,
        unit: 'ms',
        goal: '-',
        pass: null,
      },
      {
        benchmark: label,
        figure: 'p99 patch bot / p99 echo bot',
        value: p.p99 / e.p99,
        unit: 'x',
        goal: '<= 1.5',
        pass: p.p99 / e.p99 <= 1.5,
      },
    ];
  } finally {
    await Promise.allSettled(bots.map((bot) => bot.stop()));
    await connector.close();
    await rm(dir, { recursive: true, force: true });
  }
}
