import { catalogPart } from './part.js';

/** The package catalog, the fleet's versions, server facts and predicted downtime (issue 14). */
export const packageCatalog = catalogPart({}, { 'de-DE': {}, 'es-ES': {}, 'zh-CN': {} });
