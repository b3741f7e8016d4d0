import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AgentTestBackend,
  jobOf,
  newLab,
  planOf,
  removeTempDirs,
  RUNNER,
  startAgent,
  startBot,
  tempDir,
  waitFor,
  type TestAgent,
  type TestBot,
} from './support.js';
import { labProcesses } from '../runner/support.js';

const bots: TestBot[] = [];
const agents: TestAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.agent.stop()));
  await Promise.all(bots.splice(0).map((b) => b.close()));
  await removeTempDirs();
});

const planIds = planOf().steps.map((s) => s.id);
const FIXTURE = fileURLToPath(new URL('./fixtures/agent-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('runner agent when things break', () => {
  it('keeps working while the bot is down and delivers the buffered results in order when it is back', async () => {
    const dir = await tempDir();
    const backend = new AgentTestBackend();
    let bot = await startBot(backend);
    const { port } = bot;
    const lab = newLab(dir);
    const running = await startAgent({ botUrl: bot.url, lab, journalFile: join(dir, 'journal.json') });
    agents.push(running);

    backend.queue(jobOf(10));
    await waitFor(() => backend.resultsFor(10).some((r) => r.stepId === 'precheck.disk'), 20_000);
    await bot.close();
    const deliveredBeforeOutage = backend.resultsFor(10).length;
    // The run goes on without the bot; its results wait in the journal's outbox.
    await waitFor(() => running.journal.pendingResults().length >= 3, 20_000);
    expect(backend.resultsFor(10)).toHaveLength(deliveredBeforeOutage);

    bot = await startBot(backend, port);
    bots.push(bot);
    await waitFor(() => backend.resultsFor(10).length === planIds.length, 25_000);

    const results = backend.resultsFor(10);
    expect(results.map((r) => r.stepId)).toEqual(planIds);
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    await waitFor(() => running.journal.pendingResults().length === 0);
    expect(lab.stepCommands()).toHaveLength(planIds.length - 1);
  });

  it('stop() mid-run lets the running step end, delivers its result, and starts no further step', async () => {
    const dir = await tempDir();
    const backend = new AgentTestBackend();
    const bot = await startBot(backend);
    bots.push(bot);
    // The download takes ~0.4 s, less than the 1 s stop() waits for a running step.
    const lab = newLab(dir, { durationsMs: { 'Save-PatchBotPackage': 800_000 } });
    const journalFile = join(dir, 'journal.json');
    const first = await startAgent({ botUrl: bot.url, lab, journalFile });
    let stopped: Promise<void> | null = null;
    backend.onHeartbeat = (beat) => {
      if (beat.stepId === 'stage.fetch') stopped ??= first.agent.stop();
    };
    backend.queue(jobOf(30));
    await waitFor(() => stopped, 20_000);
    await stopped;

    const fetchAt = planIds.indexOf('stage.fetch');
    expect(backend.resultsFor(30).map((r) => r.stepId)).toEqual(planIds.slice(0, fetchAt + 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(lab.stepCommands().some((c) => c.startsWith('Assert-PatchBotFileHash'))).toBe(false);
    // No PowerShell process is left: neither the run's shell nor the one started ahead for the installer.
    await waitFor(() => labProcesses(lab.stateFile).length === 0, 10_000);

    // The next start reports the step that never started, and runs nothing.
    const second = await startAgent({ botUrl: bot.url, lab, journalFile });
    agents.push(second);
    await waitFor(() => backend.resultsFor(30).length === fetchAt + 2);
    expect(backend.resultsFor(30).at(-1)).toMatchObject({ stepId: 'stage.verify', status: 'interrupted' });
    expect(lab.stepCommands()).toHaveLength(fetchAt + 1);
  });

  it('after the runner is killed mid-step, a new agent on the same journal reports the step interrupted and re-runs nothing', async () => {
    const dir = await tempDir();
    const backend = new AgentTestBackend();
    const bot = await startBot(backend);
    bots.push(bot);
    // The install takes ~3 s here: long enough to be caught in the middle of it.
    const lab = newLab(dir, { durationsMs: { 'Install-PatchBotUpdate': 6_000_000 } });
    const journalFile = join(dir, 'journal.json');
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        AGENT_FIXTURE: JSON.stringify({
          botUrl: bot.url,
          runnerId: RUNNER.id,
          secret: RUNNER.secret,
          profile: lab.profile,
          shell: lab.shell,
          journalFile,
        }),
      },
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      backend.queue(jobOf(20));
      await waitFor(() => backend.beats.some((b) => b.runId === 20 && b.stepId === 'update.install'), 25_000);
      await waitFor(() => lab.stepCommands().some((c) => c.startsWith('Install-PatchBotUpdate')), 10_000);
    } finally {
      // The whole process group: the agent and the PowerShell stand-in running the installer.
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    }
    await exited;
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { runs: Array<{ current: unknown }> };
    expect(journal.runs[0]?.current).toMatchObject({ stepId: 'update.install' });
    const commandsBeforeRestart = lab.stepCommands();

    const running = await startAgent({ botUrl: bot.url, lab, journalFile });
    agents.push(running);
    await waitFor(() => backend.resultsFor(20).some((r) => r.stepId === 'update.install'), 10_000);
    await waitFor(() => running.journal.pendingResults().length === 0);

    const installAt = planIds.indexOf('update.install');
    const results = backend.resultsFor(20);
    expect(results.map((r) => r.stepId)).toEqual(planIds.slice(0, installAt + 1));
    expect(results.at(-1)).toMatchObject({ status: 'interrupted', index: installAt });
    expect(results.at(-1)?.errorExcerpt).toMatch(/may have partly happened/);
    // Nothing ran again, and nothing after the interrupted step ran at all.
    await new Promise((r) => setTimeout(r, 300));
    expect(lab.stepCommands()).toEqual(commandsBeforeRestart);
    expect(backend.resultsFor(20)).toHaveLength(installAt + 1);
  });
});
