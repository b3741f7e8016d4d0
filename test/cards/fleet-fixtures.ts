import type { RunnerStatus } from '../../src/cards/index.js';
import type { ServerFacts } from '../../src/procedure/index.js';
import type { CatalogPackage, PackageChange } from '../../src/store/package-catalog.js';
import type { Decision } from '../../src/store/types.js';
import { ALICE, at, BOB, PROFILE, SHA256 } from './fixtures.js';

/** What a Standard Edition SfB 2019 server reports (Get-PatchBotServerFacts). */
export const FACTS: ServerFacts = {
  readAt: at(18),
  product: 'sfb2019',
  installedVersion: '7.0.2046.385',
  components: [{ name: 'Skype for Business Server 2019, Core Components', version: '7.0.2046.385' }],
  edition: 'standard',
  poolFqdn: 'backend01.contoso.local',
  sqlServerFqdn: null,
  collocatedStores: null,
  mirrored: null,
  pendingRestart: false,
  freeSpaceGb: 41.5,
  powershellVersion: '5.1',
  csServiceCount: 12,
};

export const ENTERPRISE_FACTS: ServerFacts = {
  ...FACTS,
  product: 'lync2013',
  installedVersion: '5.0.8308.1182',
  edition: 'enterprise',
  poolFqdn: 'pool01.contoso.local',
  sqlServerFqdn: 'sql01.contoso.local',
  collocatedStores: true,
  mirrored: false,
  pendingRestart: null,
};

const { package: _unused, ...REPORTED } = PROFILE;
void _unused;

/** Runners as the store gives them: catalog-driven (no override), one with facts on each edition, one silent. */
export const RUNNERS_WITH_FACTS: (RunnerStatus & { facts?: ServerFacts | null })[] = [
  {
    server: 'backend01',
    info: { runnerId: 'r-backend01', version: '0.1.0', profile: REPORTED },
    lastSeenAt: at(19),
    facts: FACTS,
  },
  {
    server: 'lyncbe01',
    info: {
      runnerId: 'r-lyncbe01',
      version: '0.1.0',
      profile: { ...REPORTED, server: 'lyncbe01', product: 'lync2013' },
    },
    lastSeenAt: at(2),
    facts: ENTERPRISE_FACTS,
  },
  { server: 'newbe01', info: null, lastSeenAt: null },
];

export const CATALOG: CatalogPackage[] = [
  {
    product: 'sfb2019',
    version: '7.0.2046.530',
    source: 'https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe',
    fileName: 'SkypeServerUpdateInstaller.exe',
    sha256: SHA256,
    addedAt: at(-600),
    addedBy: ALICE,
  },
  {
    product: 'sfb2019',
    version: '7.0.2046.385',
    source: 'https://files.contoso.local/cu/old/SkypeServerUpdateInstaller.exe',
    fileName: 'SkypeServerUpdateInstaller.exe',
    sha256: 'AB'.repeat(32),
    addedAt: at(-6000),
    addedBy: ALICE,
  },
  {
    product: 'lync2013',
    version: '5.0.8308.1182',
    source: '\\\\fs01\\patches\\lync\\LyncServerUpdateInstaller.exe',
    fileName: 'LyncServerUpdateInstaller.exe',
    sha256: 'CD'.repeat(32),
    addedAt: at(-6000),
    addedBy: BOB,
  },
];

export const APPROVAL: Decision = { by: BOB, decision: 'approved', at: at(3) };

export const PACKAGE_CHANGE: PackageChange = {
  id: 3,
  action: 'add',
  product: 'sfb2015',
  version: '6.0.9319.619',
  entry: {
    source: 'https://files.contoso.local/cu/sfb2015/SkypeServerUpdateInstaller.exe',
    fileName: 'SkypeServerUpdateInstaller.exe',
    sha256: 'EF'.repeat(32),
    version: '6.0.9319.619',
  },
  proposedBy: ALICE,
  proposedAt: at(0),
  conversationId: '19:patching@thread.tacv2',
  locale: 'en-US',
  approvalsRequired: 1,
  decisions: [],
  expiresAt: at(60),
  status: 'awaiting-approval',
  cardActivityId: null,
};
