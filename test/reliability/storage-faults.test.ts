import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND01 } from '../../src/lab/servers.js';
import { killAll, REPO_ROOT, spawnTs, type TestProcess } from './support/processes.js';
import { beginScenario, recordCheck } from './support/report.js';
import { ReliabilitySystem, stepReplies, waitUntil } from './support/system.js';
import { fillDisk, mountTmpfs, unmount } from './support/tmpfs.js';

const SCENARIO = {
  order: 7,
  title: 'Storage faults',
  notes: [
    'The corrupt-file and unwritable-folder cases start the real entry point (`src/main.ts`, lab mode); it must stop ' +
      "before it starts anything else. Disk full is a 2 MiB tmpfs under the bot's data folder only (the runner and the " +
      'simulated server keep their own disks), filled to the last byte mid-run and freed 3 s later.',
    'The hot file is written to a temp file, flushed to disk (fsync) and renamed, so a killed process or a power cut leaves the old or the new file. Append-only files (outbox log, archive, audit) are not flushed per line: a power cut can lose their last lines, and a torn last line is ignored when read.',
  ],
};

const mounts: string[] = [];
const systems: ReliabilitySystem[] = [];
let system: ReliabilitySystem | undefined;
afterAll(async () => {
  await killAll();
  for (const dir of mounts) unmount(dir);
  for (const each of systems) await each.close();
});

async function startSystem(name: string): Promise<ReliabilitySystem> {
  const started = await ReliabilitySystem.start({ name });
  systems.push(started);
  return started;
}

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('storage-faults', SCENARIO, { check, measured, pass });

/** Starts `npx tsx src/main.ts` on a data folder and waits for it to stop by itself. */
async function startRealBot(
  dataDir: string,
  logDir: string,
): Promise<{ process: TestProcess; code: number | null; output: string }> {
  const bot = spawnTs({
    name: 'main',
    entry: join(REPO_ROOT, 'src/main.ts'),
    logDir,
    env: { PATCHBOT_DATA_DIR: dataDir, PORT: '0', PLAYGROUND_PORT: '0', LOG_LEVEL: 'info' },
  });
  const timer = setTimeout(() => void bot.kill(), 60_000);
  const exit = await bot.exited;
  clearTimeout(timer);
  await new Promise((r) => setTimeout(r, 100));
  return { process: bot, code: exit.code, output: bot.lines.join('\n') };
}

