import { crc32, inflateSync } from 'node:zlib';

/** A decoded 8-bit PNG, always expanded to RGBA so tests can inspect alpha uniformly. */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  rgba: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 2: 3, 6: 4 };

/**
 * A deliberately independent reader (node's own crc32, all five scanline filters) so the
 * icon tests do not trust the encoder they are checking.
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (!SIGNATURE.every((byte, index) => bytes[index] === byte)) throw new Error('not a PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let header:
    { width: number; height: number; bitDepth: number; colourType: number; interlace: number } | undefined;
  let offset = 8;
  let sawEnd = false;
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const storedCrc = view.getUint32(offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== storedCrc)
      throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      header = {
        width: view.getUint32(offset + 8),
        height: view.getUint32(offset + 12),
        bitDepth: data[8] ?? -1,
        colourType: data[9] ?? -1,
        interlace: data[12] ?? -1,
      };
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    offset += 12 + length;
  }
  if (!header || !sawEnd) throw new Error('missing IHDR or IEND');
  const channels = CHANNELS[header.colourType];
  if (header.bitDepth !== 8 || channels === undefined || header.interlace !== 0) {
    throw new Error(`reader handles 8-bit non-interlaced RGB/RGBA only, got ${JSON.stringify(header)}`);
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = header.width * channels;
  if (raw.length !== (stride + 1) * header.height) throw new Error('image data has the wrong length');
  const pixels = unfilter(raw, stride, header.height, channels);
  const rgba = new Uint8Array(header.width * header.height * 4);
  for (let i = 0; i < header.width * header.height; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = pixels[i * channels + c] ?? 0;
    rgba[i * 4 + 3] = channels === 4 ? (pixels[i * channels + 3] ?? 0) : 255;
  }
  return {
    width: header.width,
    height: header.height,
    bitDepth: header.bitDepth,
    colourType: header.colourType,
    rgba,
  };
}

function unfilter(raw: Uint8Array, stride: number, height: number, bytesPerPixel: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const left = x >= bytesPerPixel ? (out[y * stride + x - bytesPerPixel] ?? 0) : 0;
      const up = y > 0 ? (out[(y - 1) * stride + x] ?? 0) : 0;
      const upLeft = x >= bytesPerPixel && y > 0 ? (out[(y - 1) * stride + x - bytesPerPixel] ?? 0) : 0;
      out[y * stride + x] = (value + predict(filter, left, up, upLeft)) & 0xff;
    }
  }
  return out;
}

function predict(filter: number | undefined, left: number, up: number, upLeft: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return left;
    case 2:
      return up;
    case 3:
      return Math.floor((left + up) / 2);
    case 4: {
      const estimate = left + up - upLeft;
      const [dl, du, dul] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
      return dl <= du && dl <= dul ? left : du <= dul ? up : upLeft;
    }
    default:
      throw new Error(`unknown scanline filter ${String(filter)}`);
  }
}
