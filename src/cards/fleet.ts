import type { DowntimePrediction } from '../fleet/downtime.js';
import type { FleetRow } from '../fleet/versions.js';
import { editionName, productName, type Translator } from '../i18n/index.js';
import { compareVersions, type ServerFacts } from '../procedure/index.js';
import type { CatalogPackage, PackageChange } from '../store/package-catalog.js';
import { downtimeSummary, personName, refreshModel, runStatusModel, type CardOptions } from './common.js';
import type {
  Fact,
  ListItemModel,
  PackageChangeCardModel,
  PackageItemModel,
  PackagesCardModel,
  StatusModel,
  VersionsCardModel,
} from './models.js';

/** "median 9 min, worst 14 min (from 5 runs)", or "no history yet". */
export function predictionText(t: Translator, prediction: DowntimePrediction | null): string {
  if (!prediction) return t.t('fleet.prediction.none');
  return t.plural('fleet.prediction', prediction.samples, {
    median: t.formatDuration(prediction.medianMs),
    worst: t.formatDuration(prediction.worstMs),
  });
}

const STANDING_LOOK: Readonly<Record<FleetRow['standing'], Omit<StatusModel, 'text'>>> = {
  behind: { icon: '⬆️', color: 'warning' },
  current: { icon: '✅', color: 'good' },
  ahead: { icon: '⏩', color: 'accent' },
  unknown: { icon: '❔', color: 'default' },
};

/**
 * Rows one versions card shows. A Teams card holds about 28 KB; each row is roughly 400 bytes,
 * so a larger fleet shows the servers that need attention first and says how many are left out.
 */
export const VERSIONS_CARD_ROWS = 40;

const STANDING_ORDER: Readonly<Record<FleetRow['standing'], number>> = {
  behind: 0,
  unknown: 1,
  ahead: 2,
  current: 3,
};

/** `versions`: every server with what it runs, what the catalog offers and its last run. */
export function versionsCard(
  rows: readonly FleetRow[],
  t: Translator,
  options: CardOptions = {},
): VersionsCardModel {
  const unknown = t.t('card.runners.unknown');
  const shown =
    rows.length <= VERSIONS_CARD_ROWS
      ? [...rows]
      : [...rows]
          .sort(
            (a, b) =>
              STANDING_ORDER[a.standing] - STANDING_ORDER[b.standing] || a.server.localeCompare(b.server),
          )
          .slice(0, VERSIONS_CARD_ROWS);
  const items = shown
    .sort((a, b) => a.server.localeCompare(b.server))
    .map((row): ListItemModel => {
      const target = row.target
        ? row.target.origin === 'runner-override'
          ? t.t('fleet.target.override', { version: row.target.version })
          : row.target.version
        : t.t('fleet.target.none');
      const facts: Fact[] = [
        { title: t.t('card.fact.product'), value: row.product ? productName(t, row.product) : unknown },
        { title: t.t('fleet.fact.installed'), value: row.installedVersion ?? unknown },
        { title: t.t('fleet.fact.newest'), value: target },
      ];
      if (row.lastRun) {
        const run = row.lastRun;
        const end = new Date(run.endedAt ?? run.requestedAt);
        facts.push({
          title: t.t('fleet.fact.last-run'),
          value: t.t('fleet.last-run', {
            id: run.id,
            status: runStatusModel(t, run.status).text,
            time: t.formatDateTime(run.endedAt ?? run.requestedAt, options.timeZone),
          }),
        });
        facts.push({ title: t.t('card.fact.downtime'), value: downtimeSummary(run, end, t) });
      } else {
        facts.push({ title: t.t('fleet.fact.last-run'), value: t.t('fleet.last-run.none') });
      }
      return {
        heading: row.server,
        status: { ...STANDING_LOOK[row.standing], text: t.t(`fleet.standing.${row.standing}`) },
        facts,
      };
    });
  const behind = rows.filter((row) => row.standing === 'behind').length;
  return {
    lang: t.locale,
    title: t.t('fleet.versions.title'),
    summary:
      items.length === 0
        ? t.t('runners.none')
        : [
            t.plural('card.runners.count', rows.length),
            t.plural('fleet.behind', behind),
            ...(rows.length > items.length ? [t.t('fleet.versions.more', { shown: items.length })] : []),
          ].join(' · '),
    items,
  };
}

/** `packages`: the catalog, newest first per product, and the changes waiting for approval. */
export function packagesCard(
  packages: readonly CatalogPackage[],
  pending: readonly PackageChange[],
  t: Translator,
  options: CardOptions = {},
): PackagesCardModel {
  const sorted = [...packages].sort(
    (a, b) => a.product.localeCompare(b.product) || compareVersions(b.version, a.version),
  );
  const items = sorted.map((entry, index): PackageItemModel => {
    const newest = sorted.findIndex((other) => other.product === entry.product) === index;
    return {
      heading: `${productName(t, entry.product)} ${entry.version}`,
      status: newest
        ? { icon: '⭐', color: 'good', text: t.t('fleet.package.newest') }
        : { icon: '📦', color: 'default', text: t.t('fleet.package.older') },
      facts: packageFacts(t, entry, entry.product),
      details: packageDetails(t, entry),
    };
  });
  for (const change of pending) {
    items.push({
      heading: `${productName(t, change.product)} ${change.version}`,
      status: {
        icon: '⏳',
        color: 'warning',
        text: t.t(`fleet.change.pending.${change.action}`, { id: change.id }),
      },
      details: change.entry ? packageDetails(t, change.entry) : [],
      facts: [
        ...(change.entry ? packageFacts(t, change.entry, change.product) : []),
        {
          title: t.t('fleet.fact.proposed-by'),
          value: t.t('card.person-time', {
            name: personName(change.proposedBy),
            time: t.formatDateTime(change.proposedAt, options.timeZone),
          }),
        },
      ],
    });
  }
  return {
    lang: t.locale,
    title: t.t('fleet.packages.title'),
    summary:
      packages.length > 0 ? t.plural('fleet.packages.count', packages.length) : t.t('fleet.packages.none'),
    items,
  };
}

