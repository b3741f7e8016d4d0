import path from 'node:path';
import { Low } from 'lowdb';
import type { ProductFamily, UpdatePackage } from '../procedure/index.js';
import { PrivateJsonFile } from './server-history.js';
import { StoreCorruptError, StoreWriteError } from './store.js';
import type { Decision, Person } from './types.js';

/** One update package the bot offers for a product; (product, version) is its key. */
export interface CatalogPackage extends UpdatePackage {
  product: ProductFamily;
  addedAt: string;
  addedBy: Person;
}

export type PackageChangeStatus = 'awaiting-approval' | 'applied' | 'rejected' | 'expired';

/**
 * A proposed `package add` / `package remove` waiting for approvals. Kept on disk (an approval
 * held only in memory would be lost on restart and its buttons would stay clickable), and
 * dropped from the file once decided: the audit log keeps the story, the card shows the end.
 */
export interface PackageChange {
  id: number;
  action: 'add' | 'remove';
  product: ProductFamily;
  version: string;
  /** add: the package to add; remove: the entry as it was when the removal was proposed. */
  entry: UpdatePackage | null;
  proposedBy: Person;
  proposedAt: string;
  conversationId: string;
  locale: string;
  approvalsRequired: number;
  decisions: Decision[];
  expiresAt: string;
  status: PackageChangeStatus;
  cardActivityId: string | null;
}

/** The catalog file: flat lists, small, rewritten whole on each (rare) change. */
export interface CatalogState {
  version: 1;
  lastChangeId: number;
  packages: CatalogPackage[];
  changes: PackageChange[];
}

const empty = (): CatalogState => ({ version: 1, lastChangeId: 0, packages: [], changes: [] });

export const packageKey = (product: string, version: string): string => `${product}@${version}`;

/** The entry an applied `add` puts in the catalog, stamped `at`; undefined for any other change. */
export function addedEntry(change: PackageChange, at: string): CatalogPackage | undefined {
  if (change.status !== 'applied' || change.action !== 'add' || !change.entry) return undefined;
  return { ...change.entry, product: change.product, addedAt: at, addedBy: change.proposedBy };
}

/**
 * The catalog's lists once `saved` (with its id) is recorded, for every store: a pending change
 * goes to the end of the pending list, a decided one leaves it; an applied one replaces any entry
 * of the same product and version by `added` (at the end) or, for a removal, drops it.
 */
export function withChange(
  state: Pick<CatalogState, 'packages' | 'changes'>,
  saved: PackageChange,
  added: CatalogPackage | undefined,
): Pick<CatalogState, 'packages' | 'changes'> {
  const changes = state.changes.filter((c) => c.id !== saved.id);
  if (saved.status === 'awaiting-approval') changes.push(saved);
  if (saved.status !== 'applied') return { packages: state.packages, changes };
  const key = packageKey(saved.product, saved.version);
  const others = state.packages.filter((p) => packageKey(p.product, p.version) !== key);
  return { packages: added ? [...others, added] : others, changes };
}

/**
 * packages.json in the data folder, through lowdb (private temp file and rename, so a crash
 * never leaves half a file). The store's mutation queue serializes every change; a write that fails is undone
 * in memory; a file that cannot be read as a catalog stops the bot rather than being replaced.
 */
export class PackageCatalogFile {
  readonly file: string;
  private readonly db: Low<CatalogState>;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'packages.json');
    this.db = new Low<CatalogState>(
      new PrivateJsonFile(this.file, (text) => parseCatalog(text, this.file)),
      empty(),
    );
  }

  async read(): Promise<void> {
    await this.db.read();
  }

  get packages(): readonly CatalogPackage[] {
    return this.db.data.packages;
  }

  get changes(): readonly PackageChange[] {
    return this.db.data.changes;
  }

  /** Applies `change` to a copy of the state and writes it; memory changes only once it is on disk. */
  async update<T>(change: (draft: CatalogState) => T): Promise<T> {
    const previous = this.db.data;
    const draft = structuredClone(previous);
    const result = change(draft);
    this.db.data = draft;
    try {
      await this.db.write();
    } catch (error) {
      this.db.data = previous;
      throw new StoreWriteError(this.file, error);
    }
    return result;
  }
}

function parseCatalog(text: string, file: string): CatalogState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(file, error);
  }
  const problem = layoutProblem(data);
  if (problem) throw new StoreCorruptError(file, new Error(problem));
  return data as CatalogState;
}

function layoutProblem(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return 'the top level is not an object';
  const state = data as Record<string, unknown>;
  if (state.version !== 1) return `unknown version ${JSON.stringify(state.version) ?? 'undefined'}`;
  if (typeof state.lastChangeId !== 'number' || !Number.isSafeInteger(state.lastChangeId))
    return 'lastChangeId is not a whole number';
  for (const list of ['packages', 'changes'] as const) {
    const value = state[list];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'object' && item !== null))
      return `${list} is not a list of records`;
  }
  const packages = state.packages as Record<string, unknown>[];
  const bad = packages.find(
    (p) =>
      typeof p.product !== 'string' ||
      typeof p.version !== 'string' ||
      typeof p.source !== 'string' ||
      typeof p.sha256 !== 'string' ||
      typeof p.fileName !== 'string',
  );
  return bad ? 'a package lacks its product, version, source, file name or hash' : null;
}
