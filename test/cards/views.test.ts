import { describe, expect, it } from 'vitest';
import { createViews, VERBS } from '../../src/cards/index.js';
import { createTranslator } from '../../src/i18n/index.js';
import type { RunnerRecord } from '../../src/store/store.js';
import {
  ALICE,
  at,
  awaitingRun,
  BOB,
  baseRun,
  CAROL,
  failedRun,
  mustPlan,
  nowAt,
  PROFILE,
  runningRun,
} from './fixtures.js';
import { validateCard, visibleText } from './validate-card.js';

const t = createTranslator('en-US');
const plan = mustPlan();
type Card = { refresh?: { userIds: string[] }; actions?: { verb: string }[] };
const verbs = (card: Record<string, unknown>) => ((card as Card).actions ?? []).map((a) => a.verb);

describe('createViews', () => {
  const views = createViews({ now: () => nowAt(19) });

  it('shows Confirm / Cancel to the requester and on the shared card, not to others', () => {
    const run = baseRun(plan);
    expect(verbs(views.runCard(run, t, ALICE).content)).toEqual([VERBS.planConfirm, VERBS.planCancel]);
    expect(verbs(views.runCard(run, t).content)).toEqual([VERBS.planConfirm, VERBS.planCancel]);
    expect(verbs(views.runCard(run, t, BOB).content)).toEqual([]);
  });

  it('never offers the requester their own approval', () => {
    const run = awaitingRun(plan);
    expect(verbs(views.runCard(run, t, BOB).content)).toEqual([VERBS.runApprove, VERBS.runReject]);
    expect(verbs(views.runCard(run, t, ALICE).content)).toEqual([]);
  });

  it('with known approvers, targets them through refresh.userIds and hides the buttons from others', () => {
    const targeted = createViews({ approverIds: [BOB.id, CAROL.id], now: () => nowAt(19) });
    const run = awaitingRun(plan);
    const shared = targeted.runCard(run, t).content;
    expect(verbs(shared)).toEqual([]);
    expect((shared as Card).refresh?.userIds).toEqual([BOB.id, CAROL.id]);
    expect(verbs(targeted.runCard(run, t, CAROL).content)).toEqual([VERBS.runApprove, VERBS.runReject]);
    expect(verbs(targeted.runCard(run, t, { id: '29:mallory', name: 'Mallory' }).content)).toEqual([]);
  });

  it('shows progress once the run is under way, and the plan state for one that never started', () => {
    const running = views.runCard(runningRun(plan), t).content;
    expect(visibleText(running)).toContain('Step 15 of 22: Install the cumulative update');
    const rejected = views.runCard(baseRun(plan, { status: 'rejected', endedAt: at(3) }), t).content;
    expect(visibleText(rejected)).toContain('⛔ Rejected');
    expect(verbs(rejected)).toEqual([]);
  });

  it('renders every view as a valid card and never shows a runner secret', () => {
    const failed = failedRun(plan);
    const runner: RunnerRecord = {
      id: 'r-backend01',
      server: 'backend01',
      secret: 'do-not-show-me',
      createdAt: at(0),
      lastSeenAt: at(18),
      info: { runnerId: 'r-backend01', version: '0.1.0', profile: PROFILE },
    };
    const cards = [
      views.preview(plan, t),
      views.stepReply(failed, failed.steps[0]!, t),
      views.failure(failed, failed.steps[12]!, t),
      views.summary(failed, t),
      views.help(t, null),
      views.status([failed], t),
      views.history([failed], t),
      views.runners([runner], t),
    ];
    for (const card of cards) expect(validateCard(card.content)).toEqual([]);
    expect(JSON.stringify(cards)).not.toContain('do-not-show-me');
  });
});
