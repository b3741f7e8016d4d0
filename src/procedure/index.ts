export * from './types.js';
export * from './errors.js';
export * from './validate.js';
export * from './products.js';
export * from './powershell.js';
export { STEP_CATALOG, DOWNTIME_STARTS_AT, DOWNTIME_ENDS_AFTER, stepTitleKey } from './catalog.js';
export type { StepDefinition, StepContext } from './catalog.js';
export {
  planUpdate,
  validateProfile,
  validateReportedProfile,
  validatePackage,
  databaseVariant,
} from './plan.js';
export { GRACEFUL_DRAIN_MINUTES, stepsFor } from './catalog.js';
export { compareVersions, updateDecision, type UpdateDecision } from './versions.js';
export { resumeIndex } from './resume.js';
