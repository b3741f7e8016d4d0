import type { ProductFamily } from './types.js';

export interface ProductFacts {
  /** Module the management shell loads (article step 3). */
  module: 'Lync' | 'SkypeForBusiness';
  /** Cumulative-update installer shipped for the product (article step 7). */
  installer: 'LyncServerUpdateInstaller.exe' | 'SkypeServerUpdateInstaller.exe';
  /** i18n key of the management shell's localized name. */
  shellNameKey: 'product.shell.lync' | 'product.shell.sfb';
  /** i18n key of the product's display name. */
  nameKey: string;
  /** Typical downtime of a cumulative update, minutes (shown on the plan card). */
  typicalDowntimeMinutes: number;
}

export const PRODUCTS: Readonly<Record<ProductFamily, ProductFacts>> = {
  lync2013: {
    module: 'Lync',
    installer: 'LyncServerUpdateInstaller.exe',
    shellNameKey: 'product.shell.lync',
    nameKey: 'product.name.lync2013',
    typicalDowntimeMinutes: 15,
  },
  sfb2015: {
    module: 'SkypeForBusiness',
    installer: 'SkypeServerUpdateInstaller.exe',
    shellNameKey: 'product.shell.sfb',
    nameKey: 'product.name.sfb2015',
    typicalDowntimeMinutes: 15,
  },
  sfb2019: {
    module: 'SkypeForBusiness',
    installer: 'SkypeServerUpdateInstaller.exe',
    shellNameKey: 'product.shell.sfb',
    nameKey: 'product.name.sfb2019',
    typicalDowntimeMinutes: 15,
  },
  sfbse: {
    module: 'SkypeForBusiness',
    installer: 'SkypeServerUpdateInstaller.exe',
    shellNameKey: 'product.shell.sfb',
    nameKey: 'product.name.sfbse',
    typicalDowntimeMinutes: 15,
  },
};

/** Name the PatchBot helper module uses for the product's version check. */
export function versionProductName(product: ProductFamily): 'Lync2013' | 'SkypeForBusiness' {
  return product === 'lync2013' ? 'Lync2013' : 'SkypeForBusiness';
}
