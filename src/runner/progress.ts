import type { Plan, PlanStep } from '../procedure/index.js';
import type { StepStatus } from '../protocol/messages.js';
import type { RunProgress } from './executor.js';

/**
 * The number admins watch: time from the first Stop-CsWindowsService to every Cs service running
 * again (past 30 minutes, users fall into resiliency mode). Runs from the start of the plan's
 * downtimeStartsAt step to the successful end of its downtimeEndsAfter step. A retry that starts
 * inside the window can only count from its own start; the bot holds the full clock.
 */
export class DowntimeClock {
  private startedAt: Date | null = null;
  private endedAt: Date | null = null;
  private readonly startIndex: number;
  private readonly endIndex: number;

  constructor(
    private readonly plan: Plan,
    jobStartIndex: number,
    private readonly runStartedAt: Date,
  ) {
    this.startIndex = plan.steps.findIndex((s) => s.id === plan.downtimeStartsAt);
    this.endIndex = plan.steps.findIndex((s) => s.id === plan.downtimeEndsAfter);
    if (jobStartIndex > this.startIndex && jobStartIndex <= this.endIndex) this.startedAt = runStartedAt;
  }

  stepStarted(step: PlanStep, at: Date): void {
    if (step.id === this.plan.downtimeStartsAt && !this.startedAt) this.startedAt = at;
  }

  stepEnded(step: PlanStep, status: StepStatus, at: Date): void {
    if (step.id === this.plan.downtimeEndsAfter && status === 'succeeded' && this.startedAt)
      this.endedAt = at;
  }

  isOpen(): boolean {
    return this.startedAt !== null && this.endedAt === null;
  }

  downtimeMs(now: Date): number | null {
    if (!this.startedAt) return null;
    return (this.endedAt ?? now).getTime() - this.startedAt.getTime();
  }

  progress(step: PlanStep, now: Date): RunProgress {
    return {
      stepNumber: step.index,
      totalSteps: this.plan.steps.length,
      runElapsedMs: now.getTime() - this.runStartedAt.getTime(),
      downtimeMs: this.downtimeMs(now),
      downtimeOpen: this.isOpen(),
    };
  }
}
