import type { SupportedLocale } from '../locales.js';
import { deDE } from './de-DE.js';
import { enUS, type Catalog } from './en-US.js';
import { esES } from './es-ES.js';
import { zhCN } from './zh-CN.js';

export type { Catalog, MessageKey } from './en-US.js';

export const CATALOGS: Readonly<Record<SupportedLocale, Catalog>> = {
  'en-US': enUS,
  'de-DE': deDE,
  'es-ES': esES,
  'zh-CN': zhCN,
};
