import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS, normalizeText, parseCommand, type UpdateCommand } from '../../src/commands/index.js';

const update = (over: Partial<UpdateCommand> = {}): UpdateCommand => ({
  name: 'update',
  server: 'backend01',
  edition: 'standard',
  sqlServerFqdn: null,
  collocated: false,
  graceful: false,
  force: false,
  missing: [],
  ...over,
});

const GOOD: [string, unknown][] = [
  ['update backend01 standard', update()],
  ['  UPDATE   Backend01   Standard  ', update()],
  ['<at>PatchBot</at> update backend01 standard', update()],
  ['<at>Patch Bot</at>&nbsp;update backend01 standard<br>', update()],
  ['patch backend01 standard', update()],
  [
    'update be01 enterprise sql sql01.contoso.local',
    update({ server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' }),
  ],
  [
    'update be01 enterprise --sql sql01.contoso.local',
    update({ server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' }),
  ],
  [
    'update be01 enterprise --sql=SQL01.contoso.local --collocated',
    update({ server: 'be01', edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local', collocated: true }),
  ],
  [
    'update lyncbe01 enterprise collocated sql sql01.contoso.local',
    update({
      server: 'lyncbe01',
      edition: 'enterprise',
      sqlServerFqdn: 'sql01.contoso.local',
      collocated: true,
    }),
  ],
  ['update be01 enterprise', update({ server: 'be01', edition: 'enterprise', missing: ['sql'] })],
  ['update backend01', update({ edition: null, missing: ['edition'] })],
  ['update', update({ server: null, edition: null, missing: ['server', 'edition'] })],
  ['plan backend01 standard', update({ name: 'plan' })],
  ['preview backend01 standard', update({ name: 'plan' })],
  ['status', { name: 'status', target: { kind: 'all' } }],
  ['status backend01', { name: 'status', target: { kind: 'server', server: 'backend01' } }],
  ['status #12', { name: 'status', target: { kind: 'run', runId: 12 } }],
  ['status 12', { name: 'status', target: { kind: 'run', runId: 12 } }],
  ['cancel #7', { name: 'cancel', runId: 7 }],
  ['cancel run-7', { name: 'cancel', runId: 7 }],
  ['history', { name: 'history', server: null }],
  ['history lyncbe01', { name: 'history', server: 'lyncbe01' }],
  ['runners', { name: 'runners' }],
  ['help', { name: 'help', topic: null }],
  ['help patch', { name: 'help', topic: 'update' }],
  ['?', { name: 'help', topic: null }],
  ['language de-DE', { name: 'language', locale: 'de-DE' }],
  ['language', { name: 'language', locale: null }],
  ['/status', { name: 'status', target: { kind: 'all' } }],
  // Issue 14: edition optional (taken from the server's facts), graceful and force.
  ['update backend01 graceful', update({ edition: null, graceful: true, missing: ['edition'] })],
  ['update backend01 standard force', update({ force: true })],
  [
    'update backend01 --force --graceful',
    update({ edition: null, graceful: true, force: true, missing: ['edition'] }),
  ],
  [
    'plan be01 enterprise sql sql01.contoso.local collocated graceful',
    update({
      name: 'plan',
      server: 'be01',
      edition: 'enterprise',
      sqlServerFqdn: 'sql01.contoso.local',
      collocated: true,
      graceful: true,
    }),
  ],
  [
    'update be01 sql sql01.contoso.local',
    update({ server: 'be01', edition: null, sqlServerFqdn: 'sql01.contoso.local', missing: ['edition'] }),
  ],
  ['check backend01', { name: 'check', server: 'backend01' }],
  ['check BE01.contoso.local', { name: 'check', server: 'be01.contoso.local' }],
  ['ready backend01', { name: 'check', server: 'backend01' }],
  ['versions', { name: 'versions' }],
  ['fleet', { name: 'versions' }],
  ['packages', { name: 'packages' }],
  ['package', { name: 'packages' }],
  ['package list', { name: 'packages' }],
  [
    'package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe sha256 abababababababababababababababababababababababababababababababab',
    {
      name: 'package',
      action: 'add',
      entry: {
        product: 'sfb2019',
        version: '7.0.2046.530',
        source: 'https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe',
        fileName: 'SkypeServerUpdateInstaller.exe',
        sha256: 'ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
      },
    },
  ],
  [
    'package add LYNC2013 5.0.8308.1001 \\\\fs01\\patches\\lync\\LyncServerUpdateInstaller.exe --sha256=ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    {
      name: 'package',
      action: 'add',
      entry: {
        product: 'lync2013',
        version: '5.0.8308.1001',
        source: '\\\\fs01\\patches\\lync\\LyncServerUpdateInstaller.exe',
        fileName: 'LyncServerUpdateInstaller.exe',
        sha256: 'ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
      },
    },
  ],
  [
    'pkg add sfbse sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB 7.0.2046.530 https://files.contoso.local/se/cu.zip',
    {
      name: 'package',
      action: 'add',
      entry: {
        product: 'sfbse',
        version: '7.0.2046.530',
        source: 'https://files.contoso.local/se/cu.zip',
        fileName: 'cu.zip',
        sha256: 'ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
      },
    },
  ],
  [
    'package remove sfb2019 7.0.2046.530',
    { name: 'package', action: 'remove', product: 'sfb2019', version: '7.0.2046.530' },
  ],
  [
    'package rm sfb2015 6.0.9319.619',
    { name: 'package', action: 'remove', product: 'sfb2015', version: '6.0.9319.619' },
  ],
];

const BAD: [string, string, string?][] = [
  ['', 'empty'],
  ['<at>PatchBot</at>', 'empty'],
  ['updte backend01 standard', 'unknown-command', 'update'],
  ['stauts', 'unknown-command', 'status'],
  ['reboot backend01', 'unknown-command'],
  ['update backend01 standrd', 'unknown-edition', 'standard'],
  ['update backend01 enterprize sql sql01.contoso.local', 'unknown-edition', 'enterprise'],
  ['update backend01 standard extra', 'unexpected-argument'],
  ['update backend01 standard collocated', 'collocated-on-standard'],
  ['update backend01 standard sql sql01.contoso.local', 'sql-on-standard'],
  ['update be01 enterprise sql', 'missing-sql-value'],
  ['update be01 enterprise sql sql01', 'invalid-sql-fqdn'],
  ['update be01;calc standard', 'invalid-server'],
  ['update $(Stop-Computer) standard', 'invalid-server'],
  ["update be01 enterprise sql 'sql01.contoso.local'", 'invalid-sql-fqdn'],
  ['cancel', 'missing-run-id'],
  ['cancel backend01', 'invalid-run-id'],
  ['cancel #0', 'invalid-run-id'],
  ['status be01 extra', 'unexpected-argument'],
  ['runners now', 'unexpected-argument'],
  ['language de DE', 'unexpected-argument'],
  ['language d€', 'invalid-locale'],
  ['help reboot', 'unknown-command'],
  ['update backend01 forse', 'unexpected-argument', 'force'],
  ['update backend01 gracefull', 'unexpected-argument', 'graceful'],
  ['check', 'check-missing-server'],
  ['check be01 be02', 'unexpected-argument'],
  ['check be01;calc', 'invalid-server'],
  ['versions all', 'unexpected-argument'],
  ['packages sfb2019', 'unexpected-argument'],
  ['package list sfb2019', 'unexpected-argument'],
  ['package ad sfb2019', 'package-unknown-action', 'add'],
  ['package install sfb2019', 'package-unknown-action'],
  ['package add', 'package-missing-argument'],
  ['package add sfb2019', 'package-missing-argument'],
  ['package add sfb2019 7.0.2046.530', 'package-missing-argument'],
  ['package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/x.exe', 'package-missing-argument'],
  [
    'package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/x.exe sha256',
    'package-missing-argument',
  ],
  [
    'package add sfb219 7.0.2046.530 https://files.contoso.local/cu/x.exe sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'package-invalid-product',
    'sfb2019',
  ],
  [
    'package add sfb2019 latest https://files.contoso.local/cu/x.exe sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'invalid-version',
  ],
  [
    'package add sfb2019 7.0.2046.530 http://files.contoso.local/cu/x.exe sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'invalid-package-source',
  ],
  [
    'package add sfb2019 7.0.2046.530 C:\\cu\\x.exe sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'invalid-package-source',
  ],
  [
    'package add sfb2019 7.0.2046.530 https://files.contoso.local/../x.exe sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'invalid-package-source',
  ],
  [
    'package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/readme.txt sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'invalid-file-name',
  ],
  ['package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/x.exe sha256 abc', 'invalid-sha256'],
  [
    'package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/x.exe sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'unexpected-argument',
  ],
  [
    'package add sfb2019 7.0.2046.530 https://files.contoso.local/cu/x.exe extra sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB',
    'unexpected-argument',
  ],
  ['package remove', 'package-missing-argument'],
  ['package remove sfb2019', 'package-missing-argument'],
  ['package remove sfb2019 7.0.2046.530 now', 'unexpected-argument'],
  ['package remove skype 7.0.2046.530', 'package-invalid-product'],
  ['x'.repeat(1001), 'too-long'],
];

describe('parseCommand', () => {
  it.each(GOOD)('%j', (text, expected) => {
    const result = parseCommand(text);
    expect(result).toEqual({ ok: true, value: expected });
  });

  it.each(BAD)('%j -> %s', (text, code, suggestion) => {
    const result = parseCommand(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.message).not.toBe('');
    if (suggestion) {
      expect(result.error.params.suggestion).toBe(suggestion);
      expect(result.error.message).toContain(suggestion);
    }
  });

  it('strips Teams mention markup and folds white space', () => {
    expect(normalizeText('<at>PatchBot</at>\u00a0 status\n\t backend01 ')).toBe('status backend01');
  });

  it('every declared command and alias parses as that command', () => {
    for (const command of COMMANDS) {
      for (const word of [command.name, ...command.aliases]) {
        const result = parseCommand(word);
        const name = result.ok ? result.value.name : result.error.code;
        // Alone, `package` lists the catalog; `check` and `cancel` need their target.
        expect([
          command.name,
          command.name === 'package' ? 'packages' : '',
          'missing-run-id',
          'check-missing-server',
        ]).toContain(name);
      }
    }
  });

  it('every example in the declarations parses', () => {
    for (const command of COMMANDS) {
      const result = parseCommand(command.example);
      expect(result.ok, command.example).toBe(true);
    }
  });

  it('never throws, whatever the text (property)', () => {
    const words = fc.constantFrom(
      'update',
      'plan',
      'status',
      'cancel',
      'sql',
      '--sql',
      'collocated',
      'standard',
      'enterprise',
      'graceful',
      'force',
      'check',
      'versions',
      'package',
      'add',
      'remove',
      'sfb2019',
      'sha256',
      '7.0.2046.530',
      'https://x.contoso.local/a.exe',
      '#3',
      '<at>x</at>',
      ';',
      '$',
      '`',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(words).map((w) => w.join(' ')),
          fc.string({ unit: 'binary' }),
        ),
        (text) => {
          const result = parseCommand(text);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 5000, seed: 1 },
    );
  });

  it('never yields a server or SQL name with metacharacters (property)', () => {
    const nasty = fc.stringMatching(/^[a-z0-9.;$`'"|&(){}\- ]{1,30}$/);
    fc.assert(
      fc.property(nasty, nasty, (server, sql) => {
        const result = parseCommand(`update ${server} enterprise sql ${sql}`);
        if (result.ok && result.value.name === 'update') {
          for (const value of [result.value.server, result.value.sqlServerFqdn]) {
            if (value !== null) expect(value).toMatch(/^[a-z0-9.-]+$/);
          }
        }
      }),
      { numRuns: 3000, seed: 3 },
    );
  });

  it('never yields a package entry the runner validators would refuse (property)', () => {
    const nasty = fc.stringMatching(/^[A-Za-z0-9.;$`'"|&(){}\\/:%?=+ -]{1,40}$/);
    fc.assert(
      fc.property(nasty, nasty, (version, source) => {
        const result = parseCommand(`package add sfb2019 ${version} ${source} sha256 ${'0'.repeat(64)}`);
        if (result.ok && result.value.name === 'package' && result.value.action === 'add') {
          const { entry } = result.value;
          expect(entry.version).toMatch(/^\d+(?:\.\d+)+$/);
          expect(entry.source).toMatch(/^(?:https:\/\/|\\\\)/);
          expect(entry.source).not.toContain('..');
          expect(entry.fileName).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:exe|zip)$/i);
        }
      }),
      { numRuns: 3000, seed: 5 },
    );
  });
});
