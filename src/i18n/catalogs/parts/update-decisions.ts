import { catalogPart } from './part.js';

/** Version-aware planning: nothing to do, downgrade, force, edition inferred or refused, the readiness check (issue 14). */
export const updateDecisions = catalogPart({}, { 'de-DE': {}, 'es-ES': {}, 'zh-CN': {} });
