import { type DriverUpdate, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import {
  type FollowedOutcome,
  OUTCOME_FIELDS,
  RequestFollower,
  type RequestFollowerOptions,
} from './request-follower.js';

const TICKET = {
  session_id: 'session-0001',
  start_time: '2026-01-01T00:00:01.000Z',
  end_time: '2026-01-01T00:10:01.000Z',
  energy_kwh: 3.667,
  total_cost_eur: 1.1,
};

const update = (request_id: string, status: DriverUpdate['status'], extra: Partial<DriverUpdate> = {}) =>
  ({ request_id, driver_id: 'driver-1', cp_id: 'CP-001', status, ...extra }) as DriverUpdate;

/** A follower on a fresh VirtualClock that records what it reports, with the virtual time. */
function setup(options: Partial<RequestFollowerOptions<string>> = {}) {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const outcomes: { request: string; at: number; outcome: FollowedOutcome }[] = [];
  const accepted: string[] = [];
  const late: { request: string; update: DriverUpdate }[] = [];
  const unfollowed: DriverUpdate[] = [];
  const follower = new RequestFollower<string>({
    clock,
    timeoutMs: 30_000,
    ticketGraceMs: 5_000,
    onOutcome: (request, outcome) => outcomes.push({ request, at: clock.now() - t0, outcome }),
    onAccepted: (request) => accepted.push(request),
    onLateOutcome: (request, u) => {
      late.push({ request, update: u });
    },
    onUnfollowed: (u) => {
      unfollowed.push(u);
    },
    ...options,
  });
  /** Advances the clock to `ms` after the start. */
  const at = (ms: number) => clock.advance(t0 + ms - clock.now());
  return { clock, follower, outcomes, accepted, late, unfollowed, at };
}

describe('RequestFollower', () => {
  it.each(OUTCOME_FIELDS)('gathers %s from a progress update into the outcome', async (field) => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    const value = field === 'energy_kwh' || field === 'total_cost_eur' ? 1.5 : `${field}-value`;
    w.follower.handle(update('req-1', 'in_progress', { [field]: value }));
    w.follower.handle(update('req-1', 'failed'));
    expect(w.outcomes[0]?.outcome.info).toEqual({ [field]: value });
  });

  it('ends a request at its terminal status, with the reason and ticket gathered from its updates', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    w.follower.follow('req-2', 'trip-2');
    await w.at(1_000);
    w.follower.handle(update('req-1', 'accepted', { session_id: TICKET.session_id }));
    w.follower.handle(update('req-2', 'denied', { reason: 'CP-001 is busy' }));
    await w.at(2_000);
    w.follower.handle(update('req-1', 'completed', { ...TICKET, kw: 22 }));
    expect(w.outcomes).toEqual([
      {
        request: 'trip-2',
        at: 1_000,
        outcome: { status: 'denied', info: { reason: 'CP-001 is busy' }, accepted: false },
      },
      { request: 'trip-1', at: 2_000, outcome: { status: 'completed', info: TICKET, accepted: true } },
    ]);
    expect(w.follower.size).toBe(0);
    expect(w.clock.pending).toBe(0); // no timer left behind
    await w.at(3_600_000);
    expect(w.outcomes).toHaveLength(2);
  });

  it('after completed without a ticket, waits for the ticket and ends when it comes', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    await w.at(10_000);
    w.follower.handle(update('req-1', 'completed', { session_id: TICKET.session_id }));
    await w.at(13_000);
    expect(w.outcomes).toEqual([]);
    // Progress without a ticket changes nothing while the follower waits for the ticket.
    w.follower.handle(update('req-1', 'in_progress', { kwh: 1 }));
    await w.at(14_000);
    w.follower.handle(update('req-1', 'completed', TICKET));
    expect(w.outcomes).toEqual([
      { request: 'trip-1', at: 14_000, outcome: { status: 'completed', info: TICKET, accepted: false } },
    ]);
  });

  it('takes a ticket that comes on a non-terminal update while it waits', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    w.follower.handle(update('req-1', 'completed'));
    await w.at(1_000);
    w.follower.handle(update('req-1', 'in_progress', TICKET));
    expect(w.outcomes.map((o) => [o.at, o.outcome.status, o.outcome.info.energy_kwh])).toEqual([
      [1_000, 'completed', 3.667],
    ]);
  });

  it('reports completed without the ticket when the ticket grace expires', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    await w.at(20_000);
    w.follower.handle(update('req-1', 'accepted', { session_id: TICKET.session_id }));
    await w.at(28_000);
    w.follower.handle(update('req-1', 'completed'));
    // The pending timeout (at 50 s) is later than the grace: the grace ends it, at 28 s + 5 s.
    await w.at(32_999);
    expect(w.outcomes).toEqual([]);
    await w.at(33_000);
    expect(w.outcomes).toEqual([
      {
        request: 'trip-1',
        at: 33_000,
        outcome: { status: 'completed', info: { session_id: TICKET.session_id }, accepted: true },
      },
    ]);
  });

  it('with ticketGraceMs 0 ends at completed at once, ticket or not', () => {
    const w = setup({ ticketGraceMs: 0 });
    w.follower.follow('req-1', 'trip-1');
    w.follower.handle(update('req-1', 'completed'));
    expect(w.outcomes.map((o) => [o.at, o.outcome.status])).toEqual([[0, 'completed']]);
  });

  it('times out a request without any update after timeoutMs', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    await w.at(29_999);
    expect(w.outcomes).toEqual([]);
    await w.at(30_000);
    expect(w.outcomes).toEqual([
      { request: 'trip-1', at: 30_000, outcome: { status: 'timeout', info: {}, accepted: false } },
    ]);
  });

  it('counts the timeout from the last update: every progress update restarts it', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    for (let t = 20_000; t <= 100_000; t += 20_000) {
      await w.at(t);
      w.follower.handle(update('req-1', t === 20_000 ? 'accepted' : 'in_progress', { kwh: t / 1e5 }));
    }
    await w.at(129_999);
    expect(w.outcomes).toEqual([]);
    await w.at(130_000);
    expect(w.outcomes.map((o) => [o.at, o.outcome.status, o.outcome.accepted])).toEqual([
      [130_000, 'timeout', true],
    ]);
    expect(w.accepted).toEqual(['trip-1']);
  });

  it('once accepted, gives the session its window: the timeout is the later of the window and the silence', async () => {
    const w = setup({ sessionWindowMs: (trip) => (trip === 'long' ? 600_000 : 10_000) });
    w.follower.follow('req-long', 'long');
    w.follower.follow('req-short', 'short');
    await w.at(1_000);
    w.follower.handle(update('req-long', 'accepted'));
    w.follower.handle(update('req-short', 'accepted'));
    await w.at(300_000);
    // The short window is shorter than the silence timeout, which still holds: 1 s + 30 s.
    expect(w.outcomes.map((o) => [o.request, o.at, o.outcome.status])).toEqual([
      ['short', 31_000, 'timeout'],
    ]);
    w.follower.handle(update('req-long', 'in_progress'));
    await w.at(3_600_000);
    expect(w.outcomes.map((o) => [o.request, o.at])).toEqual([
      ['short', 31_000],
      ['long', 601_000],
    ]);
  });

  it('hands a terminal update for a timed-out request over as a late outcome, once', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    await w.at(30_000);
    expect(w.outcomes.map((o) => o.outcome.status)).toEqual(['timeout']);
    // A progress update after the timeout is not an outcome.
    w.follower.handle(update('req-1', 'in_progress'));
    await w.at(40_000);
    w.follower.handle(update('req-1', 'completed', TICKET));
    // The same update redelivered is no second late outcome: the owner gets it as unfollowed.
    w.follower.handle(update('req-1', 'completed', TICKET));
    expect(w.late).toEqual([{ request: 'trip-1', update: update('req-1', 'completed', TICKET) }]);
    expect(w.unfollowed.map((u) => u.status)).toEqual(['in_progress', 'completed']);
    expect(w.outcomes).toHaveLength(1);
  });

  it('passes a ticket that comes after the reported outcome to the owner, and remembers only lateLimit timeouts', async () => {
    const w = setup({ lateLimit: 2 });
    w.follower.follow('req-done', 'done');
    w.follower.handle(update('req-done', 'completed'));
    await w.at(5_000); // grace expired: reported without a ticket
    w.follower.handle(update('req-done', 'completed', TICKET));
    expect(w.unfollowed).toEqual([update('req-done', 'completed', TICKET)]);
    expect(w.late).toEqual([]);

    for (const id of ['a', 'b', 'c']) w.follower.follow(`req-${id}`, id);
    await w.at(60_000);
    for (const id of ['a', 'b', 'c']) w.follower.handle(update(`req-${id}`, 'failed'));
    expect(w.late.map((l) => l.request)).toEqual(['b', 'c']);
    expect(w.unfollowed.map((u) => u.request_id)).toEqual(['req-done', 'req-a']);
  });

  it('keeps no late memory without onLateOutcome: a late update is just unfollowed', async () => {
    const w = setup({ onLateOutcome: undefined });
    w.follower.follow('req-1', 'trip-1');
    await w.at(30_000);
    w.follower.handle(update('req-1', 'completed', TICKET));
    expect(w.unfollowed).toHaveLength(1);
  });

  it('ignores redelivered updates: one acceptance, one outcome', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    const accepted = update('req-1', 'accepted', { session_id: TICKET.session_id });
    w.follower.handle(accepted);
    w.follower.handle(accepted);
    await w.at(10_000);
    w.follower.handle(accepted); // a redelivery late in the session still counts as news
    w.follower.handle(update('req-1', 'completed', TICKET));
    w.follower.handle(update('req-1', 'completed', TICKET));
    await w.at(3_600_000);
    expect(w.accepted).toEqual(['trip-1']);
    expect(w.outcomes.map((o) => [o.at, o.outcome.status])).toEqual([[10_000, 'completed']]);
    expect(w.unfollowed).toHaveLength(1);
  });

  it('ignores an update for a request it does not follow, and keeps following the others', async () => {
    const w = setup({ onUnfollowed: undefined });
    w.follower.follow('req-1', 'trip-1');
    expect(w.follower.handle(update('req-other', 'completed', TICKET))).toBeUndefined();
    expect(w.follower.handle(update('req-other', 'accepted'))).toBeUndefined();
    expect(w.outcomes).toEqual([]);
    expect(w.accepted).toEqual([]);
    await w.at(30_000);
    expect(w.outcomes.map((o) => [o.request, o.outcome.status])).toEqual([['trip-1', 'timeout']]);
  });

  it('returns what the owner returned for an unfollowed update, so the transport can wait for it', async () => {
    let saved = false;
    const w = setup({
      onUnfollowed: async () => {
        await Promise.resolve();
        saved = true;
      },
    });
    const pending = w.follower.handle(update('req-x', 'completed'));
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(saved).toBe(true);
  });

  it('fail ends a followed request as failed with the reason; an unknown one is left alone', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    w.follower.handle(update('req-1', 'accepted', { session_id: TICKET.session_id }));
    expect(w.follower.fail('req-1', 'could not send the request: broker down')).toBe(true);
    expect(w.follower.fail('req-1', 'again')).toBe(false);
    expect(w.outcomes).toEqual([
      {
        request: 'trip-1',
        at: 0,
        outcome: {
          status: 'failed',
          info: { session_id: TICKET.session_id, reason: 'could not send the request: broker down' },
          accepted: true,
        },
      },
    ]);
  });

  it('stop returns the requests in flight, cancels their timers and reports no outcome for them', async () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    w.follower.follow('req-2', 'trip-2');
    expect(w.follower.stop()).toEqual(['trip-1', 'trip-2']);
    expect(w.clock.pending).toBe(0);
    await w.at(3_600_000);
    w.follower.handle(update('req-1', 'completed', TICKET));
    expect(w.outcomes).toEqual([]);
    expect(w.follower.size).toBe(0);
  });

  it('refuses to follow one request id twice, and bad timings', () => {
    const w = setup();
    w.follower.follow('req-1', 'trip-1');
    expect(() => w.follower.follow('req-1', 'trip-again')).toThrow(/"req-1" is already being followed/);
    const clock = new VirtualClock();
    const onOutcome = () => {};
    expect(() => new RequestFollower({ clock, timeoutMs: 0, ticketGraceMs: 0, onOutcome })).toThrow(
      /timeoutMs must be a finite number > 0, got 0/,
    );
    expect(() => new RequestFollower({ clock, timeoutMs: 1, ticketGraceMs: -1, onOutcome })).toThrow(
      /ticketGraceMs must be a finite number >= 0, got -1/,
    );
    expect(
      () => new RequestFollower({ clock, timeoutMs: 1, ticketGraceMs: 0, lateLimit: 1.5, onOutcome }),
    ).toThrow(/lateLimit must be an integer >= 0, got 1.5/);
  });
});
