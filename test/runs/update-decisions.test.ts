import { describe, expect, it } from 'vitest';
import type { ServerFacts } from '../../src/procedure/index.js';
import type { UpdateAsk } from '../../src/runs/service.js';
import type { Store } from '../../src/store/store.js';
import type { RunRecord } from '../../src/store/types.js';
import { profile } from '../procedure/fixtures.js';
import { ALEX, BEA, CONVERSATION, EVE, actor, makeService } from './support.js';

const SFB_PACKAGE = '7.0.2046.530';

function facts(overrides: Partial<ServerFacts> = {}): ServerFacts {
  const installedVersion =
    overrides.installedVersion === undefined ? '7.0.2046.385' : overrides.installedVersion;
  return {
    readAt: '2026-11-23T01:55:00.000Z',
    product: 'sfb2019',
    installedVersion,
    components: installedVersion
      ? [{ name: 'Skype for Business Server 2019, Core Components', version: installedVersion }]
      : [],
    edition: 'standard',
    poolFqdn: 'backend01.contoso.local',
    sqlServerFqdn: null,
    collocatedStores: null,
    mirrored: null,
    pendingRestart: false,
    freeSpaceGb: 40,
    powershellVersion: '5.1',
    csServiceCount: 12,
    ...overrides,
  };
}

const ENTERPRISE_FACTS = facts({
  edition: 'enterprise',
  poolFqdn: 'pool01.contoso.local',
  sqlServerFqdn: 'sql01.contoso.local',
  collocatedStores: true,
  mirrored: false,
});

/** Records what the runner of `server` reported, as a heartbeat with facts would. */
async function report(store: Store, server: string, reported: ServerFacts | null): Promise<void> {
  const runner = store.runners().find((r) => r.server === server)!;
  await store.saveRunner({ ...runner, facts: reported });
}

const ask = (overrides: Partial<UpdateAsk> = {}): UpdateAsk => ({
  server: 'backend01',
  edition: 'standard',
  ...overrides,
});

