/** Records the contract tests save, as the bot would make them. Runs come from ../support.ts. */
import type { ServerFacts } from '../../../src/procedure/index.js';
import type { PackageChange } from '../../../src/store/package-catalog.js';
import type { AuditEvent, ConversationRecord, RunnerRecord } from '../../../src/store/store.js';
import { profile } from '../../procedure/fixtures.js';
import { ALEX, CONVERSATION } from '../support.js';
import type { Clock } from './stores.js';

/** A clock the test moves by hand (a run finishing next month, a later heartbeat). */
export function settableClock(start: string): Clock & { set(at: string): void } {
  let now = new Date(start);
  const clock = () => new Date(now);
  clock.set = (at: string) => void (now = new Date(at));
  return clock;
}

export function conversation(id: string, locale: string | null = null): ConversationRecord {
  return {
    conversationId: id,
    reference: { conversation: { id }, serviceUrl: 'https://smba.example/' },
    locale,
  };
}

export function runner(id: string, server: string, overrides: Partial<RunnerRecord> = {}): RunnerRecord {
  return {
    id,
    server,
    secret: `secret-of-${id}-5f0c1d2e3b4a69788796a5b4c3d2e1f0`,
    createdAt: '2026-11-23T01:00:00.000Z',
    lastSeenAt: null,
    info: null,
    ...overrides,
  };
}

export const FACTS: ServerFacts = {
  readAt: '2026-11-23T01:59:00.000Z',
  product: 'sfb2019',
  installedVersion: '7.0.2046.520',
  components: [{ name: 'Core Components', version: '7.0.2046.520' }],
  edition: 'standard',
  poolFqdn: 'backend01.contoso.local',
  sqlServerFqdn: null,
  collocatedStores: null,
  mirrored: null,
  pendingRestart: false,
  freeSpaceGb: 40.2,
  powershellVersion: '5.1',
  csServiceCount: 12,
};

/** What a heartbeat tells the store. */
export function beat(id: string, server: string, at: string, facts?: ServerFacts) {
  return {
    lastSeenAt: at,
    info: { runnerId: id, version: '0.1.0', profile: profile('sfb2019', server) },
    ...(facts ? { facts } : {}),
  };
}

const SHA = 'AB'.repeat(32);

export function packageChange(over: Partial<PackageChange> = {}): PackageChange {
  const version = over.version ?? '7.0.2046.530';
  return {
    id: 0,
    action: 'add',
    product: 'sfb2019',
    version,
    entry: {
      source: 'https://files.contoso.local/cu/SkypeServerUpdateInstaller.exe',
      fileName: 'SkypeServerUpdateInstaller.exe',
      sha256: SHA,
      version,
    },
    proposedBy: ALEX,
    proposedAt: '2026-11-23T02:00:00.000Z',
    conversationId: CONVERSATION,
    locale: 'en-US',
    approvalsRequired: 1,
    decisions: [],
    expiresAt: '2026-11-23T03:00:00.000Z',
    status: 'awaiting-approval',
    cardActivityId: null,
    ...over,
  };
}

export function auditEvent(at: string, action: string, runId?: number): AuditEvent {
  return {
    at,
    action,
    actor: { id: ALEX.id, name: ALEX.name },
    runId,
    server: 'backend01',
    conversationId: CONVERSATION,
    detail: { note: `${action} at ${at}` },
  };
}
