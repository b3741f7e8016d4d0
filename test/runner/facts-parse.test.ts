import { describe, expect, it } from 'vitest';
import { parseFactsOutput } from '../../src/runner/facts.js';

const READ_AT = new Date('2026-12-04T17:00:00Z');
const line = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    productName: 'SkypeForBusiness',
    installedVersion: '7.0.2046.520',
    components: [{ name: 'Skype for Business Server 2019, Core Components', version: '7.0.2046.520' }],
    edition: 'standard',
    poolFqdn: 'backend01.contoso.local',
    sqlServerFqdn: null,
    collocatedStores: false,
    mirrored: false,
    pendingRestart: false,
    freeSpaceGb: 12.3,
    powershellVersion: '5.1',
    csServiceCount: 9,
    ...fields,
  });

describe('parseFactsOutput (the one JSON line of Get-PatchBotServerFacts)', () => {
  it('fills product and readAt itself and keeps the rest', () => {
    const parsed = parseFactsOutput(`${line()}\n`, 'sfb2019', READ_AT);
    expect(parsed.ok && parsed.value).toMatchObject({
      product: 'sfb2019',
      readAt: '2026-12-04T17:00:00.000Z',
      installedVersion: '7.0.2046.520',
      csServiceCount: 9,
    });
    expect(parsed.ok && 'productName' in parsed.value).toBe(false);
  });

  it('takes a single component written as an object (Windows PowerShell ConvertTo-Json)', () => {
    const parsed = parseFactsOutput(
      line({ components: { name: 'Core', version: '7.0.2046.520' } }),
      'sfb2019',
      READ_AT,
    );
    expect(parsed.ok && parsed.value.components).toEqual([{ name: 'Core', version: '7.0.2046.520' }]);
  });

  it('ignores other output lines around the JSON line', () => {
    expect(parseFactsOutput(`WARNING: slow CMS\n${line()}\ndone`, 'sfb2019', READ_AT).ok).toBe(true);
  });

  it.each([
    ['no JSON line', 'nothing here', /expected one JSON line of facts, got 0/],
    ['two JSON lines', `${line()}\n${line()}`, /got 2/],
    ['broken JSON', '{"productName": ', /not valid JSON/],
    ['another product', line({ productName: 'Lync2013' }), /for product "Lync2013"/],
    ['a product field of its own', line({ product: 'sfb2019' }), /unexpected field "product"/],
    ['an unknown field', line({ extra: 1 }), /unexpected field "extra"/],
    ['a bad value', line({ csServiceCount: -1 }), /csServiceCount/],
  ])('refuses %s and says why', (_name, stdout, why) => {
    const parsed = parseFactsOutput(stdout, 'sfb2019', READ_AT);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe('facts-malformed');
      expect(parsed.error.message).toMatch(why);
    }
  });
});
