import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/index.js';
import { createTranslator, describeError, SUPPORTED_LOCALES } from '../../src/i18n/index.js';
import {
  planUpdate,
  validateHostName,
  type DomainError,
  type Result,
  type ServerProfile,
} from '../../src/procedure/index.js';
import { PROFILE } from '../cards/fixtures.js';
import { ERROR_CODES } from './error-codes.js';

function errorOf(result: Result<unknown>): DomainError {
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

const bad = (overrides: Partial<ServerProfile>) =>
  errorOf(planUpdate({ server: 'backend01', edition: 'standard' }, { ...PROFILE, ...overrides }));

/** Real errors from the parser and the planner, one or more per code. */
const REAL_ERRORS: DomainError[] = [
  errorOf(parseCommand('update bad_name standard')),
  errorOf(parseCommand('update backend01 enterprise sql sql01')),
  errorOf(parseCommand('update backend01 enterprise sql sql01..contoso.local')),
  bad({ package: { ...PROFILE.package, sha256: 'xyz' } }),
  bad({ package: { ...PROFILE.package, version: 'v7' } }),
  bad({ package: { ...PROFILE.package, fileName: '..\\evil.exe' } }),
  bad({ stagingDir: 'staging' }),
  bad({ package: { ...PROFILE.package, source: 'ftp://x/y' } }),
  bad({ product: 'ocs2007' as never }),
  bad({ edition: 'premium' as never }),
  bad({ minFreeGb: 0 }),
  errorOf(parseCommand('update backend01 standard collocated')),
  errorOf(parseCommand('update backend01 standard sql sql01.contoso.local')),
  errorOf(planUpdate({ server: 'backend01', edition: 'enterprise' }, PROFILE)),
  errorOf(planUpdate({ server: 'backend02', edition: 'standard' }, PROFILE)),
  errorOf(
    planUpdate(
      { server: 'backend01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
      { ...PROFILE, edition: 'standard' },
    ),
  ),
  errorOf(planUpdate({ server: 'backend01', edition: 'premium' as never }, PROFILE)),
  errorOf(parseCommand('   ')),
  errorOf(parseCommand('x'.repeat(1001))),
  errorOf(parseCommand('updte backend01')),
  errorOf(parseCommand('runners now')),
  errorOf(parseCommand('update backend01 standard sql')),
  errorOf(parseCommand('update backend01 enterprize')),
  errorOf(parseCommand('cancel')),
  errorOf(parseCommand('cancel twelve')),
  errorOf(parseCommand('language !!')),
  errorOf(parseCommand('check')),
  errorOf(parseCommand('package ad sfb2019')),
  errorOf(parseCommand('package add sfb2019 7.0.2046.530')),
  errorOf(parseCommand('package remove skype2019 7.0.2046.530')),
];

describe('describeError', () => {
  it('covers every error code the domain produces', () => {
    const codes = new Set(REAL_ERRORS.map((e) => e.code));
    expect(ERROR_CODES.filter((c) => !codes.has(c))).toEqual([]);
  });

  describe.each(SUPPORTED_LOCALES)('in %s', (locale) => {
    const t = createTranslator(locale);
    it.each(REAL_ERRORS.map((e) => [e.code, e] as const))('words %s with all its params', (_code, error) => {
      const text = describeError(t, error);
      expect(text).not.toMatch(/\berror\./);
      expect(text).not.toMatch(/\{[A-Za-z]+\}/);
      for (const [name, value] of Object.entries(error.params)) {
        const localized = name === 'reason' || (error.code === 'edition-mismatch' && name !== 'server');
        if (!localized) expect(text).toContain(value);
        else if (locale !== 'en-US') expect(text).not.toContain(value);
      }
    });
  });

  it('translates the host-name reason and adds the suggestion', () => {
    const reason = errorOf(validateHostName('sql01', 'sql'));
    expect(describeError(createTranslator('de-DE'), reason)).toBe(
      '„sql01“ ist kein gültiger FQDN für den SQL Server: er ist nicht voll qualifiziert (zum Beispiel sql01.contoso.local).',
    );
    const typo = errorOf(parseCommand('updte backend01'));
    expect(describeError(createTranslator('en-US'), typo)).toBe(
      'I don\'t know the command "updte". Type "help" to see what I can do. Did you mean "update"?',
    );
    expect(describeError(createTranslator('zh-CN'), typo)).toContain('你是想输入“update”吗？');
  });

  it("names editions in the reader's language", () => {
    const mismatch = errorOf(
      planUpdate(
        { server: 'backend01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' },
        { ...PROFILE, edition: 'standard' },
      ),
    );
    expect(describeError(createTranslator('es-ES'), mismatch)).toBe(
      'backend01 está registrado como Standard Edition, no como Enterprise Edition.',
    );
  });

  it('falls back to the English message for a code it does not know', () => {
    const unknown: DomainError = { code: 'brand-new', message: 'Something new went wrong.', params: {} };
    expect(describeError(createTranslator('de-DE'), unknown)).toBe('Something new went wrong.');
  });
});
