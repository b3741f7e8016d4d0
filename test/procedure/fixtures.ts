import type { ProductFamily, ServerProfile } from '../../src/procedure/index.js';

export const SHA = 'a'.repeat(64);

export function profile(
  product: ProductFamily,
  server = 'backend01',
  overrides: Partial<ServerProfile> = {},
): ServerProfile {
  const lync = product === 'lync2013';
  const installer = lync ? 'LyncServerUpdateInstaller.exe' : 'SkypeServerUpdateInstaller.exe';
  return {
    server,
    product,
    package: {
      source: `https://updates.contoso.local/cu/${installer}`,
      fileName: installer,
      sha256: SHA,
      version: lync ? '5.0.8308.1182' : '7.0.2046.530',
    },
    stagingDir: 'C:\\PatchBot\\staging',
    minFreeGb: 10,
    ...overrides,
  };
}
