import { describe, expect, it } from 'vitest';
import { VERSIONS_CARD_ROWS } from '../../src/cards/fleet.js';
import {
  createViews,
  packageChangeCard,
  packagesCard,
  runnersCard,
  versionsCard,
} from '../../src/cards/index.js';
import { fleetRow } from '../../src/fleet/versions.js';
import { createTranslator } from '../../src/i18n/index.js';
import {
  APPROVAL,
  CATALOG,
  ENTERPRISE_FACTS,
  FACTS,
  PACKAGE_CHANGE,
  RUNNERS_WITH_FACTS,
} from './fleet-fixtures.js';
import { ALICE, BOB, nowAt, PROFILE } from './fixtures.js';
import { visibleText } from './validate-card.js';

const t = createTranslator('en-US');
const de = createTranslator('de-DE');

describe('versions card', () => {
  it('one row per server, sorted, with its standing, target and last run', () => {
    const rows = [
      fleetRow(RUNNERS_WITH_FACTS[1]!, CATALOG, null),
      fleetRow(RUNNERS_WITH_FACTS[0]!, CATALOG, {
        id: 7,
        server: 'backend01',
        status: 'succeeded',
        requestedAt: '2025-03-12T08:00:00.000Z',
        endedAt: '2025-03-12T09:00:00.000Z',
        downtimeStartedAt: '2025-03-12T08:40:00.000Z',
        downtimeEndedAt: '2025-03-12T08:52:00.000Z',
      }),
      fleetRow(RUNNERS_WITH_FACTS[2]!, CATALOG, null),
    ];
    const model = versionsCard(rows, t);
    expect(model.items.map((i) => [i.heading, i.status.text])).toEqual([
      ['backend01', 'Behind'],
      ['lyncbe01', 'Current'],
      ['newbe01', 'Unknown'],
    ]);
    expect(model.summary).toBe('3 runners registered · 1 behind');
    const backend = model.items[0]!.facts;
    expect(backend).toContainEqual({ title: 'Newest catalogued', value: '7.0.2046.530' });
    expect(backend).toContainEqual({
      title: 'Last run',
      value: '#7 Succeeded on Mar 12, 2025, 09:00 AM UTC',
    });
    expect(backend.find((f) => f.title === 'Downtime')?.value).toContain('12 min');
    expect(model.items[2]!.facts).toContainEqual({ title: 'Newest catalogued', value: 'nothing catalogued' });
  });

  it('marks a runner’s own package as such', () => {
    const withOverride = {
      ...RUNNERS_WITH_FACTS[0]!,
      info: { ...RUNNERS_WITH_FACTS[0]!.info!, profile: PROFILE },
    };
    const model = versionsCard([fleetRow(withOverride, CATALOG, null)], t);
    expect(model.items[0]!.facts).toContainEqual({
      title: 'Newest catalogued',
      value: `${PROFILE.package.version} (the runner's own package)`,
    });
  });
});

describe('packages card', () => {
  it('newest first per product, the newest marked, pending changes after them', () => {
    const model = packagesCard(CATALOG, [PACKAGE_CHANGE], t);
    expect(model.items.map((i) => [i.heading, i.status.text])).toEqual([
      ['Lync Server 2013 5.0.8308.1182', 'Newest'],
      ['Skype for Business Server 2019 7.0.2046.530', 'Newest'],
      ['Skype for Business Server 2019 7.0.2046.385', 'Older'],
      ['Skype for Business Server 2015 6.0.9319.619', 'Addition #3 waits for approval'],
    ]);
    expect(model.summary).toBe('3 packages');
    expect(packagesCard([], [], t).summary).toContain(
      'package add <product> <version> <source> sha256 <hex>',
    );
  });
});

