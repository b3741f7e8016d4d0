import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTracked } from '../../src/admin/dependency-audit.js';
import { createTranslator } from '../../src/i18n/index.js';
import { BACKEND01 } from '../../src/lab/servers.js';
import { setComponentVersion } from '../../src/lab/state.js';
import { RUNNER_API_PATHS } from '../../src/protocol/validate-messages.js';
import { journalFileOf } from '../../src/store/hot-journal.js';
import { replayHotState } from '../../src/store/hot-replay.js';
import { parseHotState, type HotState } from '../../src/store/hot-state.js';
import type { AuditEvent } from '../../src/store/store.js';
import { cardOf, cardText } from '../support/card-reading.js';
import { REPO_ROOT, spawnTs } from './support/processes.js';
import { beginScenario, recordCheck } from './support/report.js';
import { readJsonl, ReliabilitySystem, waitUntil } from './support/system.js';

const SCENARIO = {
  order: 10,
  title: 'Red-team findings of issue 16, repeated against the bot process',
  notes: [
    'The bot runs as in the other scenarios (its own process, lab mode unless stated), with its temp folder ' +
      '(TMPDIR) pointed at an empty folder of the test, so anything it writes there is seen. Each check repeats one ' +
      'finding of issue 16 as the probe did it; the numbers in brackets are the findings.',
    'Not repeated here, proven by the unit and HTTP tests named: 503 with a fixed body when the signing keys cannot ' +
      'be fetched (test/bot/edge.test.ts), a taken PLAYGROUND_PORT (test/lab/lab-safety.test.ts), the property test ' +
      'over random runner messages (test/runs/runner-messages.test.ts).',
  ],
};

let system: ReliabilitySystem;
afterAll(async () => system?.close());

const record = (check: string, measured: string, pass: boolean) =>
  recordCheck('red-team', SCENARIO, { check, measured, pass });

/** One raw request; `write` may leave the body unfinished. Resolves with the status (0: connection cut). */
function rawStatus(
  url: string,
  headers: Record<string, string>,
  write: (req: ReturnType<typeof request>) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    write(req);
  });
}

function modesBelow(dir: string): string[] {
  const out: string[] = [];
  const visit = (path: string, rel: string) => {
    const mode = statSync(path).mode & 0o777;
    out.push(`${mode.toString(8).padStart(4, '0')} ${rel || '.'}`);
    if (statSync(path).isDirectory())
      for (const name of readdirSync(path)) visit(join(path, name), rel ? `${rel}/${name}` : name);
  };
  visit(dir, '');
  return out;
}

function hotStateIn(dir: string): HotState {
  const file = join(dir, 'state.json');
  const journal = journalFileOf(file);
  const journalBytes = existsSync(journal) ? readFileSync(journal) : null;
  return replayHotState(
    readFileSync(file, 'utf8'),
    journalBytes,
    (text) => parseHotState(text, file),
    journal,
  ).state!;
}

