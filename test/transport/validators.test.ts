import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../src/procedure/index.js';
import {
  EXCERPT_CAP_CHARS,
  OUTPUT_CAP_CHARS,
  STEP_STATUSES,
  type StepResult,
} from '../../src/protocol/messages.js';
import {
  validateHeartbeat,
  validateHeartbeatAnswer,
  validateJob,
  validatePollAnswer,
  validatePollRequest,
  validateResultsAnswer,
  validateResultsRequest,
  validateStepResult,
} from '../../src/protocol/validate-messages.js';
import { heartbeat, job, RUNNER_A, stepResult } from './harness.js';

const VALIDATORS = {
  validatePollRequest,
  validateResultsRequest,
  validateStepResult,
  validateHeartbeat,
  validateJob,
  validatePollAnswer,
  validateResultsAnswer,
  validateHeartbeatAnswer,
};

/** Valid bodies, one per validator: the seeds that random mutations start from. */
const VALID: Record<keyof typeof VALIDATORS, unknown> = {
  validatePollRequest: { waitMs: 1000 },
  validateResultsRequest: {
    results: [stepResult(1), stepResult(1, { stepId: 'services.stop', rebootRequired: true })],
  },
  validateStepResult: stepResult(1, {
    status: 'failed',
    errorExcerpt: 'Stop-CsWindowsService: access denied',
    exitCode: -1,
  }),
  validateHeartbeat: heartbeat(RUNNER_A, 3),
  validateJob: {
    ...job(4),
    request: {
      server: 'backend01',
      edition: 'enterprise',
      sqlServerFqdn: 'sql01.contoso.local',
      collocated: true,
    },
  },
  validatePollAnswer: { job: job(5) },
  validateResultsAnswer: { acks: [{ runId: 1, stepId: 'precheck.role', attempt: 1, outcome: 'duplicate' }] },
  validateHeartbeatAnswer: { cancel: [1, 2] },
};

const names = Object.keys(VALIDATORS) as Array<keyof typeof VALIDATORS>;

describe('runner API validators', () => {
  it.each(names)('%s accepts a valid body (also after a JSON round trip)', (name) => {
    const result = VALIDATORS[name](JSON.parse(JSON.stringify(VALID[name])));
    expect(result).toMatchObject({ ok: true });
  });

  it.each([
    ['an extra field', { ...stepResult(1), shell: 'iex' }, 'result: unexpected field "shell".'],
    ['NaN', { ...stepResult(1), durationMs: Number.NaN }, 'result.durationMs: expected a finite number.'],
    ['Infinity', { ...stepResult(1), durationMs: Infinity }, 'result.durationMs: expected a finite number.'],
    ['a null stdout', { ...stepResult(1), stdout: null }, 'result.stdout: expected a string.'],
    [
      '__proto__ as a key',
      JSON.parse(`{"__proto__":{},${JSON.stringify(stepResult(1)).slice(1)}`),
      'result: unexpected field "__proto__".',
    ],
  ])('refuses %s with a clear message', (_name, body, message) => {
    expect(validateStepResult(body)).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid-message', message }),
    });
  });

  it('caps output at OUTPUT_CAP_CHARS and excerpts at EXCERPT_CAP_CHARS, inclusive', () => {
    const at = stepResult(1, {
      stdout: 'x'.repeat(OUTPUT_CAP_CHARS),
      errorExcerpt: 'y'.repeat(EXCERPT_CAP_CHARS),
    });
    expect(validateStepResult(at).ok).toBe(true);
    expect(validateStepResult({ ...at, stderr: 'z'.repeat(OUTPUT_CAP_CHARS + 1) }).ok).toBe(false);
  });

  it('refuses a job whose start index lies outside its steps', () => {
    expect(validateJob({ ...job(1), startIndex: 3 })).toMatchObject({
      ok: false,
      error: { params: { path: 'job.startIndex' } },
    });
  });

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.anything({ withNullPrototype: true, withSparseArray: true }),
        (name, value) => {
          const result = VALIDATORS[name](value);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.json(), (name, text) => {
        expect(typeof VALIDATORS[name](JSON.parse(text)).ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws when one field of a valid body is replaced by anything', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), fc.jsonValue(), (name, pick, replacement) => {
        const body = structuredClone(VALID[name]) as Record<string, unknown>;
        const keys = Object.keys(body);
        body[keys[pick % keys.length]!] = replacement;
        const result = VALIDATORS[name](body);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed step result', () => {
    const arbitraryResult: fc.Arbitrary<StepResult> = fc.record({
      runId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      attempt: fc.nat({ max: 1000 }),
      stepId: fc.constantFrom(...STEP_IDS),
      index: fc.nat({ max: 63 }),
      status: fc.constantFrom(...STEP_STATUSES),
      startedAt: fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      endedAt: fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      durationMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
      exitCode: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })),
      stdout: fc.string({ maxLength: OUTPUT_CAP_CHARS }),
      stderr: fc.string({ unit: 'grapheme', maxLength: 200 }),
      truncated: fc.boolean(),
      errorExcerpt: fc.option(fc.string({ maxLength: EXCERPT_CAP_CHARS })),
    });
    fc.assert(
      fc.property(arbitraryResult, (result) => {
        expect(validateStepResult(JSON.parse(JSON.stringify(result)))).toEqual({ ok: true, value: result });
      }),
      { numRuns: 300 },
    );
  });
});
