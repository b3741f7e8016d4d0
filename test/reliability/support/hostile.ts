/**
 * Generators for the hostile-input test: chat commands, card action payloads, malformed
 * activities and runner API bodies. Everything is driven by fast-check with a fixed seed, so a
 * failure names the exact case and repeats.
 */
import fc from 'fast-check';
import { ALL_VERBS } from '../../../src/cards/verbs.js';
import { COMMAND_NAMES } from '../../../src/commands/declarations.js';
import type { StepResult } from '../../../src/protocol/messages.js';

export const SEED = 20261123;

/** A well-formed result for the first step of attempt 1 of `runId`: the body forged or fuzzed calls start from. */
export function firstStepResult(runId: number): StepResult {
  const at = new Date().toISOString();
  return {
    runId,
    attempt: 1,
    stepId: 'precheck.role',
    index: 0,
    status: 'succeeded',
    startedAt: at,
    endedAt: at,
    durationMs: 1,
    exitCode: null,
    stdout: '',
    stderr: '',
    truncated: false,
    errorExcerpt: null,
  };
}

const INJECTIONS = [
  'backend01;Stop-Computer',
  '$(Stop-Computer -Force)',
  '`whoami`',
  "'; Remove-Item C:\\ -Recurse; '",
  "sql01.contoso.local'; Stop-Service *",
  'sql01.contoso.local`;calc',
  'be01|calc',
  'be01&&calc',
  '${env:PATH}',
  '@(1,2)',
  '-Force',
  '%00',
  '\u0000',
  '\u202ebe01',
  'b\u0430ckend01',
  'x'.repeat(300),
  'a..b.local',
  '-sql=sql01.contoso.local',
  '--sql=',
  'C:\\Windows\\System32',
  '\\\\fileserver\\share',
  '<at>PatchBot</at>',
  '&lt;script&gt;',
  '<script>alert(1)</script>',
  '😀',
  '中文',
  'Ümlaut',
];

const WORDS = [
  ...COMMAND_NAMES,
  'UPDATE',
  '/update',
  'updte',
  'backend01',
  'be01',
  'lyncbe01',
  'standard',
  'enterprise',
  'Enterprise',
  'sql',
  '--sql',
  'sql01.contoso.local',
  'SQL01.Contoso.Local',
  'collocated',
  '#1',
  '#2',
  '1',
  '-1',
  '0',
  '999999999999',
  '#9007199254740993',
  'de-DE',
  'auto',
  'zz-ZZ',
];

const SEPARATORS = [' ', '  ', '\t', '\u00a0', '\u200b', '\n', ' &nbsp; '];

/** A name with one character replaced, inserted or upper-cased: near misses of valid names. */
function nearMiss(names: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...names),
      fc.nat(),
      fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
      fc.constantFrom('replace', 'insert', 'upper', 'keep'),
    )
    .map(([name, at, char, how]) => {
      const i = at % name.length;
      if (how === 'replace') return name.slice(0, i) + char + name.slice(i + 1);
      if (how === 'insert') return name.slice(0, i) + char + name.slice(i);
      if (how === 'upper') return name.toUpperCase();
      return name;
    });
}

/** `update <server> <edition> [sql <fqdn>] [collocated]` with valid, near-miss and hostile values. */
const updateCommand: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('update', 'plan', 'UPDATE', '/update'),
    fc.oneof(nearMiss(['backend01', 'be01', 'lyncbe01']), fc.constantFrom(...INJECTIONS)),
    fc.constantFrom('standard', 'enterprise', 'Enterprise', '--enterprise', 'std'),
    fc.option(
      fc.tuple(
        fc.constantFrom('sql', '--sql', '-SqlServerFqdn'),
        fc.oneof(
          nearMiss(['sql01.contoso.local', 'lyncsql01.contoso.local']),
          fc.domain(),
          fc.constantFrom(...INJECTIONS),
        ),
      ),
      { nil: undefined },
    ),
    fc.boolean(),
  )
  .map(([verb, server, edition, sql, collocated]) =>
    [verb, server, edition, ...(sql ? [sql[0], sql[1]] : []), ...(collocated ? ['collocated'] : [])].join(
      ' ',
    ),
  );

/** A chat message: command words, hostile tokens and random text, joined by odd white space. */
const tokenSoup: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
        { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
        { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
      ),
      { minLength: 0, maxLength: 7 },
    ),
    fc.constantFrom(...SEPARATORS),
    fc.boolean(),
  )
  .map(([tokens, separator, mention]) => `${mention ? '<at>PatchBot</at> ' : ''}${tokens.join(separator)}`);

export const hostileCommand: fc.Arbitrary<string> = fc.oneof(tokenSoup, updateCommand);

/** Any text at all, including lone surrogates and control characters. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ maxLength: 2000 }),
);

const bigString = fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'A'.repeat(n));

const weirdRunId = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt().map(String),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('1', '01', '1e0', ' 1', '-1', '0x1', '1.0', '#1', '', 'NaN', 'Infinity', '__proto__'),
  fc.constant(null),
  fc.constant(true),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  bigString,
);

/** undefined nine times in ten. */
function rarely<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
}

