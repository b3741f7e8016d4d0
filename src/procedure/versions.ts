/**
 * Patch versions (7.0.2046.530) compared part by part as numbers, the way Windows Installer and
 * Get-CsServerPatchVersion order them; a missing trailing part counts as 0.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? 0;
    const y = right[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function parts(version: string): number[] {
  if (!/^\d{1,9}(?:\.\d{1,9}){0,5}$/.test(version)) {
    throw new RangeError(`"${version.slice(0, 40)}" is not a dotted version number.`);
  }
  return version.split('.').map(Number);
}

export type UpdateDecision = 'update' | 'nothing-to-do' | 'downgrade' | 'same-version-forced';

/**
 * Whether installing `packageVersion` makes sense on a server, from what its runner reported.
 * Any component newer than the package -> 'downgrade' (never installed, force or not); every
 * component (and the server as a whole) at the package's version -> 'nothing-to-do', or
 * 'same-version-forced' with `force`; otherwise 'update'. Nothing known -> 'update': the runner's
 * own version-gap check still runs before any downtime.
 */
export function updateDecision(
  installedVersion: string | null,
  componentVersions: readonly (string | { version: string })[],
  packageVersion: string,
  force: boolean,
): UpdateDecision {
  const known = componentVersions.map((c) => (typeof c === 'string' ? c : c.version));
  if (installedVersion !== null) known.push(installedVersion);
  if (known.length === 0) return 'update';
  const order = known.map((v) => compareVersions(v, packageVersion));
  if (order.some((o) => o > 0)) return 'downgrade';
  if (order.every((o) => o === 0)) return force ? 'same-version-forced' : 'nothing-to-do';
  return 'update';
}
