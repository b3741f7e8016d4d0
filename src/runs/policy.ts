import type { Person } from '../store/types.js';

/** A weekly maintenance window in a time zone, e.g. Sat-Sun 01:00-05:00 Europe/Berlin. */
export interface MaintenanceWindow {
  /** 0 = Sunday ... 6 = Saturday */
  days: number[];
  /** HH:MM, 24 h; end may be earlier than start for windows that cross midnight. */
  start: string;
  end: string;
  timeZone: string;
}

export interface Pool {
  name: string;
  servers: string[];
  /** How many servers of the pool may be patched at once. */
  maxConcurrentRuns: number;
}

/** Who may do what; read from config at start-up (see .env.example). */
export interface Policy {
  /** Teams user ids (29:...) or AAD object ids; ['*'] = everyone in the conversation. */
  requesters: string[];
  approvers: string[];
  /**
   * Who may read every run with `status` and `history`, besides the run's own conversation and the
   * requesters and approvers named by id. ['*'] = everyone (the behaviour before this setting).
   */
  readers: string[];
  /** Approvals a run needs before it starts (0 = none). */
  approvalsRequired: number;
  approvalExpiryMinutes: number;
  /** Per server (or '*' for all) allowed windows; a server without one may be patched any time. */
  maintenanceWindows: Record<string, MaintenanceWindow[]>;
  pools: Pool[];
}

export const DEFAULT_POLICY: Policy = {
  requesters: ['*'],
  approvers: [],
  readers: [],
  approvalsRequired: 0,
  approvalExpiryMinutes: 60,
  maintenanceWindows: {},
  pools: [],
};

function matches(list: string[], person: Person): boolean {
  return (
    list.includes('*') ||
    list.includes(person.id) ||
    (!!person.aadObjectId && list.includes(person.aadObjectId))
  );
}

export function mayRequest(policy: Policy, person: Person): boolean {
  return matches(policy.requesters, person);
}

export function mayApprove(policy: Policy, person: Person): boolean {
  return matches(policy.approvers, person);
}

/** A list entry naming this person (by Teams or AAD id); '*' does not count. */
function names(list: string[], person: Person): boolean {
  return list.includes(person.id) || (!!person.aadObjectId && list.includes(person.aadObjectId));
}

/** The conversation a message belongs to, without the thread: a channel's threads are one channel. */
export function conversationRoot(conversationId: string): string {
  return conversationId.split(';')[0] ?? conversationId;
}

/**
 * Who may read a run (status, history): anyone in the conversation (channel) it was requested
 * in; the people named as requesters or approvers (a '*' lets everyone request in their own
 * chat, not read everyone else's runs); and PATCHBOT_READERS.
 */
export function mayRead(
  policy: Pick<Policy, 'requesters' | 'approvers' | 'readers'>,
  reader: { person: Person; conversationId: string },
  run: { conversationId: string },
): boolean {
  return (
    conversationRoot(run.conversationId) === conversationRoot(reader.conversationId) ||
    names(policy.requesters, reader.person) ||
    names(policy.approvers, reader.person) ||
    matches(policy.readers, reader.person)
  );
}

export function samePerson(a: Person, b: Person): boolean {
  return a.id === b.id || (!!a.aadObjectId && a.aadObjectId === b.aadObjectId);
}

/** Minutes since Sunday 00:00 in the window's time zone, and the weekday there. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function localWeekMinute(at: Date, timeZone: string): { day: number; minute: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function insideWindow(at: Date, window: MaintenanceWindow): boolean {
  const { day, minute } = localWeekMinute(at, window.timeZone);
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  if (start < end) return window.days.includes(day) && minute >= start && minute < end;
  // Crosses midnight: the part after midnight belongs to the previous day's window.
  return (
    (window.days.includes(day) && minute >= start) || (window.days.includes((day + 6) % 7) && minute < end)
  );
}

export function windowsFor(policy: Policy, server: string): MaintenanceWindow[] {
  return policy.maintenanceWindows[server] ?? policy.maintenanceWindows['*'] ?? [];
}

/** null when the server may be patched at `at`; otherwise the next minute a window opens. */
export function nextAllowedTime(policy: Policy, server: string, at: Date): Date | null {
  const windows = windowsFor(policy, server);
  if (windows.length === 0 || windows.some((w) => insideWindow(at, w))) return null;
  const start = new Date(Math.ceil(at.getTime() / 60_000) * 60_000);
  for (let i = 0; i <= 8 * 24 * 60; i++) {
    const candidate = new Date(start.getTime() + i * 60_000);
    if (windows.some((w) => insideWindow(candidate, w))) return candidate;
  }
  return null;
}

export function poolOf(policy: Policy, server: string): Pool | undefined {
  return policy.pools.find((p) => p.servers.includes(server));
}
