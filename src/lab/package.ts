import { createHash } from 'node:crypto';
import { PRODUCTS, type ProductFamily } from '../procedure/index.js';

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
