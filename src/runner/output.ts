import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { PlanStep } from '../procedure/index.js';
import { EXCERPT_CAP_CHARS, OUTPUT_CAP_CHARS } from '../protocol/messages.js';

/** Line endings as one, no BOM, no trailing blank lines: what every consumer of output wants. */
export function normalizeOutput(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\s+$/, '');
}

/**
 * Caps text for the wire and the bot's store. The head says what started, the tail usually says
 * what went wrong, so both are kept; the note in between says where the whole text is.
 */
export function capOutput(
  text: string,
  where: string,
  cap = OUTPUT_CAP_CHARS,
): { text: string; truncated: boolean } {
  if (text.length <= cap) return { text, truncated: false };
  const note = `\n[... ${text.length} characters in all, truncated; full output in ${where} ...]\n`;
  const room = Math.max(0, cap - note.length);
  const head = Math.floor(room / 4);
  const tail = room - head;
  return { text: text.slice(0, head) + note + text.slice(text.length - tail), truncated: true };
}

/** One short paragraph for a chat message: whitespace folded, capped. */
export function excerpt(text: string, cap = EXCERPT_CAP_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > cap ? `${flat.slice(0, cap - 1)}…` : flat;
}

/**
 * Full, uncapped output of every step, one file per run, on the runner's own disk. Only the
 * runner's own commands and their output go here; no job field reaches it unvalidated.
 */
export class OutputLog {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  fileFor(runId: number): string {
    return join(this.dir, `run-${runId}.log`);
  }

  async append(
    run: { runId: number; attempt: number },
    step: Pick<PlanStep, 'id' | 'command'>,
    entry: {
      status: string;
      startedAt: string;
      endedAt: string;
      exitCode: number | null;
      stdout: string;
      stderr: string;
    },
  ): Promise<void> {
    const text = [
      `=== run ${run.runId} attempt ${run.attempt} step ${step.id}: ${entry.status} (exit ${entry.exitCode ?? '-'})`,
      `started ${entry.startedAt} ended ${entry.endedAt}`,
      `command: ${step.command || '(none: closes the PowerShell session)'}`,
      '--- stdout',
      entry.stdout,
      '--- stderr',
      entry.stderr,
      '',
    ].join('\n');
    try {
      await mkdir(this.dir, { recursive: true });
      await appendFile(this.fileFor(run.runId), text, 'utf-8');
    } catch (error) {
      // The capped copy still travels with the result; a full disk must not fail the step.
      this.logger.warn(
        { err: error, runId: run.runId, stepId: step.id },
        'could not write the local output log',
      );
    }
  }
}
