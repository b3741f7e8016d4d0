import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01 } from '../../src/lab/servers.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, waitUntil } from './support/system.js';

const SCENARIO = {
  order: 8,
  title: 'Secrets stay out of logs, chat and data files',
  notes: [
    'Logs at trace level (bot) and debug level (runner) are scanned, with every chat message and HTTP call the ' +
      'capture connector saw, and every file the bot, the runner and the simulator wrote. The only files allowed to ' +
      "hold a runner's secret are its secret file and the bot's runner registry (data/runners/, or the runner entries " +
      'of state.json in the older layout).',
    'The app password part runs the bot with MicrosoftAppId and MicrosoftAppPassword set (production mode: JWT checks on, ' +
      'proactive sends fetch a token, which fails here without network) while a run delivers results.',
  ],
};
const APP_ID = '11111111-2222-4333-8444-555555555555';
const APP_PASSWORD = 'AppPassword~Secret.0123456789abcdefXYZ';

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('secrets', SCENARIO, { check, measured, pass });

function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile());
}

/** A file's text with the places that legitimately hold a runner secret left out. */
function scannable(file: string, dataDir: string): string | null {
  const rel = relative(dataDir, file);
  if (rel.startsWith('runners/') || file.endsWith('runner.secret')) return null;
  const text = readFileSync(file, 'utf8');
  if (rel === 'state.json') {
    const state = JSON.parse(text) as { runners?: Record<string, { secret?: string }> };
    for (const runner of Object.values(state.runners ?? {})) delete runner.secret;
    return JSON.stringify(state);
  }
  return text;
}

describe('secrets', () => {
  it('never shows a runner secret or the app password in logs, chat or data files', async () => {
    beginScenario('secrets');
    system = await ReliabilitySystem.start({ name: 'secrets', env: { LOG_LEVEL: 'trace' } });
    const server = system.addServer(BACKEND01, { timeScale: 0.002 });
    await system.startBot();
    await system.startRunner('backend01');
    await system.waitForRunnersOnline();
    // A whole run in lab mode, and a failed forgery or two, so every path logs something.
    const first = await system.requestRun('backend01', 'standard');
    await system.waitForRun(first.runId, ['succeeded'], 60_000);
    await system.runnerCall(
      '/api/runner/heartbeat',
      {},
      { id: server.runnerId, secret: `${server.secret}x` },
    );

    // Production mode on the same data, mid-run: results arrive, messages need a token.
    const second = await system.planRun('backend01', 'standard');
    await system.waitForOutboxDrained();
    server.lab.update((s) => void (s.durationsMs['Install-PatchBotUpdate'] = 1_500_000));
    await system.confirm(second);
    await waitUntil(() => system.run(second.runId)?.status === 'running', 20_000, 'the second run to start');
    await system.killBot();
    system.options.env = {
      ...system.options.env,
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: APP_PASSWORD,
    };
    await system.startBot();
    const unauthenticated = await system.teams.sayInPersonalChat('help');
    const forgedJwt = await system.teams.post(
      {
        type: 'message',
        id: 'x',
        serviceUrl: system.connector.url,
        from: { id: '29:x' },
        conversation: { id: 'a:x' },
        text: 'help',
      },
      { authorization: `Bearer eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIke${APP_ID}In0.c2lnbmF0dXJl` },
    );
    await system.waitForRun(second.runId, ['succeeded', 'failed'], 60_000);
    // Let the notifier try (and fail) to get a token a few times.
    await waitUntil(
      () => system.bot!.lines.filter((l) => /Teams did not take a message/.test(l)).length >= 2,
      30_000,
      'the notifier to try to send with credentials',
    ).catch(() => undefined);
    const tokenAttempts = system.bot!.lines.filter((l) => /Teams did not take a message/.test(l)).length;
    await system.bot!.stop();
    await system.killRunner('backend01');
    await new Promise((r) => setTimeout(r, 200));

    const secrets = [
      { name: 'runner secret', value: server.secret },
      { name: 'app password', value: APP_PASSWORD },
    ];
    const logs = filesBelow(system.logDir).filter((f) => f.endsWith('.log'));
    const dataFiles = [...filesBelow(system.dataDir), ...filesBelow(join(system.dir, 'servers'))];
    const chat = JSON.stringify([system.connector.activities, system.connector.requests]);
    const leaks: string[] = [];
    let scannedBytes = chat.length;
    for (const file of [...logs, ...dataFiles]) {
      const text = logs.includes(file) ? readFileSync(file, 'utf8') : scannable(file, system.dataDir);
      if (text === null) continue;
      scannedBytes += text.length;
      for (const s of secrets)
        if (text.includes(s.value)) leaks.push(`${s.name} in ${relative(system.dir, file)}`);
    }
    for (const s of secrets) if (chat.includes(s.value)) leaks.push(`${s.name} in the chat`);
    const logLines = logs.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length, 0);
    const redacted = logs.some((f) => readFileSync(f, 'utf8').includes('[redacted]'));

    record(
      'production mode refuses activities without a valid Bot Framework token',
      `no token: ${unauthenticated.status}; forged token: ${forgedJwt.status}`,
      unauthenticated.status === 401 && forgedJwt.status === 401,
    );
    record(
      'runner secret and app password appear nowhere',
      `${logs.length} log files (${logLines} lines, ${tokenAttempts} failed sends with credentials), ${dataFiles.length} data files and ${system.connector.activities.length} chat messages scanned (${(scannedBytes / 1024).toFixed(0)} KiB); leaks: ${leaks.length === 0 ? 'none' : leaks.join(', ')}; pino redaction seen: ${redacted}`,
      leaks.length === 0,
    );
    expect(unauthenticated.status).toBe(401);
    expect(forgedJwt.status).toBe(401);
    expect(leaks).toEqual([]);
  }, 150_000);
});