describe('red-team findings of issue 16', () => {
  it('each finding, repeated, is refused or harmless', async () => {
    beginScenario('red-team');
    system = await ReliabilitySystem.start({ name: 'red-team', heartbeatTimeoutSeconds: 5 });
    const temp = join(system.dir, 'bot-tmp');
    mkdirSync(temp);
    system.options.env = { ...system.options.env, TMPDIR: temp };
    const server = system.addServer(BACKEND01);
    await system.startBot();
    const en = createTranslator('en-US');

    // (2) 1,000 readiness and liveness probes, before any runner or run can write the store.
    const stateFile = join(system.dataDir, 'state.json');
    await waitUntil(() => statSync(stateFile, { throwIfNoEntry: false }), 10_000, 'state.json');
    const before = statSync(stateFile);
    const probes: number[] = [];
    for (let i = 0; i < 500; i++) {
      probes.push(
        (await fetch(`${system.url}/readyz`)).status,
        (await fetch(`${system.url}/healthz`)).status,
      );
    }
    const after = statSync(stateFile);
    const untouched = after.ino === before.ino && after.mtimeMs === before.mtimeMs;
    record(
      '/readyz and /healthz are side-effect free (2)',
      `1,000 calls: ${probes.filter((s) => s === 200).length} answered 200; state.json same inode ${after.ino === before.ino}, same mtime ${after.mtimeMs === before.mtimeMs}`,
      untouched && probes.every((s) => s === 200),
    );
    expect(untouched).toBe(true);

    // (1) Uploads and odd bodies before authentication.
    const tempBefore = new Set(readdirSync(temp));
    const boundary = 'x-probe';
    const part = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="fill.bin"\r\n\r\n`),
      Buffer.alloc(3 * 1024 * 1024, 0x41),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const multipart = await rawStatus(
      `${system.url}/api/messages`,
      { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(part.length) },
      (req) => req.end(part),
    );
    const urlencoded = await rawStatus(
      `${system.url}/api/messages`,
      { 'content-type': 'application/x-www-form-urlencoded' },
      (req) => req.end('type=message&text=help'),
    );
    const chunked = await rawStatus(
      `${system.url}${RUNNER_API_PATHS.results}`,
      { 'content-type': 'application/json' },
      (req) => {
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const more = () => {
          while (sent < 8 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', more);
          }
          req.end();
        };
        more();
      },
    );
    let trickle: NodeJS.Timeout | undefined;
    const slow = await rawStatus(
      `${system.url}/api/messages`,
      { 'content-type': 'application/json', 'content-length': '5000' },
      (req) => {
        req.write('{"type":"');
        trickle = setInterval(() => req.write(' '), 500);
      },
    );
    clearInterval(trickle);
    const alive = (await fetch(`${system.url}/healthz`)).status;
    const newInTemp = readdirSync(temp).filter((name) => !tempBefore.has(name) && !name.startsWith('tsx'));
    record(
      'uploads and odd bodies before authentication: refused, nothing in the temp folder (1)',
      `3 MiB multipart ${multipart}, urlencoded ${urlencoded}, 8 MiB chunked to the runner API ${chunked || 'cut'}, ` +
        `trickling body ${slow} (after the 10 s read timeout), bot then ${alive}; new files in its temp folder: ${newInTemp.length === 0 ? 'none' : newInTemp.join(', ')}`,
      multipart === 415 &&
        urlencoded === 415 &&
        [413, 0].includes(chunked) &&
        slow === 408 &&
        alive === 200 &&
        newInTemp.length === 0,
    );

    // (3) A heartbeat naming a run that is only planned.
    await system.startRunner('backend01');
    await system.waitForRunnersOnline();
    const planned = await system.planRun('backend01', 'standard');
    const runBefore = JSON.stringify(system.run(planned.runId));
    const beat = await system.runnerCall(
      RUNNER_API_PATHS.heartbeat,
      {
        info: { runnerId: server.runnerId, version: '1.0.0', profile: server.lab.profile },
        runId: planned.runId,
        stepId: 'services.stop',
      },
      { id: server.runnerId, secret: server.secret },
    );
    const audited = await waitUntil(
      () =>
        system
          .audit()
          .find(
            (e) => e.action === 'refuse' && e.runId === planned.runId && e.detail?.why === 'not-dispatched',
          ),
      5_000,
      'the refusal in the audit log',
    ).catch(() => undefined);
    const unchanged = JSON.stringify(system.run(planned.runId)) === runBefore;
    record(
      'a heartbeat naming a run never handed out changes nothing (3)',
      `answer ${beat.status} ${(beat.body as { error?: string } | undefined)?.error ?? ''}; run still ${system.run(planned.runId)?.status}, unchanged ${unchanged}; audited ${audited !== undefined}`,
      beat.status === 403 && unchanged && audited !== undefined,
    );

    // (6) Someone in another conversation asks about it: refused. The run's own thread is answered.
    await system.confirm(planned);
    await system.waitForRun(planned.runId, ['succeeded'], 60_000);
    const group = system.teams.groupChat.id;
    const asked = system.connector.messages(group).length;
    await system.teams.sayInGroupChat(`status ${planned.runId}`, { from: system.teams.user('Chen') });
    await system.teams.sayInGroupChat('history', { from: system.teams.user('Chen') });
    const answers = await waitUntil(
      () =>
        system.connector.messages(group).length >= asked + 2
          ? system.connector.messages(group).slice(asked)
          : undefined,
      10_000,
      'two answers in the group chat',
    );
    const refusal = en.t('bot.not-allowed.read');
    const refused = answers.filter((m) => String(m.activity.text ?? '') === refusal).length;
    const leaked = answers.some((m) => /backend01|succeeded/i.test(cardText(cardOf(m.activity))));
    record(
      'status and history from an unrelated conversation: refused (6)',
      `${refused} of 2 answers were the refusal; run details shown: ${leaked}`,
      refused === 2 && !leaked,
    );

    // (5) Every file the bot wrote in its data folder, after a whole run: private.
    const modes = modesBelow(system.dataDir);
    const open = modes.filter((line) => !line.startsWith('0600 ') && !line.startsWith('0700 '));
    record(
      'the data folder and every file in it private to the bot (5)',
      `${modes.length} entries (state.json, archive, audit, outbox.log, runners/...); not 0600/0700: ${open.length === 0 ? 'none' : open.join(', ')}`,
      open.length === 0,
    );

    // (9) A fresh data folder while the runner keeps its journal: the new run #1 runs.
    // By now backend01 runs the catalog's version, so a new run would rightly stop at
    // precheck.version ("nothing to do"). Put the (simulated) server back on the version it
    // started with, as an admin restoring it would (as test/bot/lab-rollback.ts does), before the
    // fresh bot starts and reads its facts: run #1 then has real work to do.
    const start = server.lab.spec.installedVersion;
    server.lab.update((state) => {
      setComponentVersion(state, start);
      state.databaseVersion = start;
    });
    await system.killBot();
    const freshDir = join(system.dir, 'data-fresh');
    system.options.env = { ...system.options.env, PATCHBOT_DATA_DIR: freshDir };
    await system.startBot();
    await waitUntil(
      () => hotStateIn(freshDir).runners[server.runnerId]?.info,
      30_000,
      'the runner in the fresh store',
    );
    const again = await system.requestRun('backend01', 'standard');
    const ended = await waitUntil(
      () => {
        const run = hotStateIn(freshDir).runs[String(again.runId)];
        const archived = readJsonl<{ id: number; status: string }>(join(freshDir, 'archive')).find(
          (r) => r.id === again.runId,
        );
        return archived ?? (run && ['failed', 'interrupted'].includes(run.status) ? run : undefined);
      },
      60_000,
      'the fresh store run to end',
    ).catch(() => undefined);
    record(
      "a fresh store's run #1 while the runner keeps its journal: runs (9)",
      `run #${again.runId} of the fresh store ${ended?.status ?? 'still waiting after 60 s'}`,
      again.runId === 1 && ended?.status === 'succeeded',
    );

    // (9) A job nobody picks up: fails on the card with the reason after the heartbeat timeout (5 s).
    await system.killRunner('backend01');
    const orphan = await system.planRun('backend01', 'standard');
    await system.confirm(orphan);
    const reason = en
      .t('run.not-picked-up', { timeout: en.formatDuration(5_000), server: 'backend01', lastSeen: '' })
      .split(' (')[0]!;
    const card = await waitUntil(
      () =>
        system.connector
          .messages(orphan.thread)
          .map((m) => cardText(cardOf(m.activity)))
          .find((text) => text.includes(reason)),
      30_000,
      'the failure card with the reason',
    ).catch(() => undefined);
    const audit = readJsonl<AuditEvent>(join(freshDir, 'audit'));
    record(
      'a job no runner picks up fails visibly with the reason (9)',
      `failure card with "${reason}": ${card !== undefined}; audited not-picked-up: ${audit.some((e) => e.action === 'not-picked-up' && e.runId === orphan.runId)}`,
      card !== undefined,
    );

    // (4) Production mode: no token, a fixed 401 body.
    await system.killBot();
    system.options.env = {
      ...system.options.env,
      MicrosoftAppId: '11111111-2222-4333-8444-555555555555',
      MicrosoftAppPassword: 'not-used-in-this-check',
    };
    await system.startBot();
    const unauthenticated = await fetch(`${system.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        serviceUrl: system.connector.url,
        conversation: { id: 'a:x' },
        from: { id: '29:x' },
        text: 'help',
      }),
    });
    const body = await unauthenticated.text();
    record(
      'authentication failures: 401 with a fixed body, details only in the log (4)',
      `no token: ${unauthenticated.status} ${body}`,
      unauthenticated.status === 401 &&
        body === '{"error":"unauthorized","message":"The request is not authenticated."}',
    );
    await system.killBot();

    // (7) Lab mode on a non-loopback HOST: refused at start with the reason.
    const labOpen = spawnTs({
      name: 'bot-open-host',
      entry: join(REPO_ROOT, 'test/reliability/support/bot-main.ts'),
      logDir: system.logDir,
      env: {
        HOST: '0.0.0.0',
        PORT: '0',
        PATCHBOT_DATA_DIR: join(system.dir, 'data-open'),
        RELIABILITY_BOT: '{}',
      },
    });
    const exit = await labOpen.exited;
    const said = labOpen.lines.find((line) => line.includes('HOST=0.0.0.0 is not allowed in lab mode')) ?? '';
    record(
      'lab mode refuses a HOST that is not loopback (7)',
      `exit ${exit.code}; says: "${said.replace('[stderr] ', '').trim().slice(0, 120)}..."`,
      exit.code === 78 && said !== '',
    );

    // (8) The lock file: no copy of a tracked package below its fixed version.
    const lock: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    const tracked = checkTracked(lock);
    const fixable = tracked.filter((f) => f.advisory.fixedIn !== null);
    const still = fixable.flatMap((f) =>
      f.copies.filter((c) => c.affected).map((c) => `${f.advisory.package}@${c.version}`),
    );
    record(
      'vulnerable transitive packages fixed where an override is compatible (8)',
      `${fixable.map((f) => `${f.advisory.package} ${f.copies.map((c) => c.version).join('/')}`).join('; ')}; affected: ${still.length === 0 ? 'none' : still.join(', ')}; not fixable: ${tracked
        .filter((f) => f.advisory.fixedIn === null)
        .map(
          (f) =>
            `${f.advisory.package} ${f.copies.map((c) => c.version).join('/')} (unreachable: no multipart parser mounted)`,
        )
        .join('; ')}`,
      still.length === 0,
    );
  }, 300_000);
});
