import type { PlanStep } from '../procedure/index.js';
import type { StepResult } from '../protocol/messages.js';
import type { RunProgress } from './executor.js';

/** m:ss, or h:mm:ss past an hour. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function counter(n: number, total: number): string {
  return `[${String(n).padStart(String(total).length)}/${total}]`;
}

function clocks(progress: RunProgress | null): string {
  if (!progress) return '';
  const downtime =
    progress.downtimeMs === null
      ? ''
      : ` | downtime ${formatDuration(progress.downtimeMs)}${progress.downtimeOpen ? '' : ' (ended)'}`;
  return ` | elapsed ${formatDuration(progress.runElapsedMs)}${downtime}`;
}

export function formatStartLine(step: PlanStep, progress: RunProgress): string {
  return `${counter(step.index, progress.totalSteps)} ${step.id.padEnd(20)} started${clocks(progress)}`;
}

export function formatResultLine(result: StepResult, total: number, progress: RunProgress | null): string {
  const seconds = `${(result.durationMs / 1000).toFixed(1)}s`.padStart(7);
  const exit = result.exitCode === null ? '' : ` exit ${result.exitCode}`;
  const reboot = result.rebootRequired ? ' (restart required)' : '';
  const head = `${counter(result.index + 1, total)} ${result.stepId.padEnd(20)} ${result.status.padEnd(11)}${seconds}${exit}${reboot}${clocks(progress)}`;
  return result.errorExcerpt
    ? `${head}\n${' '.repeat(counter(1, total).length + 1)}${result.errorExcerpt}`
    : head;
}