describe('package change card', () => {
  it('shows approvals so far and the buttons only while open', () => {
    const open = packageChangeCard({ ...PACKAGE_CHANGE, approvalsRequired: 2, decisions: [APPROVAL] }, t);
    expect(open.showApproval).toBe(true);
    expect(open.facts).toContainEqual({ title: 'Approved by', value: 'Bob Approver (1/2)' });
    const applied = packageChangeCard({ ...PACKAGE_CHANGE, status: 'applied', decisions: [APPROVAL] }, t);
    expect([applied.showApproval, applied.status.text, applied.note, applied.refresh]).toEqual([
      false,
      'Done',
      '',
      null,
    ]);
  });

  it('never offers the proposer the buttons; with approvers named by Teams id only they see them', () => {
    const targeted = createViews({ approverIds: ['29:alice', '29:bob'] });
    const buttons = (viewer?: typeof ALICE) =>
      JSON.stringify(targeted.packageChange(PACKAGE_CHANGE, t, viewer).content).includes('package.approve');
    expect(buttons()).toBe(false);
    expect(buttons(ALICE)).toBe(false);
    expect(buttons(BOB)).toBe(true);
    expect(buttons({ id: '29:fay', name: 'Fay' })).toBe(false);
    const open = createViews({});
    expect(JSON.stringify(open.packageChange(PACKAGE_CHANGE, t).content)).toContain('package.approve');
  });
});

describe('runners card with server facts', () => {
  it('shows what each runner read, by edition, in the reader’s language', () => {
    const model = runnersCard(RUNNERS_WITH_FACTS, nowAt(20), t);
    const standard = model.items.find((i) => i.heading === 'backend01')!.facts;
    expect(standard).toEqual(
      expect.arrayContaining([
        { title: 'Installed version', value: FACTS.installedVersion },
        { title: 'Edition', value: expect.stringContaining('Standard') },
        { title: 'Pool', value: FACTS.poolFqdn },
        { title: 'Restart pending', value: 'no' },
        { title: 'Free space', value: '41.5 GB' },
        { title: 'PowerShell', value: '5.1' },
      ]),
    );
    expect(standard.map((f) => f.title)).not.toContain('SQL Server');
    const enterprise = model.items.find((i) => i.heading === 'lyncbe01')!.facts;
    expect(enterprise).toEqual(
      expect.arrayContaining([
        { title: 'SQL Server', value: ENTERPRISE_FACTS.sqlServerFqdn },
        { title: 'Collocated stores', value: 'yes' },
        { title: 'Mirrored databases', value: 'no' },
        { title: 'Restart pending', value: 'unknown' },
      ]),
    );
    expect(model.items.find((i) => i.heading === 'newbe01')!.facts).toContainEqual({
      title: 'Server facts',
      value: 'not reported yet',
    });
    const german = visibleText(
      createViews({}).runners(
        RUNNERS_WITH_FACTS.map((r) => ({ ...r, id: r.server, secret: '', createdAt: '' })),
        de,
      ).content,
    );
    expect(german).toContain('41,5 GB');
    expect(german).toContain('Neustart ausstehend');
  });
});

describe('versions card for a large fleet', () => {
  it('stays within a Teams card: those behind or unknown first, and says how many are shown', () => {
    const many = Array.from({ length: VERSIONS_CARD_ROWS + 25 }, (_, i) =>
      fleetRow(
        {
          ...RUNNERS_WITH_FACTS[0]!,
          server: `be${String(i).padStart(3, '0')}`,
          facts: { ...FACTS, installedVersion: i % 3 === 0 ? '7.0.2046.385' : '7.0.2046.530' },
        },
        CATALOG,
        null,
      ),
    );
    const model = versionsCard(many, t);
    expect(model.items).toHaveLength(VERSIONS_CARD_ROWS);
    const behind = many.filter((row) => row.standing === 'behind').map((row) => row.server);
    expect(model.items.map((i) => i.heading)).toEqual(expect.arrayContaining(behind));
    expect(model.summary).toBe(
      `${many.length} runners registered · ${behind.length} behind · showing ${VERSIONS_CARD_ROWS}: those behind or unknown first`,
    );
    const bytes = JSON.stringify(createViews({}).versions(many, t).content).length;
    expect(bytes).toBeLessThan(28_000);
  });
});
