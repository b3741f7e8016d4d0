/**
 * Launches Debian's Chromium (never a browser downloaded by Playwright) headless, with a fresh
 * profile, and flags that keep it from calling out of this offline machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_MISSING_MESSAGE =
  'Chromium is needed for the browser tests: run `sudo apt-get install -y chromium` (or `npm test`, which installs it when run as root)';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium keeps trying to reach Google's services, which this network refuses.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Path of the system Chromium; throws with the install hint when there is none. */
export function findChromium(): string {
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    if (found !== '') return found;
  } catch {
    // not on PATH
  }
  throw new Error(CHROMIUM_MISSING_MESSAGE);
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** The first tab, ready to use. */
  readonly page: Page;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<LaunchedChromium> {
  const executablePath = findChromium();
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'patchbot-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    let closing: Promise<void> | undefined;
    return {
      context,
      page,
      close: () => {
        closing ??= context.close().finally(() => rm(userDataDir, { recursive: true, force: true }));
        return closing;
      },
    };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
