import { PackageError } from './package-error.js';

/** Values that have an honest default, supplied by the caller (the script reads package.json). */
export interface PackageDefaults {
  appVersion: string;
}

interface PackageVariable {
  name: string;
  /** What the value is, used in error messages and mirrored in docs/deploy.md. */
  meaning: string;
  defaultValue?: (defaults: PackageDefaults) => string;
  /** Returns why the value is unusable, or undefined when it is fine. */
  problemWith: (value: string) => string | undefined;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Teams wants major.minor.patch with no pre-release or build suffix.
const APP_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const HOST_NAME =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+(:\d{1,5})?$/;
const DEVELOPER_NAME_MAX = 32;
const URL_MAX = 2048;

function httpsUrlProblem(value: string): string | undefined {
  if (value.length > URL_MAX) return `must be at most ${URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute https:// URL, got "${value}"`;
  }
  return url.protocol === 'https:' ? undefined : `must use https://, got "${value}"`;
}

export const PACKAGE_VARIABLES: readonly PackageVariable[] = [
  {
    name: 'BOT_ID',
    meaning: "the bot's Microsoft App ID (the MicrosoftAppId GUID); it is also the Teams app id",
    problemWith: (value) =>
      GUID.test(value)
        ? undefined
        : `must be a GUID like 00000000-0000-0000-0000-000000000000, got "${value}"`,
  },
  {
    name: 'APP_VERSION',
    meaning: 'the Teams app version; raise it for every upload that changes the package',
    defaultValue: (defaults) => defaults.appVersion,
    problemWith: (value) =>
      APP_VERSION.test(value) ? undefined : `must be major.minor.patch such as 1.4.0, got "${value}"`,
  },
  {
    name: 'DEVELOPER_NAME',
    meaning: 'the publisher name shown in the Teams app details',
    problemWith: (value) =>
      value.length <= DEVELOPER_NAME_MAX
        ? undefined
        : `must be at most ${DEVELOPER_NAME_MAX} characters, got ${value.length}`,
  },
  { name: 'WEBSITE_URL', meaning: 'the support page for the bot', problemWith: httpsUrlProblem },
  { name: 'PRIVACY_URL', meaning: 'the privacy statement', problemWith: httpsUrlProblem },
  { name: 'TERMS_URL', meaning: 'the terms of use', problemWith: httpsUrlProblem },
  {
    name: 'VALID_DOMAIN',
    meaning: "the bot's public host name (the messaging endpoint's host), without https://",
    problemWith: (value) =>
      HOST_NAME.test(value) ? undefined : `must be a host name such as patchbot.contoso.com, got "${value}"`,
  },
];

/**
 * Reads every packaging variable from `env`, applying honest defaults only.
 * Throws a PackageError naming each missing or malformed value.
 */
export function readPackageValues(
  env: Readonly<Record<string, string | undefined>>,
  defaults: PackageDefaults,
): Map<string, string> {
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (const variable of PACKAGE_VARIABLES) {
    const given = env[variable.name]?.trim();
    const value = given ? given : variable.defaultValue?.(defaults);
    if (value === undefined) {
      problems.push(`${variable.name} is not set: ${variable.meaning}`);
      continue;
    }
    const problem = variable.problemWith(value);
    if (problem) problems.push(`${variable.name} ${problem}`);
    else values.set(variable.name, value);
  }
  if (problems.length > 0) throw new PackageError('Cannot build the Teams app package:', problems);
  return values;
}