export interface CardActionCase {
  /** Where the click comes from. */
  conversation: 'thread' | 'group' | 'personal';
  verb: unknown;
  data: unknown;
  from: string;
  /** The invoke's value, replaced wholesale (malformed invokes). */
  value?: unknown;
  /** The invoke's name, when it is not adaptiveCard/action. */
  name?: string;
}

/** Card button presses with the payload Teams would never send: wrong shapes, types, sizes. */
export function cardActionCases(runIds: readonly number[]): fc.Arbitrary<CardActionCase> {
  const someRunId = fc.oneof(fc.constantFrom(...runIds), weirdRunId);
  const data = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          runId: someRunId,
          checked: fc.oneof(fc.constantFrom('true', 'false', true, 1, 'yes'), fc.jsonValue()),
          reason: fc.oneof(fc.string(), bigString),
          stepId: fc.oneof(fc.string(), fc.integer()),
          attempt: fc.oneof(fc.integer(), fc.string()),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 2, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.record(
    {
      conversation: fc.constantFrom('thread' as const, 'group' as const, 'personal' as const),
      verb: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...ALL_VERBS) },
        { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.jsonValue() },
        { weight: 1, arbitrary: bigString },
      ),
      data,
      from: fc.constantFrom('Alex', 'Bea', 'Chen', 'Dana', 'Eli', 'Fay'),
      value: rarely(fc.jsonValue()),
      name: rarely(
        fc.constantFrom(
          'adaptiveCard/other',
          'task/fetch',
          'composeExtension/query',
          'signin/verifyState',
          '',
        ),
      ),
    },
    { requiredKeys: ['conversation', 'verb', 'data', 'from'] },
  );
}

/** A valid message activity with one field removed, retyped or blown up, or no activity at all. */
export function malformedActivity(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const fields = Object.keys(valid);
  // Never a host name: a lookup could take seconds. Unreachable but valid URLs are one fixed case.
  const safeServiceUrl = fc.constantFrom(
    undefined,
    null,
    123,
    '',
    'not a url',
    'file:///etc/passwd',
    'javascript:alert(1)',
    ['http://x'],
  );
  const mutated = fc
    .tuple(
      fc.constantFrom(...fields),
      fc.oneof(fc.jsonValue(), fc.constant(undefined), bigString),
      safeServiceUrl,
      fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    )
    .map(([field, value, serviceUrl, breakServiceUrl]) => {
      const copy: Record<string, unknown> = { ...valid };
      if (field === 'serviceUrl') copy.serviceUrl = serviceUrl;
      else if (value === undefined) delete copy[field];
      else copy[field] = value;
      if (breakServiceUrl && field !== 'serviceUrl') copy.serviceUrl = serviceUrl;
      return copy;
    });
  const nested = fc
    .tuple(fc.constantFrom('from', 'conversation', 'recipient', 'channelData', 'entities'), fc.jsonValue())
    .map(([field, value]) => ({
      ...valid,
      [field]: { ...(valid[field] as object), id: value, tenant: value },
    }));
  return fc.oneof(
    { weight: 5, arbitrary: mutated },
    { weight: 2, arbitrary: nested },
    { weight: 2, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.record({ type: fc.oneof(fc.string(), fc.jsonValue()) }) },
  );
}

/** Raw bodies no JSON parser should accept, or bytes that are not UTF-8. */
export const rawBodies: fc.Arbitrary<Uint8Array | string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom('{', '{"type":', '[]', 'null', '"message"', '{"type":"message","text":"\\ud800"}'),
  fc
    .uint8Array({ minLength: 1, maxLength: 20 })
    .map(
      (bytes) =>
        new Uint8Array([
          ...Buffer.from('{"type":"message","text":"'),
          0xc3,
          0x28,
          0xff,
          ...bytes,
          ...Buffer.from('"}'),
        ]),
    ),
);

/** Runner API bodies: any JSON, and valid shapes with one field spoiled. */
export function runnerBodies(
  validResult: StepResult,
  validBeat: Record<string, unknown>,
): fc.Arbitrary<{ path: 'results' | 'heartbeat' | 'poll'; body: unknown }> {
  const spoil = (valid: Record<string, unknown>) =>
    fc
      .tuple(
        fc.constantFrom(...Object.keys(valid)),
        fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constantFrom(...INJECTIONS)),
      )
      .map(([field, value]) => {
        const copy: Record<string, unknown> = { ...valid };
        if (value === undefined) delete copy[field];
        else copy[field] = value;
        return copy;
      });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: spoil({ ...validResult }).map((r) => ({ path: 'results' as const, body: { results: [r] } })),
    },
    { weight: 2, arbitrary: spoil(validBeat).map((b) => ({ path: 'heartbeat' as const, body: b })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('results' as const, 'heartbeat' as const, 'poll' as const), fc.jsonValue())
        .map(([path, body]) => ({ path, body })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.integer({ min: -5, max: 5 }), fc.string(), fc.constant(null))
        .map((waitMs) => ({ path: 'poll' as const, body: { waitMs } })),
    },
  );
}
