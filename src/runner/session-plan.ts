import type { Plan, PlanStep } from '../procedure/index.js';

/**
 * When a session has to start at a step that normally runs in a session opened earlier (a retry
 * from the middle of a phase), the new process first needs the phase's Import-Module.
 */
export function sessionReplay(plan: Plan, step: PlanStep): string[] {
  if (step.session !== 'run') return [];
  for (let i = step.index - 2; i >= 0; i--) {
    const earlier = plan.steps[i];
    if (!earlier || earlier.session === 'close-session') return [];
    if (earlier.id === 'shell.open' || earlier.id === 'shell.reopen') return [earlier.command];
    if (earlier.session === 'new-session') return [];
  }
  return [];
}

/**
 * True when a step after this one will need a new PowerShell process by the plan (a new-session
 * step, or any step after a close-session): the runner then has a bare one started ahead.
 */
export function newProcessAhead(plan: Plan, step: PlanStep): boolean {
  let closed = false;
  for (const later of plan.steps.slice(step.index)) {
    if (later.session === 'close-session') closed = true;
    else if (later.session === 'new-session' || closed) return true;
  }
  return false;
}
