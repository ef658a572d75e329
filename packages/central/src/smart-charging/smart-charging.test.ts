import { type CentralCommand, createLogger, type Vehicle, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import type { CentralWire } from '../messaging/central-wire.js';
import { type AllocationPolicy, equalShare } from './allocation-policy.js';
import { checkSites } from './site.js';
import { SmartCharging } from './smart-charging.js';

/** DC 50 kW flat to 50 % SoC, then down to 10 kW at 100 %: 18 kW at 90 %. */
const TAPERING: Vehicle = {
  battery_kwh: 50,
  arrival_soc: 20,
  target_soc: 100,
  ac_max_kw: 11,
  dc_max_kw: 50,
  curve: [
    [0, 50],
    [50, 50],
    [100, 10],
  ],
};

/** What Central takes TAPERING to accept when telemetry reads 90 %: the most within 0.0005 % of it. */
const AT_90 = 18.0004;

/** One site of two 50 kW DC CPs behind `limitKw`, equal share unless said, a control interval a minute. */
function site(limitKw: number, policy: AllocationPolicy = equalShare) {
  const clock = new VirtualClock();
  const sent: Extract<CentralCommand, { cmd: 'set_power_limit' }>['payload'][] = [];
  const wire = {
    command: async (draft: { cmd: string; payload: unknown }) => {
      if (draft.cmd === 'set_power_limit') sent.push(draft.payload as (typeof sent)[number]);
    },
  } as unknown as CentralWire;
  const charging = new SmartCharging({
    sites: checkSites([{ site_id: 'S', limit_kw: limitKw, cp_ids: ['CP-1', 'CP-2'] }], ['CP-1', 'CP-2']),
    settings: { policy, controlIntervalMs: 60_000, leadMs: 0 },
    clock,
    wire,
    logger: createLogger(),
    cp: () => ({ kw: 50, supply: 'DC' }),
  });
  charging.start();
  /** A reading of CP-1's session A at 90 % SoC, confirming limit `seq`, and the allocation it makes due. */
  const readingOfA = (seq: number) =>
    charging.telemetry({
      cp_id: 'CP-1',
      session_id: 'A',
      kw: 18,
      kwh: 35,
      euros: 0,
      soc: 90,
      limit_seq: seq,
    })?.();
  const admit = (sessionId: string, cpId: string) =>
    charging.admit(
      { session_id: sessionId, cp_id: cpId },
      {
        request_id: `r-${sessionId}`,
        driver_id: `d-${sessionId}`,
        cp_id: cpId,
        vehicle: TAPERING,
      },
    );
  return { clock, sent, charging, readingOfA, admit };
}

describe('SmartCharging: which lower limits go out', () => {
  it('sends no lower limit that leaves a tapering battery all it can take while the site has room', async () => {
    const { clock, sent, charging, readingOfA, admit } = site(100);
    expect(await admit('A', 'CP-1')).toMatchObject({ limit_kw: 50 });
    await readingOfA(0);
    await clock.advance(60_000); // the policy now gives A its 18.0004 kW: no command for that
    expect(sent).toEqual([]);
    // B arrives: 100 - 50 (A still counted at its 50 kW limit) leaves B its full 50 kW.
    expect(await admit('B', 'CP-2')).toMatchObject({ limit_kw: 50 });
    expect(sent).toEqual([]);
    expect(charging.sessionLimits('S').map((s) => [s.session_id, s.limit_kw])).toEqual([
      ['A', 50],
      ['B', 50],
    ]);
    charging.stop();
  });

  it('sends it once another session is short of the headroom it holds, then serves that one', async () => {
    const { clock, sent, charging, readingOfA, admit } = site(80);
    await admit('A', 'CP-1');
    await readingOfA(0);
    await clock.advance(60_000);
    expect(sent).toEqual([]);
    // B is due 80 - 18 = 62, capped at 50; only 30 are free while A holds its 50 kW limit.
    expect(await admit('B', 'CP-2')).toMatchObject({ limit_kw: 30 });
    expect(sent).toEqual([{ session_id: 'A', limit_kw: expect.closeTo(AT_90, 9), seq: 1 }]);
    // A's engine confirms: the headroom it freed goes to B at once.
    await readingOfA(1);
    expect(sent.at(-1)).toEqual({ session_id: 'B', limit_kw: 50, seq: 1 });
    charging.stop();
  });

  it('sends at once a lower limit that throttles a session, room or not', async () => {
    const halfOfIt: AllocationPolicy = {
      name: 'half-of-it',
      allocate: ({ sessions }) => new Map(sessions.map((s) => [s.session_id, s.max_kw / 2])),
    };
    const { clock, sent, charging, readingOfA, admit } = site(100, halfOfIt);
    expect(await admit('A', 'CP-1')).toMatchObject({ limit_kw: 25 });
    await readingOfA(0);
    await clock.advance(60_000); // half of what A can take now: below what it could draw
    expect(sent).toEqual([{ session_id: 'A', limit_kw: expect.closeTo(AT_90 / 2, 9), seq: 1 }]);
    charging.stop();
  });
});

describe('SmartCharging: a start_supply sent again', () => {
  it('carries the first limit while the engine has confirmed none, and that limit stays committed', async () => {
    const { sent, charging, admit } = site(80);
    expect(await admit('A', 'CP-1')).toMatchObject({ limit_kw: 50 });
    // B's arrival lowers A (its start never confirmed): A's first 50 kW still count as committed.
    expect(await admit('B', 'CP-2')).toMatchObject({ limit_kw: 30 });
    expect(sent).toEqual([{ session_id: 'A', limit_kw: 40, seq: 1 }]);
    const again = { request_id: 'r-A', driver_id: 'd-A', cp_id: 'CP-1', vehicle: TAPERING };
    expect(await charging.readmit({ session_id: 'A', cp_id: 'CP-1' }, again)).toEqual({ limit_kw: 50 });
    expect(charging.report()[0]).toMatchObject({ sessions: 2 });
    charging.stop();
  });

  it('admits a session it never saw (one restored after a restart)', async () => {
    const { charging } = site(80);
    const request = { request_id: 'r-C', driver_id: 'd-C', cp_id: 'CP-2', vehicle: TAPERING };
    expect(await charging.readmit({ session_id: 'C', cp_id: 'CP-2' }, request)).toEqual({ limit_kw: 50 });
    expect(charging.sessionLimits('S')).toMatchObject([{ session_id: 'C', limit_kw: 50 }]);
    charging.stop();
  });
});

describe('SmartCharging: sessions restored after a restart', () => {
  it('holds one at its CP rating until its first reading, then goes on from the limit and number it reports', async () => {
    const { clock, sent, charging, admit } = site(80);
    expect(charging.restore([{ session_id: 'A', cp_id: 'CP-1', energy_kwh: 12, target_kwh: null }])).toBe(1);
    // A's engine may draw its CP's 50 kW: B gets what is left, and A no limit it could not apply.
    expect(await admit('B', 'CP-2')).toMatchObject({ limit_kw: 30 });
    await clock.advance(60_000);
    expect(sent).toEqual([]);
    // A's first reading: its engine honours 30 kW, limit number 3 of the Central before the restart.
    await charging.telemetry({
      cp_id: 'CP-1',
      session_id: 'A',
      kw: 30,
      kwh: 12.5,
      euros: 0,
      limit_kw: 30,
      limit_seq: 3,
    })?.();
    // The 20 kW it freed are shared at once: both get their 40, A's limit numbered after its 3.
    expect(sent).toEqual([
      { session_id: 'A', limit_kw: 40, seq: 4 },
      { session_id: 'B', limit_kw: 40, seq: 1 },
    ]);
    charging.stop();
  });

  it('leaves out sessions at CPs of no site, and sessions it already has', async () => {
    const { charging, admit } = site(80);
    await admit('A', 'CP-1');
    const restored = charging.restore([
      { session_id: 'A', cp_id: 'CP-1', energy_kwh: 0, target_kwh: null },
      { session_id: 'X', cp_id: 'CP-9', energy_kwh: 0, target_kwh: 5 },
    ]);
    expect(restored).toBe(0);
    expect(charging.sessionLimits('S').map((s) => s.session_id)).toEqual(['A']);
    charging.stop();
  });
});
