import type { PlanStep } from '../procedure/index.js';
import type { StepResult, StepStatus } from '../protocol/messages.js';
import { capOutput, excerpt } from './output.js';
import { describeExit, type Execution } from './sessions.js';

/** Windows Installer's "success, restart required". */
export const EXIT_REBOOT_REQUIRED = 3010;
/** Windows Installer's "success, the installer started a restart". */
export const EXIT_REBOOT_INITIATED = 1641;
/** Windows Installer's "another installation is already in progress". */
export const EXIT_INSTALL_IN_PROGRESS = 1618;

/**
 * Install-PatchBotUpdate's line for exit code 0 with restart flags set afterwards: $LASTEXITCODE
 * stays the installer's, so the module says it in words, and the runner reads them.
 */
const RESTART_REQUIRED_LINE = /a restart is required to complete the update/i;

export interface Verdict {
  status: StepStatus;
  exitCode: number | null;
  /** Why the step did not succeed, in one sentence; null on success. */
  reason: string | null;
  rebootRequired: boolean;
}

/**
 * Decides a step's status from what PowerShell really reported: the marker, never the absence of
 * stderr text (node-powershell's notion of success). stderr text alone does not fail a step,
 * because native tools write progress there; a thrown error or a non-zero exit code does.
 */
export function judge(step: Pick<PlanStep, 'id'>, execution: Execution): Verdict {
  switch (execution.kind) {
    case 'answered': {
      const exit = execution.exit;
      const install = step.id === 'update.install';
      if (install && exit === EXIT_INSTALL_IN_PROGRESS) {
        return failed(
          exit,
          'Another installation is running on the server (exit code 1618); nothing was installed. ' +
            'Retry when it has finished.',
        );
      }
      if (!execution.ok) {
        return failed(
          exit,
          exit !== null && exit !== 0 ? `The command failed (exit code ${exit}).` : 'The command failed.',
        );
      }
      if (exit === null || exit === 0) {
        const pending = install && RESTART_REQUIRED_LINE.test(execution.stdout);
        return { status: 'succeeded', exitCode: exit, reason: null, rebootRequired: pending };
      }
      // 3010: restart required; 1641: the installer started the restart itself.
      if (install && (exit === EXIT_REBOOT_REQUIRED || exit === EXIT_REBOOT_INITIATED)) {
        return { status: 'succeeded', exitCode: exit, reason: null, rebootRequired: true };
      }
      return failed(exit, `The command exited with code ${exit}.`);
    }
    case 'no-marker':
      return failed(
        null,
        'PowerShell returned no result marker for this step, so it cannot be counted as done.',
      );
    case 'timed-out':
      return {
        status: 'timed-out',
        exitCode: null,
        reason:
          `No result within ${formatSeconds(execution.timeoutMs)}; the PowerShell process` +
          `${execution.pid ? ` (pid ${execution.pid})` : ''} was killed and the next step starts a new one.`,
        rebootRequired: false,
      };
    case 'shell-exited':
      return failed(
        null,
        `The PowerShell process ended during this step (${describeExit(execution.exit)}) without reporting a result.`,
      );
    case 'session-failed':
      return failed(null, execution.reason);
  }
}

function failed(exitCode: number | null, reason: string): Verdict {
  return { status: 'failed', exitCode, reason, rebootRequired: false };
}

export function buildResult(args: {
  run: { runId: number; attempt: number; key?: string | undefined };
  step: PlanStep;
  startedAt: Date;
  endedAt: Date;
  verdict: Verdict;
  stdout: string;
  stderr: string;
  fullOutputIn: string;
}): StepResult {
  const { run, step, startedAt, endedAt, verdict } = args;
  const stdout = capOutput(args.stdout, args.fullOutputIn);
  const stderr = capOutput(args.stderr, args.fullOutputIn);
  const detail = args.stderr || (verdict.status === 'succeeded' ? '' : lastLines(args.stdout, 3));
  return {
    ...(run.key === undefined ? {} : { key: run.key }),
    runId: run.runId,
    attempt: run.attempt,
    stepId: step.id,
    index: step.index - 1,
    status: verdict.status,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: Math.max(0, endedAt.getTime() - startedAt.getTime()),
    exitCode: verdict.exitCode,
    stdout: stdout.text,
    stderr: stderr.text,
    truncated: stdout.truncated || stderr.truncated,
    errorExcerpt: verdict.reason ? excerpt(detail ? `${verdict.reason} ${detail}` : verdict.reason) : null,
    ...(verdict.rebootRequired ? { rebootRequired: true } : {}),
  };
}

/** A result for a step that never started (cancelled before it). */
export function notStartedResult(
  run: { runId: number; attempt: number; key?: string | undefined },
  step: PlanStep,
  at: Date,
  status: StepStatus,
  reason: string,
): StepResult {
  return {
    ...(run.key === undefined ? {} : { key: run.key }),
    runId: run.runId,
    attempt: run.attempt,
    stepId: step.id,
    index: step.index - 1,
    status,
    startedAt: at.toISOString(),
    endedAt: at.toISOString(),
    durationMs: 0,
    exitCode: null,
    stdout: '',
    stderr: '',
    truncated: false,
    errorExcerpt: excerpt(reason),
  };
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join(' ');
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
