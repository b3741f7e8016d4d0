/**
 * A minimal RFC 6455 client that receives text messages. Node 20 has no WebSocket global
 * without --experimental-websocket, and the project has no WebSocket dependency; the
 * playground's stream only needs "receive text, answer pings, close".
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface TextWebSocket {
  close(): void;
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

/** Connects to a `ws://` address; resolves once the server accepted the upgrade. */
export function connectTextWebSocket(
  url: string,
  onText: (text: string) => void,
  onClose: () => void = () => undefined,
): Promise<TextWebSocket> {
  const address = new URL(url);
  return new Promise((resolve, reject) => {
    const upgradeRequest = request({
      host: address.hostname,
      port: address.port,
      path: `${address.pathname}${address.search}`,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    upgradeRequest.once('error', reject);
    upgradeRequest.once('response', (response) =>
      reject(new Error(`WebSocket upgrade to ${url} refused: HTTP ${response.statusCode}`)),
    );
    upgradeRequest.once('upgrade', (_response, socket, head) => {
      const reader = new FrameReader(socket, onText);
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.once('close', onClose);
      socket.on('error', () => socket.destroy());
      if (head.length > 0) reader.push(head);
      resolve({
        close: () => {
          if (!socket.destroyed) socket.end(maskedFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8])));
          socket.destroySoon();
        },
      });
    });
    upgradeRequest.end();
  });
}

class FrameReader {
  private buffered = Buffer.alloc(0);
  private fragments: Buffer[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly onText: (text: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (let frame = this.nextFrame(); frame !== undefined; frame = this.nextFrame()) {
      this.handle(frame.fin, frame.opcode, frame.payload);
    }
  }

  private nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    const bytes = this.buffered;
    if (bytes.length < 2) return undefined;
    const first = bytes.readUInt8(0);
    const second = bytes.readUInt8(1);
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (bytes.length < 4) return undefined;
      length = bytes.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return undefined;
      length = Number(bytes.readBigUInt64BE(2));
      offset = 10;
    }
    // Servers never mask, but skip a mask key if one is there.
    const maskKey = (second & 0x80) !== 0 ? bytes.subarray(offset, offset + 4) : undefined;
    if (maskKey !== undefined) offset += 4;
    if (bytes.length < offset + length) return undefined;
    const payload = Buffer.from(bytes.subarray(offset, offset + length));
    if (maskKey !== undefined) payload.forEach((byte, i) => (payload[i] = byte ^ (maskKey[i % 4] ?? 0)));
    this.buffered = bytes.subarray(offset + length);
    return { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload };
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OPCODE_TEXT || opcode === OPCODE_CONTINUATION) {
      this.fragments.push(payload);
      if (fin) {
        this.onText(Buffer.concat(this.fragments).toString('utf8'));
        this.fragments = [];
      }
    } else if (opcode === OPCODE_PING) {
      this.socket.write(maskedFrame(OPCODE_PONG, payload));
    } else if (opcode === OPCODE_CLOSE) {
      this.socket.end(maskedFrame(OPCODE_CLOSE, payload.subarray(0, 2)));
    }
  }
}

/** Client-to-server frames must be masked; only small control frames are ever sent. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}
