/**
 * Regenerates manifest/color.png and manifest/outline.png. The PNGs are committed; run this
 * only after changing the drawing in src/package/icon-drawing.ts.
 *
 *   npx tsx scripts/make-icons.ts [output-dir]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawColorIcon, drawOutlineIcon } from '../src/package/icon-drawing.js';
import { encodePng } from '../src/package/png.js';

const defaultDir = fileURLToPath(new URL('../manifest/', import.meta.url));
const outputDir = path.resolve(process.argv[2] ?? defaultDir);

await mkdir(outputDir, { recursive: true });
const icons = [
  { file: 'color.png', bytes: encodePng(drawColorIcon(), 'rgb') },
  { file: 'outline.png', bytes: encodePng(drawOutlineIcon(), 'rgba') },
];
for (const icon of icons) {
  const target = path.join(outputDir, icon.file);
  await writeFile(target, icon.bytes);
  console.log(`wrote ${target} (${icon.bytes.length} bytes)`);
}
