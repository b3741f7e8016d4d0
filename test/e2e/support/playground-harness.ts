/**
 * One call that gives an end-to-end test everything: a playground pointed at the bot, the
 * conversation stream, and (unless asked not to) a headless Chromium showing the playground.
 * Use one harness per test file (beforeAll/afterAll): the playground keeps one state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../../src/log.js';
import { silentLogger } from '../../../src/log.js';
import {
  startPlayground,
  type PlaygroundTenant,
  type RunningPlayground,
} from '../../../src/lab/playground.js';
import { launchChromium, type LaunchedChromium } from './chromium.js';
import { ConversationStream } from './conversation-stream.js';
import { PlaygroundPage } from './playground-page.js';

export interface PlaygroundHarnessOptions {
  botEndpoint: string;
  /** Start Chromium and open the playground in it; default true. */
  browser?: boolean;
  tenant?: PlaygroundTenant;
  logger?: Logger;
}

export interface PlaygroundHarness {
  readonly playground: RunningPlayground;
  readonly tenant: PlaygroundTenant;
  /** Connected before the page loads, so it sees every frame the bot sends. */
  readonly stream: ConversationStream;
  /** Undefined when started with `browser: false`. */
  readonly ui: PlaygroundPage | undefined;
  /** The page helper; throws when the harness runs without a browser. */
  page(): PlaygroundPage;
  stop(): Promise<void>;
}

export async function startPlaygroundHarness(options: PlaygroundHarnessOptions): Promise<PlaygroundHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'patchbot-playground-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const playground = await startPlayground({
      botEndpoint: options.botEndpoint,
      dataDir,
      logger: options.logger ?? silentLogger(),
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    });
    cleanups.push(() => playground.stop());
    const stream = await ConversationStream.connect(playground.url);
    cleanups.push(() => stream.close());
    let chromium: LaunchedChromium | undefined;
    let ui: PlaygroundPage | undefined;
    if (options.browser !== false) {
      chromium = await launchChromium();
      cleanups.push(() => chromium?.close());
      ui = new PlaygroundPage(chromium.page, playground.url, playground.tenant);
      await ui.open();
    }
    return {
      playground,
      tenant: playground.tenant,
      stream,
      ui,
      page: () => {
        if (ui === undefined) throw new Error('This harness was started with browser: false');
        return ui;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
