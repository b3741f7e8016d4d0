import {
  EDITIONS,
  PRODUCT_FAMILIES,
  validateVersion,
  type Result,
  type ServerFacts,
} from '../procedure/index.js';
import {
  finite,
  flag,
  guard,
  hostName,
  integer,
  Invalid,
  isoTime,
  list,
  member,
  record,
  text,
} from './read.js';

/** A server has a handful of components; anything near this is not a Lync/SfB server's list. */
export const MAX_FACT_COMPONENTS = 50;

const FACT_FIELDS = [
  'readAt',
  'product',
  'installedVersion',
  'components',
  'edition',
  'poolFqdn',
  'sqlServerFqdn',
  'collocatedStores',
  'mirrored',
  'pendingRestart',
  'freeSpaceGb',
  'powershellVersion',
  'csServiceCount',
] as const satisfies readonly (keyof ServerFacts)[];

/** Strict: every field present (null = could not be read), nothing else, each value capped. */
export const validateServerFacts = (value: unknown): Result<ServerFacts> =>
  guard(() => readServerFacts(value, 'facts'));

export function readServerFacts(value: unknown, where: string): ServerFacts {
  const o = record(value, where, FACT_FIELDS);
  const orNull = <T>(v: unknown, read: (v: unknown) => T): T | null => (v === null ? null : read(v));
  return {
    readAt: isoTime(o.readAt, `${where}.readAt`),
    product: member(o.product, `${where}.product`, PRODUCT_FAMILIES),
    installedVersion: orNull(o.installedVersion, (v) => version(v, `${where}.installedVersion`)),
    components: list(o.components, `${where}.components`, 0, MAX_FACT_COMPONENTS, component),
    edition: orNull(o.edition, (v) => member(v, `${where}.edition`, EDITIONS)),
    poolFqdn: orNull(o.poolFqdn, (v) => hostName(v, `${where}.poolFqdn`, 'pool')),
    sqlServerFqdn: orNull(o.sqlServerFqdn, (v) => hostName(v, `${where}.sqlServerFqdn`, 'sql')),
    collocatedStores: orNull(o.collocatedStores, (v) => flag(v, `${where}.collocatedStores`)),
    mirrored: orNull(o.mirrored, (v) => flag(v, `${where}.mirrored`)),
    pendingRestart: orNull(o.pendingRestart, (v) => flag(v, `${where}.pendingRestart`)),
    freeSpaceGb: orNull(o.freeSpaceGb, (v) => finite(v, `${where}.freeSpaceGb`, 0, 1_000_000)),
    powershellVersion: orNull(o.powershellVersion, (v) => psVersion(v, `${where}.powershellVersion`)),
    csServiceCount: orNull(o.csServiceCount, (v) => integer(v, `${where}.csServiceCount`, 0, 1000)),
  };
}

function component(value: unknown, where: string): { name: string; version: string } {
  const o = record(value, where, ['name', 'version']);
  const name = text(o.name, `${where}.name`, 120);
  // Printable text only: the name is shown on cards and written to logs.
  if (name.trim() === '' || /\p{Cc}/u.test(name)) throw new Invalid(`${where}.name`, 'not a component name');
  return { name, version: version(o.version, `${where}.version`) };
}

function version(value: unknown, where: string): string {
  const checked = validateVersion(text(value, where, 40));
  if (!checked.ok) throw new Invalid(where, checked.error.message);
  return checked.value;
}

function psVersion(value: unknown, where: string): string {
  const v = text(value, where, 20);
  if (!/^\d{1,2}\.\d{1,2}(?:\.\d{1,6}){0,2}$/.test(v)) throw new Invalid(where, 'not a PowerShell version');
  return v;
}
