import { deflateSync } from 'node:zlib';

/** An 8-bit-per-channel raster, row by row, RGBA order. */
export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes. */
  pixels: Uint8Array;
}

/** PNG colour types this encoder writes: truecolour, or truecolour with alpha. */
export type PngColourType = 'rgb' | 'rgba';

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const COLOUR_TYPE_CODE: Record<PngColourType, number> = { rgb: 2, rgba: 6 };
const FILTER_NONE = 0;

const CRC_TABLE = buildCrcTable();

function buildCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (ISO 3309, as PNG and zip use it). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  // The CRC covers the chunk type and data, not the length.
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function header(image: RgbaImage, colourType: PngColourType): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  data[8] = 8; // bit depth
  data[9] = COLOUR_TYPE_CODE[colourType];
  // Bytes 10-12 stay 0: deflate compression, adaptive filtering, no interlace.
  return data;
}

function scanlines(image: RgbaImage, colourType: PngColourType): Uint8Array {
  const channels = colourType === 'rgba' ? 4 : 3;
  const stride = 1 + image.width * channels;
  const out = new Uint8Array(stride * image.height);
  for (let y = 0; y < image.height; y++) {
    out[y * stride] = FILTER_NONE;
    for (let x = 0; x < image.width; x++) {
      const from = (y * image.width + x) * 4;
      const to = y * stride + 1 + x * channels;
      out.set(image.pixels.subarray(from, from + channels), to);
    }
  }
  return out;
}

/** Encodes a raster as a non-interlaced 8-bit PNG; 'rgb' drops the alpha channel. */
export function encodePng(image: RgbaImage, colourType: PngColourType): Uint8Array {
  if (image.pixels.length !== image.width * image.height * 4) {
    throw new Error(`raster is ${image.pixels.length} bytes, expected ${image.width * image.height * 4}`);
  }
  const parts = [
    PNG_SIGNATURE,
    chunk('IHDR', header(image, colourType)),
    chunk('IDAT', deflateSync(scanlines(image, colourType), { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Width, height and colour type from a PNG's IHDR chunk, or undefined if the bytes are not a PNG. */
export function readPngHeader(
  bytes: Uint8Array,
): { width: number; height: number; colourType: number } | undefined {
  const startsWithSignature = PNG_SIGNATURE.every((byte, index) => bytes[index] === byte);
  if (!startsWithSignature || bytes.length < 33) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20), colourType: bytes[25] ?? -1 };
}
