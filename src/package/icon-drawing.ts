import type { RgbaImage } from './png.js';

/** The app's accent colour; the manifest's accentColor uses the same value. */
export const ACCENT_COLOUR_HEX = '#2E5C8A';

export type Rgba = readonly [red: number, green: number, blue: number, alpha: number];

const ACCENT: Rgba = [0x2e, 0x5c, 0x8a, 0xff];
const WHITE: Rgba = [0xff, 0xff, 0xff, 0xff];
const TRANSPARENT: Rgba = [0, 0, 0, 0];

/** A shield: straight sides for `straightRows`, then tapering to a point at the bottom. */
interface Shield {
  centreX: number;
  top: number;
  height: number;
  halfWidth: number;
  straightRows: number;
}

/** A plus sign centred on a point; `arm` is the distance from the centre to a tip. */
interface Plus {
  centreX: number;
  centreY: number;
  arm: number;
  halfThickness: number;
}

function blankImage(size: number, colour: Rgba): RgbaImage {
  const image: RgbaImage = { width: size, height: size, pixels: new Uint8Array(size * size * 4) };
  fillRect(image, 0, 0, size, size, colour);
  return image;
}

/** Paints the rectangle [x, x + width) x [y, y + height), clipped to the image. */
export function fillRect(
  image: RgbaImage,
  x: number,
  y: number,
  width: number,
  height: number,
  colour: Rgba,
) {
  const left = Math.max(0, x);
  const right = Math.min(image.width, x + width);
  const top = Math.max(0, y);
  const bottom = Math.min(image.height, y + height);
  for (let row = top; row < bottom; row++) {
    for (let column = left; column < right; column++)
      image.pixels.set(colour, (row * image.width + column) * 4);
  }
}

/** Draws the shield one pixel row (a 1-high rectangle) at a time; no anti-aliasing, so edges stay crisp. */
function fillShield(image: RgbaImage, shield: Shield, colour: Rgba) {
  const taperRows = shield.height - shield.straightRows;
  for (let row = 0; row < shield.height; row++) {
    const rowsIntoTaper = row - shield.straightRows;
    const halfWidth =
      rowsIntoTaper < 0
        ? shield.halfWidth
        : Math.max(1, Math.round((shield.halfWidth * (taperRows - rowsIntoTaper)) / taperRows));
    fillRect(image, shield.centreX - halfWidth, shield.top + row, halfWidth * 2, 1, colour);
  }
}

function fillPlus(image: RgbaImage, plus: Plus, colour: Rgba) {
  const thickness = plus.halfThickness * 2;
  fillRect(
    image,
    plus.centreX - plus.halfThickness,
    plus.centreY - plus.arm,
    thickness,
    plus.arm * 2,
    colour,
  );
  fillRect(
    image,
    plus.centreX - plus.arm,
    plus.centreY - plus.halfThickness,
    plus.arm * 2,
    thickness,
    colour,
  );
}

/** 192x192 colour icon: a white shield with an accent-coloured patch cross on an accent background. */
export function drawColorIcon(): RgbaImage {
  const image = blankImage(192, ACCENT);
  fillShield(image, { centreX: 96, top: 32, height: 128, halfWidth: 52, straightRows: 60 }, WHITE);
  fillPlus(image, { centreX: 96, centreY: 86, arm: 30, halfThickness: 11 }, ACCENT);
  return image;
}

/** 32x32 outline icon: the same mark as a white outline on a transparent background. */
export function drawOutlineIcon(): RgbaImage {
  const image = blankImage(32, TRANSPARENT);
  fillShield(image, { centreX: 16, top: 1, height: 30, halfWidth: 13, straightRows: 14 }, WHITE);
  fillShield(image, { centreX: 16, top: 3, height: 22, halfWidth: 11, straightRows: 12 }, TRANSPARENT);
  fillPlus(image, { centreX: 16, centreY: 13, arm: 6, halfThickness: 1 }, WHITE);
  return image;
}
