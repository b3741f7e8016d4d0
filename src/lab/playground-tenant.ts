/**
 * The mock Teams tenant the Microsoft 365 Agents Playground shows in lab mode and in the
 * end-to-end tests. Ids are fixed so tests, the bot's lab configuration (approvers) and the
 * playground agree without passing anything around.
 */

export interface PlaygroundUser {
  /** Teams user id (`29:...`), the `from.id` of the user's activities. */
  readonly id: string;
  readonly name: string;
  readonly givenName: string;
  readonly surname: string;
  readonly aadObjectId: string;
  readonly email: string;
  readonly userPrincipalName: string;
  /** Whether lab mode treats this person as a Teams administrator allowed to run and approve patches. */
  readonly isTeamsAdmin: boolean;
}

export interface PlaygroundChannel {
  readonly id: string;
  readonly name: string;
}

export interface PlaygroundTenant {
  readonly tenantId: string;
  readonly bot: { readonly id: string; readonly name: string };
  /** The person at the keyboard: every message typed in the playground comes from this user. */
  readonly currentUser: PlaygroundUser;
  /** The playground requires exactly five users besides the current user. */
  readonly otherUsers: readonly PlaygroundUser[];
  readonly personalChat: { readonly id: string };
  readonly groupChat: { readonly id: string; readonly name: string };
  readonly team: {
    readonly id: string;
    readonly name: string;
    readonly aadGroupId: string;
    /** The General channel's conversation id is the team id (as in Teams). */
    readonly generalChannel: PlaygroundChannel;
    /** The playground allows at most one channel besides General. */
    readonly channel: PlaygroundChannel;
  };
}

export const PLAYGROUND_USERS_BESIDES_CURRENT = 5;

function labUser(
  key: string,
  givenName: string,
  surname: string,
  objectIdSuffix: string,
  isTeamsAdmin: boolean,
): PlaygroundUser {
  const email = `${key}@contoso.local`;
  return {
    id: `29:lab-user-${key}`,
    name: `${givenName} ${surname}`,
    givenName,
    surname,
    aadObjectId: `00000000-0000-4000-8000-${objectIdSuffix}`,
    email,
    userPrincipalName: email,
    isTeamsAdmin,
  };
}

export const LAB_TENANT: PlaygroundTenant = {
  tenantId: '00000000-0000-4000-8000-0000000c0de0',
  bot: { id: '28:PatchBot', name: 'PatchBot' },
  currentUser: labUser('alex', 'Alex', 'Admin', '00000000a001', true),
  otherUsers: [
    labUser('bea', 'Bea', 'Approver', '00000000a002', true),
    labUser('chen', 'Chen', 'Operator', '00000000a003', true),
    labUser('dana', 'Dana', 'Auditor', '00000000a004', true),
    labUser('eli', 'Eli', 'Guest', '00000000a005', true),
    // The playground insists on five users besides the current one; a non-admin is useful for
    // "who may approve" tests.
    labUser('fay', 'Fay', 'Visitor', '00000000a006', false),
  ],
  personalChat: { id: 'a:lab-personal-chat-alex' },
  groupChat: { id: '19:lab-patch-group@thread.v2', name: 'Patch Coordination' },
  team: {
    id: '19:lab-it-ops-general@thread.tacv2',
    name: 'IT Ops',
    aadGroupId: '00000000-0000-4000-8000-00000000f001',
    generalChannel: { id: '19:lab-it-ops-general@thread.tacv2', name: 'General' },
    channel: { id: '19:lab-it-ops-patching@thread.tacv2', name: 'Patching' },
  },
};

export function allTenantUsers(tenant: PlaygroundTenant): readonly PlaygroundUser[] {
  return [tenant.currentUser, ...tenant.otherUsers];
}

export function teamsAdmins(tenant: PlaygroundTenant): readonly PlaygroundUser[] {
  return allTenantUsers(tenant).filter((user) => user.isTeamsAdmin);
}

/** Labels of the playground's conversation list, e.g. for selecting a conversation in the UI. */
export function conversationLabels(tenant: PlaygroundTenant): {
  personalChat: string;
  groupChat: string;
  generalChannel: string;
  channel: string;
} {
  return {
    personalChat: 'Personal Chat',
    groupChat: tenant.groupChat.name,
    generalChannel: `${tenant.team.name} - ${tenant.team.generalChannel.name}`,
    channel: `${tenant.team.name} - ${tenant.team.channel.name}`,
  };
}

// JSON strings are valid YAML double-quoted scalars, so quoting every value keeps ids like
// `29:...` or `a:...` from being read as YAML syntax.
const quote = (value: string): string => JSON.stringify(value);

function userYaml(user: PlaygroundUser, indent: string): string[] {
  return [
    `id: ${quote(user.id)}`,
    `name: ${quote(user.name)}`,
    // The playground's schema spells it "Principle".
    `userPrincipleName: ${quote(user.userPrincipalName)}`,
    `aadObjectId: ${quote(user.aadObjectId)}`,
    `givenName: ${quote(user.givenName)}`,
    `surname: ${quote(user.surname)}`,
    `email: ${quote(user.email)}`,
  ].map((line) => indent + line);
}

/** The playground's config file (schema version 0.1.1) for a tenant. */
export function renderTenantYaml(tenant: PlaygroundTenant): string {
  if (tenant.otherUsers.length !== PLAYGROUND_USERS_BESIDES_CURRENT) {
    throw new Error(
      `The playground needs exactly ${PLAYGROUND_USERS_BESIDES_CURRENT} users besides the current user, got ${tenant.otherUsers.length}`,
    );
  }
  if (tenant.team.generalChannel.id !== tenant.team.id) {
    throw new Error('The General channel id must equal the team id');
  }
  const lines = [
    'version: "0.1.1"',
    `tenantId: ${quote(tenant.tenantId)}`,
    'bot:',
    `  id: ${quote(tenant.bot.id)}`,
    `  name: ${quote(tenant.bot.name)}`,
    'currentUser:',
    ...userYaml(tenant.currentUser, '  '),
    'users:',
    ...tenant.otherUsers.flatMap((user) => {
      const [first = '', ...rest] = userYaml(user, '    ');
      return [`  - ${first.trimStart()}`, ...rest];
    }),
    'personalChat:',
    `  id: ${quote(tenant.personalChat.id)}`,
    'groupChat:',
    `  id: ${quote(tenant.groupChat.id)}`,
    `  name: ${quote(tenant.groupChat.name)}`,
    'team:',
    `  id: ${quote(tenant.team.id)}`,
    `  name: ${quote(tenant.team.name)}`,
    `  aadGroupId: ${quote(tenant.team.aadGroupId)}`,
    '  channels:',
    `    - id: ${quote(tenant.team.channel.id)}`,
    `      name: ${quote(tenant.team.channel.name)}`,
  ];
  return `${lines.join('\n')}\n`;
}
