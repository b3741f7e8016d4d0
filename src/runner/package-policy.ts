import { fail, ok, preview, type Result, type UpdatePackage } from '../procedure/index.js';

/** Where this runner accepts packages from (PATCHBOT_PACKAGE_SOURCES). */
export interface PackagePolicy {
  /** Allowed source prefixes, each ending in / or \ (https://host/path/ or \\server\share\). */
  sources: readonly string[];
}

/**
 * The package a job may install on this server. With a local override (PATCHBOT_PACKAGE_* in
 * runner.env) only that one, and a job without a package (a bot older than the package catalog)
 * gets it; without one, the job's package if its source starts with an allowed prefix. The hash
 * and the signature are checked on the server by the staging steps; this only decides what is
 * staged at all.
 */
export function effectivePackage(
  fromJob: UpdatePackage | undefined,
  localOverride: UpdatePackage | undefined,
  policy: PackagePolicy,
): Result<UpdatePackage> {
  if (localOverride) {
    if (fromJob === undefined || samePackage(fromJob, localOverride)) return ok(localOverride);
    return fail(
      'package-not-local-override',
      `This runner installs only its local package ${localOverride.fileName} ${localOverride.version} ` +
        `(PATCHBOT_PACKAGE_* in runner.env); the job asks for ${preview(fromJob.fileName)} ${preview(fromJob.version)}. ` +
        "Remove the local override to use the bot's catalog, or plan with the local package.",
      { version: preview(fromJob.version), expected: localOverride.version },
    );
  }
  if (fromJob === undefined) {
    return fail(
      'package-missing',
      'The job names no package and this runner has no local package (PATCHBOT_PACKAGE_*): update the bot, ' +
        'or set a local package in runner.env.',
    );
  }
  if (!policy.sources.some((prefix) => sourceAllowed(fromJob.source, prefix))) {
    return fail(
      'package-source-not-allowed',
      `The package source ${preview(fromJob.source, 80)} is not under an allowed source of this runner ` +
        `(PATCHBOT_PACKAGE_SOURCES: ${policy.sources.map((s) => preview(s, 60)).join(', ') || 'none'}).`,
      { value: preview(fromJob.source, 80) },
    );
  }
  return ok(fromJob);
}

function samePackage(a: UpdatePackage, b: UpdatePackage): boolean {
  return (
    a.source === b.source &&
    a.fileName.toLowerCase() === b.fileName.toLowerCase() &&
    a.sha256.toUpperCase() === b.sha256.toUpperCase() &&
    a.version === b.version
  );
}

/** UNC paths compare case-insensitively (Windows names); an https URL's path does not. */
function sourceAllowed(source: string, prefix: string): boolean {
  if (prefix.startsWith('\\\\')) return source.toLowerCase().startsWith(prefix.toLowerCase());
  const schemeAndHost = /^https:\/\/[^/]+\//i.exec(prefix)?.[0] ?? prefix;
  return (
    source.slice(0, schemeAndHost.length).toLowerCase() === schemeAndHost.toLowerCase() &&
    source.slice(schemeAndHost.length).startsWith(prefix.slice(schemeAndHost.length))
  );
}

/**
 * One entry of PATCHBOT_PACKAGE_SOURCES: an https:// URL with a host (and optional path) or a UNC
 * share (\\server\share, optional folders), returned ending in its separator so that
 * https://updates.contoso.local cannot match https://updates.contoso.local.example.com/.
 */
export function validateSourcePrefix(raw: string): Result<string> {
  const https = /^https:\/\/[a-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~%-]+)*\/?$/i.test(raw);
  const unc = /^\\\\[A-Za-z0-9.-]+\\[A-Za-z0-9$._ -]+(?:\\[A-Za-z0-9._ -]+)*\\?$/.test(raw);
  if ((!https && !unc) || raw.includes('..')) {
    return fail(
      'invalid-package-source',
      `"${preview(raw, 60)}" is not an https:// URL or a UNC share (\\\\server\\share\\folder).`,
      { value: preview(raw, 60) },
    );
  }
  const separator = https ? '/' : '\\';
  return ok(raw.endsWith(separator) ? raw : raw + separator);
}
