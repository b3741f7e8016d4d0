import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startCaptureConnector } from '../../src/lab/capture-connector.js';
import { startLabFleet, type LabFleet, type LabFleetOptions } from '../../src/lab/lab-fleet.js';
import { silentLogger } from '../../src/log.js';
import { createTeamsClient, type TeamsClient } from '../support/teams-client.js';

export type Connector = Awaited<ReturnType<typeof startCaptureConnector>>;

export interface BotHarness {
  app: App;
  connector: Connector;
  teams: TeamsClient;
  fleet: LabFleet;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The whole bot as in lab mode, over real HTTP on 127.0.0.1: the composition root (createApp),
 * real runner agents driving SIMULATED servers through node-powershell, and the capture
 * connector standing in for Teams' Bot Connector service.
 */
export async function startBotHarness(
  env: Record<string, string> = {},
  fleet: Partial<LabFleetOptions> = {},
): Promise<BotHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'patchbot-bot-'));
  const connector = await startCaptureConnector();
  const config = loadConfig({
    PORT: '0',
    PATCHBOT_DATA_DIR: path.join(dataDir, 'data'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await createApp(config, silentLogger(), { sweepIntervalMs: 200 });
  const labFleet = await startLabFleet({
    botUrl: app.url,
    store: app.store,
    dir: dataDir,
    logger: silentLogger(),
    timeScale: 0.0002,
    heartbeatIntervalMs: 200,
    ...fleet,
  });
  const teams = createTeamsClient({ botEndpoint: `${app.url}/api/messages`, serviceUrl: connector.url });
  await waitUntil(() => app.store.runners().every((r) => r.info !== null), 10_000, 'runners to report in');
  return {
    app,
    connector,
    teams,
    fleet: labFleet,
    dataDir,
    stop: async () => {
      await labFleet.stop();
      await app.stop();
      await connector.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every piece of visible text in a card (TextBlock, RichTextBlock runs, facts, action titles). */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    for (const key of ['text', 'title', 'value']) if (typeof n[key] === 'string') out.push(n[key] as string);
    for (const value of Object.values(n)) if (typeof value === 'object') walk(value);
  };
  walk(card);
  return out.join('\n');
}

/** The Action.Execute buttons of a card: verb and data. */
export function cardActions(card: unknown): { verb: string; title: string; data: Record<string, unknown> }[] {
  const found: { verb: string; title: string; data: Record<string, unknown> }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n.type === 'Action.Execute' && typeof n.verb === 'string' && n.verb !== 'run.refresh') {
      found.push({
        verb: n.verb,
        title: String(n.title ?? ''),
        data: (n.data ?? {}) as Record<string, unknown>,
      });
    }
    for (const [key, value] of Object.entries(n))
      if (key !== 'refresh' && typeof value === 'object') walk(value);
  };
  walk(card);
  return found;
}

/** The Adaptive Card content of an activity, if it carries one. */
export function cardOf(activity: unknown): Record<string, unknown> | undefined {
  const attachments = (
    activity as { attachments?: { contentType?: string; content?: Record<string, unknown> }[] }
  )?.attachments;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}
