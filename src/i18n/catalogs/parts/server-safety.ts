import { catalogPart } from './part.js';

/** Surviving a real server: restart and resume, mirrored back ends, installer and database results, graceful stop (issue 15). */
export const serverSafety = catalogPart({}, { 'de-DE': {}, 'es-ES': {}, 'zh-CN': {} });
