import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandbyServer, type StandbyServer } from '../../src/ha/standby-server.js';
import { createLogger } from '../../src/log.js';
import type { RunnerInfo, StepResult } from '../../src/protocol/messages.js';
import { RunnerAgent, type AgentJournal, type AgentTransport } from '../../src/runner/agent.js';
import { BotClient, RunnerApiError, type RetryPolicy } from '../../src/runner/client.js';
import { closedPort } from '../ha/support/ports.js';

/**
 * A bot that is restarting or handing over to a standby answers nothing (connection refused),
 * 502/503 from a proxy, or 503 + Retry-After from the standby. The runner must come back within
 * seconds of the new leader serving, so those waits are capped low; other failures keep the long
 * backoff. The waits are read from the runner's own log lines, not measured.
 */

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A logger whose JSON lines the test reads back. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** Answers every request with `status` (and Retry-After when given); counts them. */
async function scriptedBot(
  status: number,
  retryAfter?: string,
): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    if (retryAfter !== undefined) res.setHeader('Retry-After', retryAfter);
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"error":"busy"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

const RETRY: Partial<RetryPolicy> = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  unavailableMaxDelayMs: 250,
};

async function clientDelays(url: string, retry: Partial<RetryPolicy> = RETRY): Promise<unknown[]> {
  const { logger, lines } = capturingLogger();
  const client = new BotClient({
    baseUrl: url,
    runnerId: 'runner-a',
    secret: 'secret-of-runner-a',
    logger,
    retry,
    // The top of each jitter range, so the delays are exact.
    random: () => 1,
  });
  const error = await client
    .heartbeat({ info: runnerInfo(), runId: null, stepId: null })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RunnerApiError);
  expect(error).toMatchObject({ kind: 'unavailable' });
  return lines.filter((l) => l.msg === 'runner API call failed; retrying').map((l) => l.delayMs);
}

function runnerInfo(): RunnerInfo {
  return {
    runnerId: 'runner-a',
    version: '0.0.0-test',
    profile: {
      server: 'backend01',
      product: 'sfb2019',
      edition: 'standard',
      package: {
        source: 'https://updates.contoso.local/cu/SkypeServerUpdateInstaller.exe',
        fileName: 'SkypeServerUpdateInstaller.exe',
        sha256: 'B'.repeat(64),
        version: '7.0.2046.530',
      },
      stagingDir: 'C:\\PatchBot\\staging',
      minFreeGb: 10,
    },
  };
}

describe('BotClient while no bot answers', () => {
  it('caps the wait at unavailableMaxDelayMs when the connection is refused', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    expect(await clientDelays(url)).toEqual([100, 200, 250, 250, 250]);
  });

  it('caps the wait on 502 and 503 without Retry-After (a proxy with no bot behind it)', async () => {
    for (const status of [502, 503]) {
      const bot = await scriptedBot(status);
      expect(await clientDelays(bot.url)).toEqual([100, 200, 250, 250, 250]);
      expect(bot.requests()).toBe(6);
    }
  });

  it("keeps the long backoff for the bot's own failures (500)", async () => {
    const bot = await scriptedBot(500);
    expect(await clientDelays(bot.url, { ...RETRY, maxAttempts: 5 })).toEqual([100, 200, 400, 800]);
  });

  it("honours a standby's Retry-After (2 s) rather than its own backoff", async () => {
    const standby: StandbyServer = await startStandbyServer({ host: '127.0.0.1', port: 0 });
    closers.push(() => standby.close());
    const delays = await clientDelays(`http://127.0.0.1:${standby.port}`, { ...RETRY, maxAttempts: 2 });
    expect(delays).toEqual([2000]);
  });
});

/** An agent whose every poll fails with `error`; the test reads its retry waits from the log. */
async function agentRetryWaits(error: RunnerApiError, polls: number): Promise<number[]> {
  const { logger, lines } = capturingLogger();
  let calls = 0;
  let enough!: () => void;
  const done = new Promise<void>((resolve) => (enough = resolve));
  const client: AgentTransport = {
    pollJob: async () => {
      if (++calls >= polls) enough();
      throw error;
    },
    sendResults: async () => [],
    heartbeat: async () => ({ cancel: [] }),
  };
  const journal: AgentJournal = {
    recover: async () => [],
    pendingResults: (): StepResult[] => [],
    pendingFor: (): StepResult[] => [],
    ack: async () => true,
    knows: () => false,
    close: async () => undefined,
  };
  const agent = new RunnerAgent({
    client,
    executor: { run: async () => Promise.reject(new Error('no job expected')) },
    journal,
    info: runnerInfo(),
    logger,
    heartbeatIntervalMs: 60_000,
    backoff: { baseMs: 20, maxMs: 10_000, unavailableMaxMs: 100 },
  });
  await agent.start();
  await done;
  await agent.stop();
  return lines
    .filter((l) => l.call === 'poll' && typeof l.retryInMs === 'number')
    .map((l) => l.retryInMs as number);
}

describe('RunnerAgent backoff', () => {
  it('stays under unavailableMaxMs while no bot answers (refused, 502, 503)', async () => {
    for (const status of [null, 502, 503]) {
      const waits = await agentRetryWaits(new RunnerApiError('unavailable', 'no bot', status), 8);
      expect(waits.length).toBeGreaterThanOrEqual(7);
      // Doubling from 20 ms would reach 1280 ms by the 7th failure; the cap holds it at 100.
      expect(Math.max(...waits)).toBeLessThanOrEqual(100);
      expect(waits.slice(3).every((w) => w >= 50)).toBe(true);
    }
  });

  it('keeps doubling towards maxMs when the bot answered with a failure of its own', async () => {
    const waits = await agentRetryWaits(new RunnerApiError('unavailable', 'bot error', 500), 6);
    // 20 * 2^5 = 640 ms ceiling at the 6th failure; equal jitter keeps at least half of it.
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(320);
  });
});