/** Source and hash in full (a FactSet would cut them): what an admin compares with the vendor's. */
function packageDetails(t: Translator, entry: { source: string; sha256: string }): Fact[] {
  return [
    { title: t.t('fleet.fact.source'), value: entry.source },
    { title: 'SHA-256', value: entry.sha256 },
  ];
}

function packageFacts(
  t: Translator,
  entry: { fileName: string; source: string; sha256: string; version: string } & Partial<CatalogPackage>,
  product: CatalogPackage['product'],
): Fact[] {
  const facts: Fact[] = [
    { title: t.t('card.fact.product'), value: product },
    { title: t.t('fleet.fact.file'), value: entry.fileName },
  ];
  if (entry.addedBy && entry.addedAt)
    facts.push({
      title: t.t('fleet.fact.added-by'),
      value: t.t('card.person-time', {
        name: personName(entry.addedBy),
        time: t.formatDateTime(entry.addedAt),
      }),
    });
  return facts;
}

const CHANGE_LOOK: Readonly<Record<PackageChange['status'], Omit<StatusModel, 'text'>>> = {
  'awaiting-approval': { icon: '⏳', color: 'warning' },
  applied: { icon: '✅', color: 'good' },
  rejected: { icon: '⛔', color: 'attention' },
  expired: { icon: '⌛', color: 'default' },
};

export interface PackageChangeCardOptions extends CardOptions {
  /** Show Approve / Reject (the viewer may decide, or the card is the shared one). */
  showApproval?: boolean;
  refreshUserIds?: readonly string[] | undefined;
}

/** One proposed catalog change: what, who proposed it, approvals so far, Approve / Reject. */
export function packageChangeCard(
  change: PackageChange,
  t: Translator,
  options: PackageChangeCardOptions = {},
): PackageChangeCardModel {
  const approved = change.decisions.filter((d) => d.decision === 'approved');
  const rejected = change.decisions.find((d) => d.decision === 'rejected');
  const facts: Fact[] = [
    ...(change.entry ? packageFacts(t, change.entry, change.product) : []),
    {
      title: t.t('fleet.fact.proposed-by'),
      value: t.t('card.person-time', {
        name: personName(change.proposedBy),
        time: t.formatDateTime(change.proposedAt, options.timeZone),
      }),
    },
    {
      title: t.t('card.fact.approved-by'),
      value:
        approved.length > 0
          ? `${t.formatList(approved.map((d) => personName(d.by)))} (${approved.length}/${change.approvalsRequired})`
          : `0/${change.approvalsRequired}`,
    },
  ];
  if (rejected) facts.push({ title: t.t('fleet.fact.rejected-by'), value: personName(rejected.by) });
  const open = change.status === 'awaiting-approval';
  return {
    lang: t.locale,
    title: t.t(`fleet.change.title.${change.action}`, {
      id: change.id,
      product: productName(t, change.product),
      version: change.version,
    }),
    status: { ...CHANGE_LOOK[change.status], text: t.t(`fleet.change.status.${change.status}`) },
    note: open
      ? t.t('fleet.change.note', { expires: t.formatDateTime(change.expiresAt, options.timeZone) })
      : '',
    facts,
    details: change.entry ? packageDetails(t, change.entry) : [],
    changeId: change.id,
    showApproval: open && (options.showApproval ?? true),
    labels: { approve: t.t('fleet.change.approve'), reject: t.t('fleet.change.reject') },
    refresh: open ? refreshModel(options.refreshUserIds) : null,
  };
}

/** The runner card's lines for what the runner read on its server. */
export function factsLines(
  t: Translator,
  facts: ServerFacts | null | undefined,
  options: CardOptions = {},
): Fact[] {
  if (!facts) return [{ title: t.t('fleet.fact.server-facts'), value: t.t('card.runners.unknown') }];
  const unknown = t.t('fleet.unknown');
  const yesNo = (value: boolean | null) => (value === null ? unknown : t.t(value ? 'fleet.yes' : 'fleet.no'));
  const lines: Fact[] = [
    { title: t.t('fleet.fact.installed'), value: facts.installedVersion ?? unknown },
    { title: t.t('card.fact.edition'), value: facts.edition ? editionName(t, facts.edition) : unknown },
    { title: t.t('fleet.fact.pool'), value: facts.poolFqdn ?? unknown },
  ];
  if (facts.edition !== 'standard') {
    lines.push(
      { title: t.t('card.fact.sql'), value: facts.sqlServerFqdn ?? unknown },
      { title: t.t('fleet.fact.collocated'), value: yesNo(facts.collocatedStores) },
      { title: t.t('fleet.fact.mirrored'), value: yesNo(facts.mirrored) },
    );
  }
  lines.push(
    { title: t.t('fleet.fact.pending-restart'), value: yesNo(facts.pendingRestart) },
    {
      title: t.t('fleet.fact.free-space'),
      value:
        facts.freeSpaceGb === null
          ? unknown
          : `${new Intl.NumberFormat(t.locale, { maximumFractionDigits: 1 }).format(facts.freeSpaceGb)} GB`,
    },
    { title: t.t('fleet.fact.powershell'), value: facts.powershellVersion ?? unknown },
    { title: t.t('fleet.fact.read-at'), value: t.formatDateTime(facts.readAt, options.timeZone) },
  );
  return lines;
}
