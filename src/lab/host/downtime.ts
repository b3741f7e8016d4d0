import type { LabCommandRecord, LabState } from '../state.js';

export function allRunning(state: LabState): boolean {
  return Object.values(state.services).every((s) => s === 'Running');
}

/**
 * SIMULATOR: downtime as the lab server sees it, on its own clock: from the start of the command
 * that stopped the Cs services to the end of the one that had them all running again.
 */
export function trackDowntime(state: LabState, wereRunning: boolean, record: LabCommandRecord): void {
  const running = allRunning(state);
  if (wereRunning && !running) {
    state.downtime.push({
      stoppedAtSimMs: record.simStartMs,
      stoppedAtWall: record.wallStart,
      runningAtSimMs: null,
      runningAtWall: null,
    });
  }
  const open = state.downtime.at(-1);
  if (!wereRunning && running && open && open.runningAtSimMs === null) {
    open.runningAtSimMs = record.simEndMs;
    open.runningAtWall = record.wallEnd;
  }
}
