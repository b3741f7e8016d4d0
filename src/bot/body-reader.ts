import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body for routes that accept JSON only (Bot Framework activities, the runner API).
 * Nothing here touches the disk: the body is kept in memory, and only up to the cap. A request
 * whose content type is not JSON is refused before any of its body is read; a declared length
 * over the cap is refused at once; the bytes are counted as they arrive and reading stops the
 * moment they pass the cap; a body that does not arrive in full within the read timeout is
 * refused too, so a client trickling bytes cannot hold a request open for ever.
 */
export interface BodyLimits {
  maxBytes: number;
  /** Longest the whole body may take to arrive, counted from the start of reading. */
  timeoutMs: number;
}

export type BodyRefusal = {
  status: 408 | 413 | 415;
  error: 'body-timeout' | 'too-large' | 'unsupported-media-type';
  message: string;
};

export type BodyOutcome =
  | { ok: true; bytes: Buffer }
  | { ok: false; refusal: BodyRefusal }
  /** The client closed the connection before its body was complete. */
  | { ok: false; refusal: null };

export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** application/json, with or without parameters (charset=utf-8 as Teams sends it). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type = '', ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  // JSON is UTF-8 (RFC 8259); another declared charset means the bytes are not what we parse.
  const charset = parameters.find((p) => p.startsWith('charset='));
  return charset === undefined || /^charset="?utf-8"?$/.test(charset);
}

export function tooLarge(maxBytes: number): BodyRefusal {
  return { status: 413, error: 'too-large', message: `The body is larger than ${maxBytes} bytes.` };
}

export const UNSUPPORTED_MEDIA_TYPE: BodyRefusal = {
  status: 415,
  error: 'unsupported-media-type',
  message: 'Only application/json bodies are accepted here.',
};

export function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyOutcome> {
  if (!isJsonContentType(req.headers['content-type']))
    return Promise.resolve({ ok: false, refusal: UNSUPPORTED_MEDIA_TYPE });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes)
    return Promise.resolve({ ok: false, refusal: tooLarge(limits.maxBytes) });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (outcome: BodyOutcome) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      // Stop reading: what is still on its way is never buffered. The answer says
      // Connection: close, so Node drops the connection once it is written.
      if (!outcome.ok) req.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limits.maxBytes) finish({ ok: false, refusal: tooLarge(limits.maxBytes) });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, bytes: Buffer.concat(chunks) });
    const onGone = () => finish({ ok: false, refusal: null });
    const onClose = () => {
      if (!req.complete) onGone();
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          refusal: {
            status: 408,
            error: 'body-timeout',
            message: `The body did not arrive in full within ${limits.timeoutMs} ms.`,
          },
        }),
      limits.timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onClose);
  });
}
