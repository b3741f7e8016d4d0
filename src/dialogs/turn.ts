import type { Person } from '../store/types.js';

/** A card attachment ready to send (Adaptive Card content type). */
export interface CardAttachment {
  contentType: string;
  content: Record<string, unknown>;
}

export type Reply = string | { text?: string; attachments: CardAttachment[] };

/**
 * What a dialog sees of a Teams turn: who, where, in which language, and a way to answer.
 * The Teams edge builds it from the TurnContext; tests build it directly.
 */
export interface Turn {
  user: Person;
  conversationId: string;
  /** Locale for this user's replies (the conversation's setting, else the user's Teams locale). */
  locale: string;
  /** The user's own Teams locale (activity.locale), kept for runs requested here. */
  userLocale: string;
  reply(reply: Reply): Promise<string | undefined>;
}
