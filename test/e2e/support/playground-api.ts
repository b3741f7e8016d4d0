/**
 * The playground's own REST API, for tests that do not need to look at the page: faster than
 * the browser, and the only way to act as a member other than the current user.
 */

export interface PostMessageOptions {
  conversationId: string;
  text: string;
  /** Must be the playground's current user: messages always come from them. */
  fromId: string;
  /** Mention the bot, as needed in group chats and channels; `<at>name</at>` is put in front of the text. */
  mention?: { id: string; name: string };
}

export interface CardActionOptions {
  /** The conversation of the card's message; for a channel thread, `<channel>;messageid=<id>`. */
  conversationId: string;
  /** Id of the message carrying the card. */
  replyToId: string;
  /** Any member of the group chat or team; only the current user in the personal chat. */
  fromId: string;
  verb: string;
  data?: Record<string, unknown>;
}

/** What the bot answered to an `adaptiveCard/action` invoke. */
export interface CardActionResponse {
  /** The playground passes on the invoke response's body, which may leave out the status. */
  statusCode?: number;
  type: string;
  value: unknown;
}

export class PlaygroundApiError extends Error {
  override readonly name = 'PlaygroundApiError';
}

async function postJson(playgroundUrl: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, playgroundUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new PlaygroundApiError(`POST ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Sends a message as the current user, exactly as typing it in the page would. */
export async function postUserMessage(playgroundUrl: string, options: PostMessageOptions): Promise<unknown> {
  const mentionText = options.mention === undefined ? '' : `<at>${options.mention.name}</at>`;
  const body = {
    text: mentionText === '' ? options.text : `${mentionText} ${options.text}`,
    textFormat: 'plain',
    from: { id: options.fromId },
    ...(options.mention === undefined
      ? {}
      : { mentions: [{ mentioned: { id: options.mention.id }, text: mentionText }] }),
  };
  const path = `/_conversation/v1/conversations/${encodeURIComponent(options.conversationId)}/messages`;
  return postJson(playgroundUrl, path, body);
}

/**
 * Presses an `Action.Execute` button as any member and returns the bot's answer. The
 * playground stores the returned card but sends no stream frame, so an open page keeps
 * showing the old card; assert on the answer (or on what the bot sends afterwards).
 */
export async function invokeCardAction(
  playgroundUrl: string,
  options: CardActionOptions,
): Promise<CardActionResponse> {
  const body = {
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', verb: options.verb, data: options.data ?? {} } },
    from: { id: options.fromId },
    conversation: { id: options.conversationId },
    replyToId: options.replyToId,
  };
  return (await postJson(playgroundUrl, '/_conversation/v1/invoke', body)) as CardActionResponse;
}
