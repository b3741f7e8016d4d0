export * from './declarations.js';
export * from './parse.js';
export { closest, editDistance } from './suggest.js';
export { lastSegment } from './parse-package.js';