describe('planning with the server facts', () => {
  it('answers nothing to do when the server already runs the package version: no run, audited', async () => {
    const { service, store } = await makeService();
    await report(store, 'backend01', facts({ installedVersion: SFB_PACKAGE }));
    const result = await service.request({
      request: ask(),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!result.ok && result.refusal).toMatchObject({
      key: 'update.nothing-to-do',
      params: { server: 'backend01', installed: SFB_PACKAGE },
    });
    expect(store.liveRuns()).toHaveLength(0);
    const audit = await store.readAudit();
    expect(audit.at(-1)).toMatchObject({ action: 'refuse', detail: { why: 'nothing-to-do' } });
    // `plan` says the same: nothing would be planned.
    const preview = await service.preview(ask());
    expect(!preview.ok && preview.refusal.key).toBe('update.nothing-to-do');
  });

  it('refuses a downgrade, showing the newer component and the package version, even with force', async () => {
    const { service, store } = await makeService({ approvers: [ALEX.id] });
    await report(
      store,
      'backend01',
      facts({
        installedVersion: '7.0.2046.385',
        components: [
          { name: 'Core Components', version: '7.0.2046.385' },
          { name: 'Conferencing Server', version: '7.0.2046.600' },
        ],
      }),
    );
    for (const force of [false, true]) {
      const result = await service.request({
        request: ask({ force }),
        requester: ALEX,
        conversationId: CONVERSATION,
        locale: 'en-US',
      });
      expect(!result.ok && result.refusal).toMatchObject({
        key: 'update.downgrade',
        params: { installed: '7.0.2046.600', component: 'Conferencing Server', package: SFB_PACKAGE },
      });
    }
    expect(store.liveRuns()).toHaveLength(0);
  });

  it('lets an approver force the same version, and says so on the plan and in the audit', async () => {
    const { service, store } = await makeService({ approvers: [BEA.id] });
    await report(store, 'backend01', facts({ installedVersion: SFB_PACKAGE }));
    const refused = await service.request({
      request: ask({ force: true }),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!refused.ok && refused.refusal.key).toBe('update.force-not-allowed');
    expect(store.liveRuns()).toHaveLength(0);

    const forced = await service.request({
      request: ask({ force: true }),
      requester: BEA,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(forced.ok).toBe(true);
    if (!forced.ok) return;
    expect(forced.value.plan.request.force).toBe(true);
    expect(forced.value.plan.notes?.map((n) => n.key)).toContain('plan.note.force');
    const audit = (await store.readAudit()).find((e) => e.action === 'request');
    expect(audit?.detail).toMatchObject({ force: 'same-version', installedVersion: SFB_PACKAGE });
  });

  it('plans a real update with the version change on the plan; force changes nothing there', async () => {
    const { service, store } = await makeService();
    await report(store, 'backend01', facts());
    const result = await service.request({
      request: ask({ force: true }),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.plan.request.force).toBe(false);
    expect(result.value.plan.notes).toContainEqual({
      key: 'update.note.version-change',
      params: { installed: '7.0.2046.385', package: SFB_PACKAGE },
    });
  });

  it('refuses a Confirm when the server reached the package version after the plan was made', async () => {
    const { service, store } = await makeService();
    await report(store, 'backend01', facts());
    const first = await service.request({
      request: ask(),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    const second = await service.request({
      request: ask(),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    if (!first.ok || !second.ok) throw new Error('both plans should be made');
    // The first one ran; the runner reports the new version.
    await report(store, 'backend01', facts({ installedVersion: SFB_PACKAGE }));
    const confirm = await service.confirm(second.value.id, actor(ALEX));
    expect(!confirm.ok && confirm.refusal).toMatchObject({
      key: 'update.nothing-to-do',
      params: { installed: SFB_PACKAGE },
    });
    expect(store.getRun(second.value.id)?.status).toBe('planned');
    expect((await store.readAudit()).at(-1)).toMatchObject({
      action: 'refuse',
      runId: second.value.id,
      detail: { why: 'nothing-to-do', attempted: 'confirm' },
    });
  });

  it('plans as before when no facts were reported, noting the version could not be compared', async () => {
    const { service } = await makeService();
    const result = await service.request({
      request: ask(),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.plan.notes?.map((n) => n.key)).toContain('update.note.version-unknown');
  });
});

describe('the package to plan with', () => {
  it('refuses clearly when neither the runner nor the catalog has a package, then plans with the newest catalog entry', async () => {
    const { service, store } = await makeService();
    const runner = store.runners().find((r) => r.server === 'backend01')!;
    const info = runner.info!;
    const { package: _override, ...withoutOverride } = info.profile;
    await store.saveRunner({ ...runner, info: { ...info, profile: withoutOverride as typeof info.profile } });
    const refused = await service.request({
      request: ask(),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!refused.ok && refused.refusal).toMatchObject({
      key: 'update.no-package',
      params: { server: 'backend01', product: 'sfb2019' },
    });
    expect((await store.readAudit()).at(-1)?.detail).toMatchObject({ why: 'no-package' });
    for (const version of ['7.0.2046.540', '7.0.2046.551', '7.0.2046.530']) {
      await store.savePackageChange({
        id: 0,
        action: 'add',
        product: 'sfb2019',
        version,
        entry: {
          source: `https://updates.contoso.local/sfb2019/${version}/SkypeServerUpdateInstaller.exe`,
          fileName: 'SkypeServerUpdateInstaller.exe',
          sha256: 'b'.repeat(64),
          version,
        },
        proposedBy: BEA,
        proposedAt: '2026-11-23T01:00:00.000Z',
        conversationId: CONVERSATION,
        locale: 'en-US',
        approvalsRequired: 0,
        decisions: [],
        expiresAt: '2026-11-23T02:00:00.000Z',
        status: 'applied',
        cardActivityId: null,
      });
    }
    const planned = await service.preview(ask());
    expect(planned.ok && planned.value.plan.package?.version).toBe('7.0.2046.551');
  });
});

describe('the edition from the facts', () => {
  it('takes edition, SQL Server, collocated stores, pool and mirroring from the facts when left out', async () => {
    const { service, store } = await makeService();
    await report(store, 'be01', ENTERPRISE_FACTS);
    const result = await service.preview({ server: 'be01', edition: null });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { plan } = result.value;
    expect(plan.request).toMatchObject({
      edition: 'enterprise',
      sqlServerFqdn: 'sql01.contoso.local',
      collocated: true,
      poolFqdn: 'pool01.contoso.local',
      mirrored: false,
    });
    expect(plan.variant).toBe('enterprise-collocated');
    expect(plan.notes?.map((n) => n.key)).toContain('update.note.from-facts');
  });

  it('refuses a typed edition that contradicts the facts, showing both', async () => {
    const { service, store } = await makeService();
    await report(store, 'backend01', facts({ edition: 'enterprise', sqlServerFqdn: 'sql01.contoso.local' }));
    const result = await service.request({
      request: ask({ edition: 'standard' }),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!result.ok && result.refusal).toMatchObject({
      key: 'update.edition-mismatch',
      params: { server: 'backend01', typed: 'standard', reported: 'enterprise' },
    });
    expect(store.liveRuns()).toHaveLength(0);
    expect((await store.readAudit()).at(-1)?.detail).toMatchObject({ why: 'edition-mismatch' });
  });

  it('refuses a typed SQL Server or collocated flag that contradicts the facts', async () => {
    const { service, store } = await makeService();
    await report(store, 'be01', { ...ENTERPRISE_FACTS, collocatedStores: false });
    const sql = await service.preview({
      server: 'be01',
      edition: 'enterprise',
      sqlServerFqdn: 'sql02.contoso.local',
    });
    expect(!sql.ok && sql.refusal).toMatchObject({
      key: 'update.sql-mismatch',
      params: { typed: 'sql02.contoso.local', reported: 'sql01.contoso.local' },
    });
    const same = await service.preview({
      server: 'be01',
      edition: 'enterprise',
      sqlServerFqdn: 'SQL01.contoso.local',
    });
    expect(same.ok).toBe(true);
    const collocated = await service.preview({ server: 'be01', edition: null, collocated: true });
    expect(!collocated.ok && collocated.refusal.key).toBe('update.collocated-mismatch');
  });

  it('keeps "update backend01 standard" working, and asks when nothing tells the edition', async () => {
    const { service, store } = await makeService();
    await report(store, 'backend01', facts());
    expect((await service.preview(ask())).ok).toBe(true);
    const runner = store.runners().find((r) => r.server === 'backend01')!;
    await store.saveRunner({
      ...runner,
      facts: null,
      info: { ...runner.info!, profile: profile('sfb2019', 'backend01') },
    });
    expect(service.reported('backend01')).toEqual({ edition: null, sqlServerFqdn: null });
    const result = await service.preview({ server: 'backend01', edition: null });
    expect(!result.ok && result.refusal.key).toBe('update.edition-unknown');
  });
});

describe('check <server>', () => {
  const checkInput = (server = 'backend01', requester = ALEX) => ({
    server,
    requester,
    conversationId: CONVERSATION,
    locale: 'en-US',
  });

  it('records a check of the prestage steps only, queued without confirmation, one run per server', async () => {
    const { service, store } = await makeService();
    const created = await service.check(checkInput());
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const run = created.value;
    expect(run.kind).toBe('check');
    expect(run.plan.steps.length).toBeGreaterThan(0);
    expect(run.plan.steps.every((s) => s.phase === 'prestage')).toBe(true);
    expect(run.steps).toHaveLength(run.plan.steps.length);
    const started = await service.startCheck(run.id);
    expect(started.ok && started.value.status).toBe('queued');
    expect(store.getRun(run.id)?.approvalsRequired).toBe(0);

    const again = await service.check(checkInput());
    expect(!again.ok && again.refusal.key).toBe('bot.run-exists');
    const update = await service.request({
      request: ask(),
      requester: ALEX,
      conversationId: CONVERSATION,
      locale: 'en-US',
    });
    expect(!update.ok && update.refusal.key).toBe('bot.run-exists');
  });

  it('needs the requester permission and a known server', async () => {
    const { service, store } = await makeService({ requesters: [ALEX.id] });
    const refused = await service.check(checkInput('backend01', EVE));
    expect(!refused.ok && refused.refusal.key).toBe('bot.not-allowed.request');
    const unknown = await service.check(checkInput('backend1'));
    expect(!unknown.ok && unknown.refusal.key).toBe('bot.unknown-server.suggest');
    expect(store.liveRuns()).toHaveLength(0);
    expect((await store.readAudit()).filter((e) => e.detail?.attempted === 'check')).toHaveLength(2);
  });

  it('ends a not-ready check instead of holding the server, and a ready one is noted on a later plan', async () => {
    const { service, store, advance } = await makeService();
    const first = await service.check(checkInput());
    if (!first.ok) throw new Error(first.refusal.key);
    await service.startCheck(first.value.id);
    const fail = first.value.steps[2]!;
    await service.dispatcher.acceptResult('rn-backend01', result(first.value, 0, 'succeeded'));
    await service.dispatcher.acceptResult('rn-backend01', result(first.value, fail.index, 'failed'));
    expect(store.getRun(first.value.id)).toBeUndefined();
    expect((await store.findRun(first.value.id))?.status).toBe('aborted');
    const plain = await service.preview(ask());
    expect(plain.ok && plain.value.plan.notes?.map((n) => n.key)).not.toContain('update.note.checked-ready');

    const second = await service.check(checkInput());
    if (!second.ok) throw new Error(second.refusal.key);
    await service.startCheck(second.value.id);
    for (const step of second.value.steps)
      await service.dispatcher.acceptResult('rn-backend01', result(second.value, step.index, 'succeeded'));
    expect((await store.findRun(second.value.id))?.status).toBe('succeeded');
    const noted = await service.preview(ask());
    expect(noted.ok && noted.value.plan.notes).toContainEqual({
      key: 'update.note.checked-ready',
      params: { time: expect.any(String), runId: second.value.id },
    });
    advance(61 * 60_000);
    const stale = await service.preview(ask());
    expect(stale.ok && stale.value.plan.notes?.map((n) => n.key)).not.toContain('update.note.checked-ready');
  });
});

function result(run: RunRecord, index: number, status: 'succeeded' | 'failed') {
  const step = run.plan.steps[index]!;
  return {
    key: run.jobKey,
    runId: run.id,
    attempt: run.attempt,
    stepId: step.id,
    index,
    status,
    startedAt: '2026-11-23T02:01:00.000Z',
    endedAt: '2026-11-23T02:01:01.000Z',
    durationMs: 1000,
    exitCode: status === 'succeeded' ? 0 : 1,
    stdout: status === 'succeeded' ? 'ok' : '',
    stderr: status === 'succeeded' ? '' : 'Another management shell is open.',
    truncated: false,
    errorExcerpt: status === 'succeeded' ? null : 'Another management shell is open.',
  };
}
