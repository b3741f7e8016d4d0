/**
 * Plays Teams towards a bot over real HTTP: builds activities the way Teams does (see
 * teams-activities.ts), POSTs them to the bot's /api/messages with the capture connector as
 * serviceUrl, and returns the bot's HTTP answer (invoke responses come back in the body).
 * No JWT is sent: the bot must run in lab mode (empty MicrosoftAppId).
 */
import {
  LAB_TENANT,
  allTenantUsers,
  type PlaygroundTenant,
  type PlaygroundUser,
} from '../../src/lab/playground-tenant.js';
import {
  botAddedActivity,
  cardActionActivity,
  channelThread,
  groupChat,
  installationUpdateActivity,
  messageActivity,
  nextMessageId,
  personalChat,
  type Activity,
  type ConversationTarget,
} from './teams-activities.js';

export * from './teams-activities.js';

export interface BotAnswer {
  status: number;
  /** Parsed JSON when the bot answered JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  headers: Headers;
  /** What was posted (undefined for raw posts). */
  activity?: Activity;
}

export interface TeamsClientOptions {
  /** The bot's messaging endpoint, e.g. `http://127.0.0.1:3978/api/messages`. */
  botEndpoint: string;
  /** Where the bot should send its replies: the capture connector's url. */
  serviceUrl: string;
  tenant?: PlaygroundTenant;
  locale?: string;
}

export interface SayOptions {
  from?: PlaygroundUser;
  /** Default: true outside personal chat (Teams only delivers group and channel messages that mention the bot). */
  mention?: boolean;
}

export interface ChannelPostOptions extends SayOptions {
  /** Default: the lab team's "Patching" channel; pass the team id for General. */
  channelId?: string;
  /** Reply in this thread (root post id) instead of starting a new post. */
  threadRootId?: string;
}

export interface PressOptions {
  conversation: ConversationTarget;
  /** The message carrying the card. */
  replyToId: string;
  verb: string;
  data?: Record<string, unknown>;
  from?: PlaygroundUser;
}

async function readAnswer(response: Response, activity?: Activity): Promise<BotAnswer> {
  const text = await response.text();
  let body: unknown = text === '' ? undefined : text;
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, body, headers: response.headers, activity };
}

export class TeamsClient {
  readonly tenant: PlaygroundTenant;

  constructor(private readonly options: TeamsClientOptions) {
    this.tenant = options.tenant ?? LAB_TENANT;
  }

  get personalChat(): ConversationTarget {
    return personalChat(this.tenant);
  }

  get groupChat(): ConversationTarget {
    return groupChat(this.tenant);
  }

  /** A lab user by given name (`'Fay'`) or id. */
  user(nameOrId: string): PlaygroundUser {
    const found = allTenantUsers(this.tenant).find((u) => u.givenName === nameOrId || u.id === nameOrId);
    if (!found) throw new Error(`no lab user ${nameOrId}`);
    return found;
  }

  private get base() {
    return { serviceUrl: this.options.serviceUrl, tenant: this.tenant, locale: this.options.locale };
  }

  /** A 1:1 message (no mention). */
  sayInPersonalChat(text: string, options: SayOptions = {}): Promise<BotAnswer> {
    return this.post(
      messageActivity(this.personalChat, text, {
        ...this.base,
        ...options,
        mention: options.mention ?? false,
      }),
    );
  }

  /** A group chat message, `<at>Bot</at>` mention included by default. */
  sayInGroupChat(text: string, options: SayOptions = {}): Promise<BotAnswer> {
    return this.post(messageActivity(this.groupChat, text, { ...this.base, ...options }));
  }

  /**
   * A new channel post (its conversation id is `<channel>;messageid=<its own id>`), or a reply in
   * an existing thread with `threadRootId`. The answer's `activity.conversation.id` is the thread.
   */
  postInChannel(text: string, options: ChannelPostOptions = {}): Promise<BotAnswer> {
    const channelId = options.channelId ?? this.tenant.team.channel.id;
    const id = nextMessageId();
    const root = options.threadRootId ?? id;
    const activity = messageActivity(channelThread(root, channelId), text, {
      ...this.base,
      from: options.from,
      mention: options.mention,
      id,
      ...(options.threadRootId ? { replyToId: options.threadRootId } : {}),
    });
    return this.post(activity);
  }

  /** Presses an Action.Execute button on a card, as any member of the conversation. */
  pressCardButton(options: PressOptions): Promise<BotAnswer> {
    return this.post(
      cardActionActivity(options.conversation, {
        ...this.base,
        from: options.from,
        replyToId: options.replyToId,
        verb: options.verb,
        data: options.data,
      }),
    );
  }

  /** conversationUpdate with the bot in membersAdded (the bot was added to the chat or team). */
  botAdded(target: ConversationTarget, from?: PlaygroundUser): Promise<BotAnswer> {
    return this.post(botAddedActivity(target, { ...this.base, from }));
  }

  installationUpdate(
    target: ConversationTarget,
    action: 'add' | 'remove',
    from?: PlaygroundUser,
  ): Promise<BotAnswer> {
    return this.post(installationUpdateActivity(target, action, { ...this.base, from }));
  }

  /** Posts any activity as JSON. */
  async post(activity: Activity, headers: Record<string, string> = {}): Promise<BotAnswer> {
    const response = await fetch(this.options.botEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(activity),
    });
    return readAnswer(response, activity);
  }

  /** Posts bytes as they are (malformed JSON, wrong content types, huge bodies) for hostile tests. */
  async postRaw(body: string | Uint8Array, headers: Record<string, string> = {}): Promise<BotAnswer> {
    const response = await fetch(this.options.botEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      // A copy typed as backed by a plain ArrayBuffer, which fetch's body type requires.
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    return readAnswer(response);
  }
}

export function createTeamsClient(options: TeamsClientOptions): TeamsClient {
  return new TeamsClient(options);
}
