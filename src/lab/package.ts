import { createHash } from 'node:crypto';
import { PRODUCTS, type ProductFamily, type UpdatePackage } from '../procedure/index.js';

/**
 * The SIMULATED update package: a few lines of text standing in for the installer's bytes. Its
 * SHA-256 is what a lab server profile publishes, so the runner's hash check passes on the real
 * content and fails on a corrupted download. The "signer" line stands in for the Authenticode
 * signature the real PatchBot module checks.
 */
export function simulatedPackageContent(product: ProductFamily, version: string): string {
  return [
    'SIMULATED UPDATE PACKAGE (patch bot lab; not a real installer)',
    `product=${product}`,
    `installer=${PRODUCTS[product].installer}`,
    `version=${version}`,
    'signer=Microsoft Corporation',
    '',
  ].join('\n');
}

export function sha256Hex(content: string): string {
  return createHash('sha256').update(content, 'utf-8').digest('hex').toUpperCase();
}

/** Reads the key=value lines back (the lab installer uses them to know what it installs). */
export function readPackageFields(content: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of content.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return fields;
}

/** Where the lab's simulated update server lives; lab runners accept packages only from here. */
export const LAB_PACKAGE_PREFIX = 'https://updates.contoso.local/';

/**
 * The versions the lab knows per product, oldest first: what the lab servers run, the update the
 * fleet's profiles name, and two later updates (to add to the bot's catalog). The simulated update
 * server serves every one of them.
 */
export const LAB_PACKAGE_VERSIONS: Readonly<Record<ProductFamily, readonly string[]>> = {
  lync2013: ['5.0.8308.1162', '5.0.8308.1182', '5.0.8308.1190', '5.0.8308.1201'],
  sfb2015: ['6.0.9319.619', '6.0.9319.640', '6.0.9319.658', '6.0.9319.670'],
  sfb2019: ['7.0.2046.520', '7.0.2046.530', '7.0.2046.540', '7.0.2046.551'],
  sfbse: ['8.0.2600.0', '8.0.2700.0', '8.0.2750.0', '8.0.2800.0'],
};

/** The lab's package of one product version: its URL on the simulated update server and its SHA-256. */
export function labPackage(product: ProductFamily, version: string): UpdatePackage {
  const installer = PRODUCTS[product].installer;
  return {
    source: `${LAB_PACKAGE_PREFIX}${product}/${version}/${installer}`,
    fileName: installer,
    sha256: sha256Hex(simulatedPackageContent(product, version)),
    version,
  };
}

/** What the simulated update server serves to a lab server of this product: URL -> content. */
export function labPackageSources(product: ProductFamily): Record<string, string> {
  return Object.fromEntries(
    LAB_PACKAGE_VERSIONS[product].map((v) => [
      labPackage(product, v).source,
      simulatedPackageContent(product, v),
    ]),
  );
}
