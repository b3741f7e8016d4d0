import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drawColorIcon, drawOutlineIcon } from '../../src/package/icon-drawing.js';
import { encodePng, readPngHeader } from '../../src/package/png.js';
import { decodePng } from './png-reader.js';

const manifestFile = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../manifest/${name}`, import.meta.url)));

const PNG_TRUECOLOUR = 2;
const PNG_TRUECOLOUR_ALPHA = 6;

function distinctColours(rgba: Uint8Array): Set<string> {
  const colours = new Set<string>();
  for (let i = 0; i < rgba.length; i += 4) colours.add(rgba.subarray(i, i + 4).join(','));
  return colours;
}

describe('color.png', () => {
  const png = decodePng(manifestFile('color.png'));

  it('is a 192x192 8-bit truecolour PNG', () => {
    expect(png).toMatchObject({ width: 192, height: 192, bitDepth: 8, colourType: PNG_TRUECOLOUR });
  });

  it('is in colour, not a silhouette', () => {
    const colours = distinctColours(png.rgba);
    expect(colours.size).toBeGreaterThanOrEqual(2);
    expect([...colours].some((colour) => colour !== '255,255,255,255' && colour !== '0,0,0,255')).toBe(true);
  });

  it('is what scripts/make-icons.ts draws (regenerate after changing the drawing)', () => {
    expect(png.rgba).toEqual(decodePng(encodePng(drawColorIcon(), 'rgb')).rgba);
  });
});

describe('outline.png', () => {
  const png = decodePng(manifestFile('outline.png'));

  it('is a 32x32 8-bit truecolour-with-alpha PNG', () => {
    expect(png).toMatchObject({ width: 32, height: 32, bitDepth: 8, colourType: PNG_TRUECOLOUR_ALPHA });
  });

  it('has only opaque white or fully transparent pixels, and some of each', () => {
    const colours = distinctColours(png.rgba);
    const offending = [...colours].filter((colour) => colour !== '255,255,255,255' && !colour.endsWith(',0'));
    expect(offending).toEqual([]);
    expect(colours.has('255,255,255,255')).toBe(true);
    expect([...colours].some((colour) => colour.endsWith(',0'))).toBe(true);
  });

  it('is what scripts/make-icons.ts draws', () => {
    expect(png.rgba).toEqual(drawOutlineIcon().pixels);
  });
});

describe('encodePng', () => {
  it('writes chunks an independent reader accepts, with the RGB channels intact', () => {
    const image = { width: 3, height: 2, pixels: new Uint8Array(24).map((_, i) => (i * 37) % 256) };
    const opaque = decodePng(encodePng(image, 'rgb'));
    const withAlpha = decodePng(encodePng(image, 'rgba'));
    expect(withAlpha.rgba).toEqual(image.pixels);
    for (let i = 0; i < 6; i++) {
      expect(opaque.rgba.subarray(i * 4, i * 4 + 3)).toEqual(image.pixels.subarray(i * 4, i * 4 + 3));
      expect(opaque.rgba[i * 4 + 3]).toBe(255);
    }
  });

  it('exposes the IHDR fields the packager checks', () => {
    expect(readPngHeader(manifestFile('outline.png'))).toEqual({ width: 32, height: 32, colourType: 6 });
    expect(readPngHeader(new TextEncoder().encode('GIF89a, not a png at all, padded out'))).toBeUndefined();
  });
});
