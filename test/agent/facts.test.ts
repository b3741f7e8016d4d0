import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { ServerFacts } from '../../src/procedure/index.js';
import type { RunnerAgent } from '../../src/runner/agent.js';
import { ServerFactsReader, type FactsSource } from '../../src/runner/facts.js';
import { PATCHBOT_MODULE_PATH } from '../../src/runner/shell-config.js';
import {
  AgentTestBackend,
  jobOf,
  newLab,
  planOf,
  removeTempDirs,
  startAgent,
  startBot,
  tempDir,
  waitFor,
  type TestAgent,
  type TestBot,
} from './support.js';

const bots: TestBot[] = [];
const agents: TestAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.agent.stop()));
  await Promise.all(bots.splice(0).map((b) => b.close()));
  await removeTempDirs();
});

/** The real reader on the lab server, counting its reads and whether a job was running at each. */
async function setUp(factsIntervalMs?: number, factsResendMs?: number) {
  const dir = await tempDir();
  const backend = new AgentTestBackend();
  const bot = await startBot(backend);
  bots.push(bot);
  const lab = newLab(dir);
  const reader = new ServerFactsReader({
    shell: lab.shell,
    modulePath: PATCHBOT_MODULE_PATH,
    product: lab.profile.product,
    stagingDir: lab.profile.stagingDir,
    logger: silentLogger(),
    timeoutMs: 20_000,
  });
  const reads = { total: 0, duringJob: 0 };
  let agent: RunnerAgent | null = null;
  const facts: FactsSource = {
    get latest() {
      return reader.latest;
    },
    read: () => {
      reads.total++;
      if (agent?.currentRun) reads.duringJob++;
      return reader.read();
    },
  };
  const running = await startAgent({
    botUrl: bot.url,
    lab,
    journalFile: join(dir, 'journal.json'),
    agent: {
      facts,
      ...(factsIntervalMs === undefined ? {} : { factsIntervalMs }),
      ...(factsResendMs === undefined ? {} : { factsResendMs }),
    },
  });
  agent = running.agent;
  agents.push(running);
  return { backend, bot, lab, reads, ...running };
}

const withFacts = (backend: AgentTestBackend): ServerFacts[] =>
  backend.beats.flatMap((b) => (b.facts ? [b.facts] : []));

describe('server facts in heartbeats', () => {
  it('sends the facts read at start once, then only when they changed (after a job)', async () => {
    const { backend, lab, reads } = await setUp();
    const first = await waitFor(() => withFacts(backend)[0]);
    expect(first).toMatchObject({
      product: 'sfb2019',
      edition: 'standard',
      installedVersion: '7.0.2046.520',
    });
    // Unchanged facts are not repeated: a few more beats go by without them.
    const seen = backend.beats.length;
    await waitFor(() => backend.beats.length >= seen + 3);
    expect(withFacts(backend)).toHaveLength(1);

    backend.queue(jobOf(1));
    const planned = planOf().steps.length;
    await waitFor(() => backend.resultsFor(1).length === planned, 25_000);
    // After the job the facts are read again; the update changed the version, so they are sent.
    const after = await waitFor(() => withFacts(backend)[1]);
    expect(after.installedVersion).toBe(lab.profile.package.version);
    expect(reads.total).toBeGreaterThanOrEqual(2);
    expect(reads.duringJob).toBe(0);
  });

  it('reads again every factsIntervalMs while idle, but sends nothing that did not change', async () => {
    const { backend, reads } = await setUp(1);
    await waitFor(() => reads.total >= 3, 25_000);
    const seen = backend.beats.length;
    await waitFor(() => backend.beats.length >= seen + 2);
    expect(withFacts(backend)).toHaveLength(1);
  });

  it('sends unchanged facts again after factsResendMs, so a bot back with another store learns them', async () => {
    const { backend, bot } = await setUp(undefined, 500);
    await waitFor(() => withFacts(backend)[0]);
    await bot.close();
    bots.splice(bots.indexOf(bot), 1);
    const fresh = new AgentTestBackend();
    bots.push(await startBot(fresh, bot.port));
    const again = await waitFor(() => withFacts(fresh)[0], 25_000);
    expect(again.product).toBe('sfb2019');
  });
});
