import type { CaptureConnector } from '../../../src/lab/capture-connector.js';
import { createTranslator } from '../../../src/i18n/index.js';
import { stepReplies } from '../../reliability/support/system.js';
import type { Kill } from './ha-system.js';

/** A step-result reply in the run's thread, when Teams took it, and whether it says it may repeat one. */
export interface TimedReply {
  messageId: string;
  step: number;
  at: number;
  labelled: boolean;
}

const RESENT_NOTE = createTranslator('en-US').t('bot.resent-after-restart');

/** The step-result replies in `thread`, in the order Teams took them. */
export function timedStepReplies(
  connector: CaptureConnector,
  thread: string,
  runCardId: string,
): TimedReply[] {
  return stepReplies(connector, thread, runCardId)
    .map((reply) => {
      const view = connector.message(reply.messageId);
      const text = view?.activity.text;
      return {
        messageId: reply.messageId,
        step: reply.step,
        at: view?.createdAt ?? Number.NaN,
        labelled: typeof text === 'string' && text.includes(RESENT_NOTE),
      };
    })
    .sort((a, b) => a.at - b.at);
}

/** Per kill: milliseconds from the SIGKILL to the first step result the next leader posted. */
export interface HandOver {
  kill: string;
  ms: number;
  /** The reply that ended the hand-over. */
  messageId: string | null;
}

/**
 * The hand-over time of each kill: from the SIGKILL to the next step-result reply Teams took
 * from a new leader. A reply the dead leader had in flight, which Teams took after the kill, is
 * not the new leader's: that is the unlabelled copy of a step that was posted again, labelled.
 * NaN when no step result was posted after a kill.
 */
export function handOvers(kills: readonly Kill[], replies: readonly TimedReply[]): HandOver[] {
  const inDoubt = new Set(replies.filter((r) => r.labelled).map((r) => r.step));
  return kills.map((kill) => {
    const next = replies.find((r) => r.at > kill.at && !(inDoubt.has(r.step) && !r.labelled));
    return { kill: kill.name, ms: next ? next.at - kill.at : Number.NaN, messageId: next?.messageId ?? null };
  });
}
