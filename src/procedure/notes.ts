import { GRACEFUL_DRAIN_MINUTES, type StepContext } from './catalog.js';
import type { PlanNote } from './types.js';

/**
 * What the plan card must say about a plan, as i18n keys (catalog part server-safety): who loses
 * service, where the runner has to live, what happens to mirrored databases, and the options.
 */
export function planNotes(ctx: StepContext, server: string): PlanNote[] {
  const notes: PlanNote[] = [];
  if (ctx.variant === 'standard') {
    notes.push({ key: 'plan.note.standard-users', params: { server } });
  } else {
    const sql = ctx.sqlServerFqdn ?? '';
    notes.push({ key: 'plan.note.enterprise-runner', params: { server, sql } });
    if (ctx.mirrored) notes.push({ key: 'plan.note.mirrored', params: { sql } });
  }
  if (ctx.graceful) notes.push({ key: 'plan.note.graceful', params: { minutes: GRACEFUL_DRAIN_MINUTES } });
  if (ctx.force) notes.push({ key: 'plan.note.force', params: { version: ctx.packageVersion } });
  return notes;
}
