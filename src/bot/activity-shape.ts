/**
 * The fields every activity Teams sends carries, checked before botbuilder sees the activity.
 * botbuilder trusts them: a non-string serviceUrl made it throw (500), and a missing or
 * unusable one made it retry its reply for ~10 s while the request stayed open. A refusal here
 * is a 400 that names the field; it says nothing about authentication, which comes after.
 */
export function activityShapeProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'expected a Bot Framework activity (JSON object with a type)';
  const activity = body as Record<string, unknown>;
  if (typeof activity.type !== 'string' || activity.type === '')
    return 'expected a Bot Framework activity (JSON object with a type)';
  if (!isHttpUrl(activity.serviceUrl)) return 'serviceUrl must be an http(s) URL';
  if (!hasStringId(activity.conversation)) return 'conversation.id must be a string';
  // Who asks or clicks decides what they may do: messages and invokes must say.
  if ((activity.type === 'message' || activity.type === 'invoke') && !hasStringId(activity.from))
    return 'from.id must be a string';
  for (const field of ['id', 'text', 'locale', 'channelId', 'replyToId', 'name'] as const) {
    if (activity[field] !== undefined && typeof activity[field] !== 'string')
      return `${field} must be a string`;
  }
  if (activity.entities !== undefined && !Array.isArray(activity.entities)) return 'entities must be a list';
  return null;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function hasStringId(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string' &&
    (value as { id: string }).id !== ''
  );
}