describe('storage faults', () => {
  it('a corrupt store or journal stops the process with a clear message and is left untouched', async () => {
    beginScenario('storage-faults');
    system = await startSystem('storage');
    const cases = [
      { name: 'truncated JSON', text: '{"version":1,"lastRunId":4,"runs":{"4":{"id":4,' },
      { name: 'valid JSON, wrong layout', text: '{"version":1,"lastRunId":"four","runs":[]}' },
    ];
    const outcomes: string[] = [];
    let allGood = true;
    for (const c of cases) {
      const dataDir = join(system.dir, `corrupt-${outcomes.length}`);
      mkdirSync(dataDir, { recursive: true });
      const file = join(dataDir, 'state.json');
      writeFileSync(file, c.text);
      const before = readFileSync(file);
      const { code, output } = await startRealBot(dataDir, system.logDir);
      const untouched = readFileSync(file).equals(before);
      const clear =
        output.includes('is damaged') && output.includes(file) && output.includes('without touching it');
      const noLock = !existsSync(join(dataDir, 'state.json.lock'));
      const good = code === 1 && untouched && clear && noLock;
      allGood &&= good;
      outcomes.push(
        `${c.name}: exit ${code}, message names the file ${clear}, file untouched ${untouched}, no lock left ${noLock}`,
      );
    }
    // The runner's journal: same promise on the server side.
    const server = system.addServer(BACKEND01);
    mkdirSync(server.journalDir, { recursive: true });
    const journal = join(server.journalDir, 'journal.json');
    writeFileSync(journal, '{"version":1,"runs":[{"runId":');
    const journalBefore = readFileSync(journal);
    system.url = 'http://127.0.0.1:9';
    const runner = await system.startRunner('backend01').then(
      () => 'started',
      (error: unknown) => String(error),
    );
    const journalUntouched = readFileSync(journal).equals(journalBefore);
    const journalClear = /journal .*journal\.json is not valid JSON.*left as it is/s.test(runner);
    outcomes.push(
      `runner journal: refused to start ${runner !== 'started'}, message clear ${journalClear}, file untouched ${journalUntouched}`,
    );
    allGood &&= runner !== 'started' && journalUntouched && journalClear;
    record('corrupt store file / runner journal', outcomes.join('; '), allGood);
    expect(outcomes.join('\n')).not.toMatch(/false|exit (?!1\b)/);
    expect(allGood).toBe(true);
  }, 120_000);

  it('an unwritable data folder stops the bot with a clear message', async () => {
    system ??= await startSystem('storage');
    const dataDir = join(system.dir, 'readonly');
    let how = 'read-only tmpfs';
    if (mountTmpfs(dataDir, { sizeBytes: 64 * 1024, readOnly: true })) mounts.push(dataDir);
    else {
      how = 'a data folder below a regular file (mount not allowed here)';
      writeFileSync(join(system.dir, 'a-file'), '');
    }
    const target = mounts.includes(dataDir) ? dataDir : join(system.dir, 'a-file', 'data');
    const { code, output } = await startRealBot(target, system.logDir);
    const lastLine = output.trim().split('\n').at(-1) ?? '';
    const clear =
      lastLine.includes(target) && /cannot be written/.test(lastLine) && /PATCHBOT_DATA_DIR/.test(lastLine);
    record(
      'unwritable data folder',
      `${how}: exit ${code}; message: "${lastLine.replace('[stderr] ', '').replaceAll(system.dir, '<tmp>')}"`,
      code === 1 && clear,
    );
    expect(code).toBe(1);
    expect(clear).toBe(true);
  }, 90_000);

  it('a full disk mid-run is reported, corrupts nothing, and the run completes once space is back', async () => {
    system = await startSystem('storage-full');
    const dataDir = system.dataDir;
    const mounted = mountTmpfs(dataDir, { sizeBytes: 2 * 1024 * 1024 });
    if (mounted) mounts.push(dataDir);
    system.addServer(BACKEND01, { timeScale: 0.004 });
    await system.startBot();
    await system.startRunner('backend01');
    await system.waitForRunnersOnline();
    const run = await system.requestRun('backend01', 'standard');
    await waitUntil(
      () => system!.run(run.runId)?.steps[4]?.status === 'succeeded',
      30_000,
      'step 5 to be recorded',
    );

    const filler = join(dataDir, 'filler.bin');
    let how: string;
    if (mounted) {
      how = `tmpfs full (${(fillDisk(filler) / 1024).toFixed(0)} KiB filler)`;
    } else {
      // No mount: every hot-file write fails instead (its temp file's name is taken by a folder).
      how = 'simulated failing write (mount not allowed here)';
      mkdirSync(join(dataDir, '.state.json.tmp'));
    }
    const stateAtFault = system.state();
    const faultAt = Date.now();
    let parsedEveryTime = true;
    let readyDuring = 0;
    while (Date.now() - faultAt < 3_000) {
      try {
        JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
      } catch {
        parsedEveryTime = false;
      }
      readyDuring = (await fetch(`${system.url}/readyz`).catch(() => ({ status: 0 }))).status;
      await new Promise((r) => setTimeout(r, 100));
    }
    const stateDuring = system.state();
    const reported = system.bot!.lines.filter((l) =>
      /Could not write the store file|store not writable/.test(l),
    ).length;
    const botAlive = system.bot!.alive;
    if (mounted) rmSync(filler);
    else rmSync(join(dataDir, '.state.json.tmp'), { recursive: true });

    const final = await system.waitForRun(run.runId, ['succeeded', 'failed', 'interrupted'], 60_000);
    await system.waitForOutboxDrained(60_000);
    const readyAfter = (await fetch(`${system.url}/readyz`)).status;
    const replies = stepReplies(system.connector, run.thread, run.cardId).map((r) => r.step);
    const expected = final.plan.steps.map((s) => s.index);
    const audited = system
      .audit()
      .filter((e) => e.action === 'step-result' && e.runId === run.runId)
      .map((e) => e.detail?.step);
    const runStepsDuring = stateDuring?.runs[String(run.runId)]?.steps.filter(
      (s) => s.status === 'succeeded',
    ).length;
    const runStepsAtFault = stateAtFault?.runs[String(run.runId)]?.steps.filter(
      (s) => s.status === 'succeeded',
    ).length;

    record(
      'disk full during a run: reported, nothing half-written',
      `${how}; for 3 s: store file parsed every time ${parsedEveryTime}, run in it unchanged ${runStepsDuring === runStepsAtFault} (${runStepsAtFault} steps), /readyz ${readyDuring}, ${reported} error lines logged, bot alive ${botAlive}`,
      parsedEveryTime &&
        runStepsDuring === runStepsAtFault &&
        readyDuring === 503 &&
        reported > 0 &&
        botAlive,
    );
    record(
      'after space is back: run completes, nothing lost or doubled',
      `run ${final.status}; step replies ${replies.length} for ${expected.length} steps, in order ${JSON.stringify(replies) === JSON.stringify(expected)}; step-result audit events ${audited.length} (distinct ${new Set(audited).size}); /readyz ${readyAfter}`,
      final.status === 'succeeded' &&
        JSON.stringify(replies) === JSON.stringify(expected) &&
        audited.length === expected.length &&
        new Set(audited).size === expected.length &&
        readyAfter === 200,
    );
    expect(parsedEveryTime).toBe(true);
    expect(runStepsDuring).toBe(runStepsAtFault);
    expect(readyDuring).toBe(503);
    expect(reported).toBeGreaterThan(0);
    expect(final.status).toBe('succeeded');
    expect(replies).toEqual(expected);
    expect(audited).toHaveLength(expected.length);
    expect(new Set(audited).size).toBe(expected.length);
    expect(readyAfter).toBe(200);
  }, 120_000);
});
