import { describe, expect, it } from 'vitest';
import {
  ReplayCache,
  RequestVerifier,
  SIGNATURE_HEADERS,
  signRequest,
  stringToSign,
  type RequestToVerify,
} from '../../src/protocol/signing.js';

const SECRET = 'unit-test-secret-0123456789abcdef';
const W = 5 * 60_000;

function setup(now: { t: number }, cache = new ReplayCache({ now: () => now.t })) {
  const verifier = new RequestVerifier({
    findRunner: async (id: string) => (id === 'r1' ? { secret: SECRET, server: 'backend01' } : null),
    now: () => now.t,
    replayCache: cache,
  });
  const request = (overrides: Partial<Parameters<typeof signRequest>[0]> = {}): RequestToVerify => {
    const body = '{"a":1}';
    const headers = signRequest({
      runnerId: 'r1',
      secret: SECRET,
      method: 'POST',
      path: '/p',
      body,
      timestamp: now.t,
      ...overrides,
    });
    return { method: 'POST', path: '/p', headers, body: Buffer.from(body) };
  };
  return { verifier, request };
}

describe('signing', () => {
  it('signs the documented string and verifies it', async () => {
    const now = { t: 1_700_000_000_000 };
    const { verifier, request } = setup(now);
    expect(
      stringToSign({
        method: 'post',
        path: '/p',
        runnerId: 'r1',
        timestamp: '1',
        nonce: 'n',
        bodySha256: 'h',
      }),
    ).toBe('PATCHBOT-HMAC-SHA256-V1\nPOST\n/p\nr1\n1\nn\nh');
    const outcome = await verifier.verify(request());
    expect(outcome).toMatchObject({ ok: true, runnerId: 'r1', runner: { server: 'backend01' } });
  });

  it('accepts up to the skew either way and refuses beyond it', async () => {
    const now = { t: 1_700_000_000_000 };
    const { verifier, request } = setup(now);
    expect((await verifier.verify(request({ timestamp: now.t - W }))).ok).toBe(true);
    expect((await verifier.verify(request({ timestamp: now.t + W }))).ok).toBe(true);
    expect(await verifier.verify(request({ timestamp: now.t - W - 1 }))).toMatchObject({
      reason: 'stale-timestamp',
    });
    expect(await verifier.verify(request({ timestamp: now.t + W + 1 }))).toMatchObject({
      reason: 'stale-timestamp',
    });
  });

  it('refuses an upper-case or short signature as malformed, not as a mismatch', async () => {
    const now = { t: 1_700_000_000_000 };
    const { verifier, request } = setup(now);
    const signed = request();
    const sig = String(signed.headers[SIGNATURE_HEADERS.signature]);
    for (const bad of [sig.toUpperCase(), sig.slice(2), [sig, sig]]) {
      const outcome = await verifier.verify({
        ...signed,
        headers: { ...signed.headers, [SIGNATURE_HEADERS.signature]: bad },
      });
      expect(outcome).toMatchObject({ ok: false, reason: 'malformed-headers' });
    }
  });

  it('refuses to sign with an empty secret, without echoing anything secret', () => {
    expect(() => signRequest({ runnerId: 'r1', secret: '', method: 'POST', path: '/p', body: '' })).toThrow(
      /empty/,
    );
  });

  it('a nonce is a replay for as long as its timestamp could pass, then forgotten', async () => {
    const now = { t: 1_700_000_000_000 };
    const { verifier, request } = setup(now);
    // Signed one skew in the future: the worst case for how long the nonce must be remembered.
    const early = request({ timestamp: now.t + W, nonce: 'nonce-from-the-future-01' });
    expect((await verifier.verify(early)).ok).toBe(true);
    now.t += 2 * W;
    expect(await verifier.verify(early)).toMatchObject({ reason: 'replayed-nonce' });
    now.t += 1;
    expect(await verifier.verify(early)).toMatchObject({ reason: 'stale-timestamp' });
  });

  it('keeps memory flat under a steady request rate', () => {
    const now = { t: 0 };
    const cache = new ReplayCache({ now: () => now.t });
    let peak = 0;
    for (let i = 0; i < 60 * 60 * 10; i++) {
      now.t += 100; // ten requests a second for an hour
      expect(cache.remember('r1', `n${i}`)).toBe('fresh');
      peak = Math.max(peak, cache.size);
    }
    expect(peak).toBeLessThanOrEqual((2 * W) / 100 + 1);
    expect(cache.size).toBeLessThanOrEqual((2 * W) / 100 + 1);
  });

  it('says "full" rather than forget a live nonce early', () => {
    const cache = new ReplayCache({ maxEntries: 2, now: () => 0 });
    expect(['a', 'b', 'c'].map((n) => cache.remember('r1', n))).toEqual(['fresh', 'fresh', 'full']);
    expect(cache.remember('r1', 'a')).toBe('replay');
  });
});
