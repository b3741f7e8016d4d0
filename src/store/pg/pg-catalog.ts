import type pg from 'pg';
import type { CatalogPackage, PackageChange } from '../package-catalog.js';
import { addedEntry, withChange } from '../package-catalog.js';
import { bumpCounter } from './load.js';
import type { Write } from './pg-outbox.js';
import { changeParams, packageParams } from './rows.js';

/**
 * The package catalog and the package changes waiting for approvals, held in memory and handed
 * out as copies. Changes run inside the store's mutations; memory changes once committed.
 */
export class PgCatalog {
  private entries: CatalogPackage[] = [];
  private pending: PackageChange[] = [];

  constructor(
    private readonly write: Write,
    private readonly now: () => Date,
  ) {}

  load(entries: CatalogPackage[], pending: PackageChange[]): void {
    this.entries = entries;
    this.pending = pending;
  }

  packages(): CatalogPackage[] {
    return this.entries.map((entry) => structuredClone(entry));
  }

  changes(): PackageChange[] {
    return this.pending.map((change) => structuredClone(change));
  }

  change(id: number): PackageChange | undefined {
    const change = this.pending.find((c) => c.id === id);
    return change && structuredClone(change);
  }

  /**
   * As the catalog file: a new change (id 0) gets the next id; a pending change is kept (at the
   * end of the list), a decided one dropped; an applied one changes the catalog in the same
   * transaction (an add replaces an entry of the same product and version, at the end of the
   * list; a removal drops it).
   */
  async save(change: PackageChange): Promise<PackageChange> {
    const saved = structuredClone(change);
    const added = addedEntry(saved, this.now().toISOString());
    await this.write(async (client) => {
      if (saved.id === 0) saved.id = await bumpCounter(client, 'lastPackageChangeId', 1);
      await saveRows(client, saved, added);
    });
    ({ packages: this.entries, changes: this.pending } = withChange(
      { packages: this.entries, changes: this.pending },
      saved,
      added,
    ));
    return structuredClone(saved);
  }
}

async function saveRows(client: pg.ClientBase, change: PackageChange, added: CatalogPackage | undefined) {
  await client.query('DELETE FROM package_changes WHERE id = $1', [change.id]);
  if (change.status === 'awaiting-approval')
    await client.query(
      'INSERT INTO package_changes (id, status, change) VALUES ($1, $2, $3::jsonb)',
      changeParams(change),
    );
  if (change.status !== 'applied') return;
  await client.query('DELETE FROM packages WHERE product = $1 AND version = $2', [
    change.product,
    change.version,
  ]);
  if (added)
    await client.query(
      'INSERT INTO packages (product, version, entry) VALUES ($1, $2, $3::jsonb)',
      packageParams(added),
    );
}
