import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { labServerSpec } from '../src/lab/servers.js';
import { planUpdate, type ServerProfile } from '../src/procedure/index.js';
import type { HotState } from '../src/store/hot-state.js';
import type { ConversationRecord, RunnerRecord } from '../src/store/store.js';
import type { RunRecord } from '../src/store/types.js';

/**
 * Writes a bot's data folder directly, in the formats src/store writes (state.json as HotState,
 * archive/runs-YYYY-MM.jsonl with one JSON run per line), so benchmarks start from a large history
 * in seconds instead of replaying it through the bot. Runners are registered through the bot's
 * store instead (child-process.ts 'register-runners'), as lab mode does.
 */

export interface SeededRunner {
  record: RunnerRecord;
  profile: ServerProfile;
}

/** Server names the benchmarks invent: srv0001, srv0002, ... (valid host names). */
export function benchServerName(index: number): string {
  return `srv${String(index).padStart(4, '0')}`;
}

/** A registered runner for a simulated SfB 2019 Standard Edition server, with the profile it reports. */
export function benchRunner(server: string, reported = true): SeededRunner {
  const profile = labServerSpec({ server, product: 'sfb2019', edition: 'standard' }).profile;
  const id = `rn-bench-${server}`;
  return {
    profile,
    record: {
      id,
      server,
      secret: randomBytes(32).toString('base64url'),
      createdAt: new Date().toISOString(),
      lastSeenAt: reported ? new Date().toISOString() : null,
      info: reported ? { runnerId: id, version: 'bench', profile } : null,
    },
  };
}

export async function writeHotState(dataDir: string, state: Partial<HotState>): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const full: HotState = {
    version: 1,
    lastRunId: 0,
    lastOutboxId: 0,
    runs: {},
    runners: {},
    conversations: {},
    outbox: [],
    ...state,
  };
  await writeFile(path.join(dataDir, 'state.json'), JSON.stringify(full));
}

/** A run as the bot stores it, with every step finished like a real successful run. */
export function finishedRun(id: number, server: string, endedAt: Date, conversationId: string): RunRecord {
  const profile = labServerSpec({ server, product: 'sfb2019', edition: 'standard' }).profile;
  const planned = planUpdate({ server, edition: 'standard' }, profile);
  if (!planned.ok) throw new Error(`cannot plan for ${server}: ${planned.error.message}`);
  const plan = planned.value;
  const started = new Date(endedAt.getTime() - 20 * 60_000);
  const stepMs = Math.floor((endedAt.getTime() - started.getTime()) / plan.steps.length);
  const at = (i: number) => new Date(started.getTime() + i * stepMs).toISOString();
  return {
    id,
    server,
    product: plan.product,
    edition: 'standard',
    plan,
    status: 'succeeded',
    requestedBy: { id: '29:bench-requester', name: 'Bench Requester' },
    requestedAt: at(0),
    conversationId,
    locale: 'en-US',
    approvalsRequired: 0,
    decisions: [],
    expiresAt: null,
    attempt: 1,
    steps: plan.steps.map((step, i) => ({
      stepId: step.id,
      index: i,
      status: 'succeeded',
      attempt: 1,
      startedAt: at(i),
      endedAt: at(i + 1),
      durationMs: stepMs,
      exitCode: 0,
      stdout: `${step.command.slice(0, 60)}: done`,
      stderr: '',
      errorExcerpt: null,
    })),
    startedAt: at(0),
    endedAt: endedAt.toISOString(),
    downtimeStartedAt: at(8),
    downtimeEndedAt: at(17),
    cancelRequested: null,
    cardActivityId: String(1_700_000_000_000 + id),
    downtimeWarnings: [],
  };
}

/**
 * Appends runs `fromId`..`toId` to the archive, spread evenly over `months` months ending with
 * the current one (oldest first, as the bot would have written them). Returns bytes written.
 */
export async function seedArchive(
  dataDir: string,
  range: { fromId: number; toId: number; totalRuns: number; months: number },
  conversationId: string,
): Promise<number> {
  const archiveDir = path.join(dataDir, 'archive');
  await mkdir(archiveDir, { recursive: true });
  // One template line per run id, with the fields that differ patched into the JSON text: far faster
  // than building and stringifying 100,000 objects, and byte-for-byte what JSON.stringify gives.
  const template = JSON.stringify(finishedRun(987654321, 'srvtemplate', new Date(0), conversationId));
  const perMonth = Math.ceil(range.totalRuns / range.months);
  const now = new Date();
  let bytes = 0;
  let currentFile = '';
  let stream: ReturnType<typeof createWriteStream> | undefined;
  for (let id = range.fromId; id <= range.toId; id++) {
    const monthsBack = range.months - 1 - Math.floor((id - 1) / perMonth);
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - Math.max(0, monthsBack), 1));
    const file = path.join(archiveDir, `runs-${month.toISOString().slice(0, 7)}.jsonl`);
    if (file !== currentFile) {
      if (stream) {
        stream.end();
        await once(stream, 'finish');
      }
      stream = createWriteStream(file, { flags: 'a' });
      currentFile = file;
    }
    const line = `${template
      .replace('"id":987654321', `"id":${id}`)
      .replaceAll('srvtemplate', benchServerName(1 + (id % 500)))}\n`;
    bytes += line.length;
    if (!stream!.write(line)) await once(stream!, 'drain');
  }
  if (stream) {
    stream.end();
    await once(stream, 'finish');
  }
  return bytes;
}

export function conversationRecord(conversationId: string, serviceUrl: string): ConversationRecord {
  return {
    conversationId,
    locale: null,
    reference: {
      activityId: '1',
      user: { id: '29:bench-requester', name: 'Bench Requester' },
      bot: { id: '28:bench-bot', name: 'Patch bot' },
      conversation: { id: conversationId, conversationType: 'channel', tenantId: 'bench' },
      channelId: 'msteams',
      locale: 'en-US',
      serviceUrl,
    },
  };
}
