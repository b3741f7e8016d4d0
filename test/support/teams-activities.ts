/**
 * Activities shaped the way Teams sends them to a bot (personal chat, group chat, channel posts
 * and thread replies with @mentions, Action.Execute invokes, installation events), for the lab
 * tenant in src/lab/playground-tenant.ts. Pure builders: teams-client.ts posts them.
 */
import { LAB_TENANT, type PlaygroundTenant, type PlaygroundUser } from '../../src/lab/playground-tenant.js';

export type Activity = Record<string, unknown> & { type: string; id: string };

/** Where an activity happens. Build one with personalChat(), groupChat(), channelThread(). */
export interface ConversationTarget {
  readonly conversationType: 'personal' | 'groupChat' | 'channel';
  readonly id: string;
  /** For channels: the channel (the General channel's id is the team id). */
  readonly channelId?: string;
}

export const personalChat = (tenant: PlaygroundTenant = LAB_TENANT): ConversationTarget => ({
  conversationType: 'personal',
  id: tenant.personalChat.id,
});

export const groupChat = (tenant: PlaygroundTenant = LAB_TENANT): ConversationTarget => ({
  conversationType: 'groupChat',
  id: tenant.groupChat.id,
});

/** A channel thread as Teams names it: `<channel id>;messageid=<root post id>`. */
export const channelThread = (
  rootMessageId: string,
  channelId: string = LAB_TENANT.team.channel.id,
): ConversationTarget => ({
  conversationType: 'channel',
  id: `${channelId};messageid=${rootMessageId}`,
  channelId,
});

let lastId = 0;
/** Teams message ids are epoch milliseconds; keep them unique and increasing within a process. */
export function nextMessageId(): string {
  lastId = Math.max(Date.now(), lastId + 1);
  return String(lastId);
}

export interface ActivityBase {
  serviceUrl: string;
  tenant?: PlaygroundTenant;
  from?: PlaygroundUser;
  locale?: string;
}

function account(user: PlaygroundUser): Record<string, string> {
  return { id: user.id, name: user.name, aadObjectId: user.aadObjectId };
}

function clientInfo(locale: string): Record<string, string> {
  return {
    type: 'clientInfo',
    locale,
    country: locale.split('-')[1] ?? 'US',
    platform: 'Web',
    timezone: 'UTC',
  };
}

function conversationOf(target: ConversationTarget, tenant: PlaygroundTenant): Record<string, unknown> {
  return {
    ...(target.conversationType === 'personal' ? {} : { isGroup: true }),
    conversationType: target.conversationType,
    tenantId: tenant.tenantId,
    id: target.id,
  };
}

function channelDataOf(target: ConversationTarget, tenant: PlaygroundTenant): Record<string, unknown> {
  if (target.conversationType !== 'channel') return { tenant: { id: tenant.tenantId } };
  const channelId = target.channelId ?? tenant.team.channel.id;
  const channelName =
    channelId === tenant.team.id ? tenant.team.generalChannel.name : tenant.team.channel.name;
  return {
    teamsChannelId: channelId,
    teamsTeamId: tenant.team.id,
    channel: { id: channelId, name: channelName },
    team: { id: tenant.team.id, name: tenant.team.name, aadGroupId: tenant.team.aadGroupId },
    tenant: { id: tenant.tenantId },
  };
}

/** The fields every Teams activity carries. */
export function envelope(
  type: string,
  target: ConversationTarget,
  base: ActivityBase,
  id: string = nextMessageId(),
): Activity {
  const tenant = base.tenant ?? LAB_TENANT;
  const locale = base.locale ?? 'en-US';
  const now = new Date().toISOString();
  return {
    type,
    id,
    timestamp: now,
    localTimestamp: now,
    channelId: 'msteams',
    serviceUrl: base.serviceUrl,
    from: account(base.from ?? tenant.currentUser),
    conversation: conversationOf(target, tenant),
    recipient: { id: tenant.bot.id, name: tenant.bot.name },
    entities: [clientInfo(locale)],
    channelData: channelDataOf(target, tenant),
    locale,
  };
}

export interface MessageOptions extends ActivityBase {
  /** Put `<at>Bot</at>` in front of the text with a mention entity; default: true outside personal chat. */
  mention?: boolean;
  /** For a reply in a channel thread: the root post (Teams sets replyToId to it). */
  replyToId?: string;
  id?: string;
}

export function messageActivity(target: ConversationTarget, text: string, options: MessageOptions): Activity {
  const tenant = options.tenant ?? LAB_TENANT;
  const activity = envelope('message', target, options, options.id);
  const mention = options.mention ?? target.conversationType !== 'personal';
  const mentionText = `<at>${tenant.bot.name}</at>`;
  const entities = activity.entities as unknown[];
  if (mention) {
    entities.unshift({
      type: 'mention',
      text: mentionText,
      mentioned: { id: tenant.bot.id, name: tenant.bot.name },
    });
  }
  return {
    ...activity,
    text: mention ? `${mentionText} ${text}` : text,
    textFormat: 'plain',
    attachments: [],
    ...(options.replyToId ? { replyToId: options.replyToId } : {}),
  };
}

export interface CardActionOptions extends ActivityBase {
  /** The message carrying the card. */
  replyToId: string;
  verb: string;
  data?: Record<string, unknown>;
  title?: string;
}

/** An `adaptiveCard/action` invoke, as Teams sends it when someone presses an Action.Execute button. */
export function cardActionActivity(target: ConversationTarget, options: CardActionOptions): Activity {
  const activity = envelope('invoke', target, options, `f:${nextMessageId()}`);
  return {
    ...activity,
    name: 'adaptiveCard/action',
    replyToId: options.replyToId,
    channelData: {
      ...(activity.channelData as Record<string, unknown>),
      source: { name: 'message' },
      legacy: { replyToId: options.replyToId },
    },
    value: {
      action: {
        type: 'Action.Execute',
        ...(options.title ? { title: options.title } : {}),
        verb: options.verb,
        data: options.data ?? {},
      },
      trigger: 'manual',
    },
  };
}

/** The conversationUpdate Teams sends when the bot is added to a chat or team. */
export function botAddedActivity(target: ConversationTarget, base: ActivityBase): Activity {
  const tenant = base.tenant ?? LAB_TENANT;
  const activity = envelope('conversationUpdate', target, base, `f:${nextMessageId()}`);
  const channelData = activity.channelData as Record<string, unknown>;
  return {
    ...activity,
    membersAdded: [{ id: tenant.bot.id }],
    channelData:
      target.conversationType === 'channel'
        ? { ...channelData, eventType: 'teamMemberAdded', settings: { selectedChannel: channelData.channel } }
        : channelData,
  };
}

/** The installationUpdate Teams sends when the app is installed ('add') or removed ('remove'). */
export function installationUpdateActivity(
  target: ConversationTarget,
  action: 'add' | 'remove',
  base: ActivityBase,
): Activity {
  return { ...envelope('installationUpdate', target, base, `f:${nextMessageId()}`), action };
}
