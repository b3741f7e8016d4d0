/**
 * Screenshots of one element (a card, a thread) rather than the window. The playground scrolls
 * its conversation pane, and Chromium paints only the part of a scrolled pane that is in view,
 * so the window is made tall enough for the whole element while the picture is taken.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { ARTIFACTS_DIR } from './playground-page.js';

/** Room for the playground's header and composer around the element. */
const WINDOW_MARGIN_PX = 400;
/** Chromium refuses larger captures; a thread of a few dozen cards stays well below. */
const MAX_WINDOW_HEIGHT_PX = 16_000;

/** Saves the whole element to test/artifacts/<name>.png and returns the path. */
export async function screenshotElement(element: Locator, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  const page = element.page();
  const original = page.viewportSize();
  const box = await element.boundingBox();
  const height = Math.min(Math.ceil((box?.height ?? 0) + WINDOW_MARGIN_PX), MAX_WINDOW_HEIGHT_PX);
  const resize = original !== null && height > original.height;
  try {
    if (resize) await page.setViewportSize({ width: original.width, height });
    await element.scrollIntoViewIfNeeded();
    await element.screenshot({ path: file, animations: 'disabled' });
  } finally {
    if (resize) await page.setViewportSize(original);
  }
  return file;
}
