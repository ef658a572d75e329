import { describe, expect, it } from 'vitest';
import {
  ALLOCATION_POLICIES,
  AllocationError,
  type AllocationInput,
  allocationPolicy,
  checkAllocation,
  type SessionDemand,
} from './allocation-policy.js';
import { checkSites, SiteDefinitionError } from './site.js';

const HOUR = 3_600_000;
const session = (id: string, extra: Partial<SessionDemand> = {}): SessionDemand => ({
  session_id: id,
  cp_id: `CP-${id}`,
  arrived_ms: 0,
  departure_ms: undefined,
  max_kw: 22,
  energy_needed_kwh: 20,
  ...extra,
});
const input = (available_kw: number, sessions: SessionDemand[]): AllocationInput => ({
  site_id: 'S-1',
  now_ms: 0,
  available_kw,
  sessions,
});
const run = (name: string, i: AllocationInput) =>
  Object.fromEntries(checkAllocation(name, i, allocationPolicy(name).allocate(i)));

describe('allocation policies', () => {
  // a: arrived first, leaves last, little slack; b: leaves first; c: lots of slack.
  const sessions = [
    session('a', { arrived_ms: 0, departure_ms: 5 * HOUR, energy_needed_kwh: 40, max_kw: 11 }),
    session('b', { arrived_ms: 1, departure_ms: 1 * HOUR, energy_needed_kwh: 5 }),
    session('c', { arrived_ms: 2, departure_ms: 4 * HOUR, energy_needed_kwh: 10 }),
  ];

  it('uncontrolled serves in arrival order, each up to what it can take', () => {
    expect(run('uncontrolled', input(30, sessions))).toEqual({ a: 11, b: 19, c: 0 });
  });

  it('equal share gives the same share, a session that takes less leaving the rest to others', () => {
    expect(run('equal-share', input(42, sessions))).toEqual({ a: 11, b: 15.5, c: 15.5 });
  });

  it('earliest deadline first serves the driver who leaves first', () => {
    expect(run('edf', input(30, sessions))).toEqual({ b: 22, c: 8, a: 0 });
  });

  it('least laxity first serves the session with the least slack', () => {
    // slack: a 5 - 40/11 = 1.36 h, b 1 - 5/22 = 0.77 h, c 4 - 10/22 = 3.55 h
    expect(run('llf', input(30, sessions))).toEqual({ b: 22, a: 8, c: 0 });
  });

  it('gives nothing to a session that needs nothing, and never more than available', () => {
    for (const name of Object.keys(ALLOCATION_POLICIES)) {
      const out = run(name, input(10, [...sessions, session('done', { energy_needed_kwh: 0 })]));
      expect(out.done).toBe(0);
      expect(Object.values(out).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10 + 1e-9);
    }
  });

  it('names the known policies for an unknown one', () => {
    expect(() => allocationPolicy('fastest')).toThrow(
      'unknown allocation policy "fastest" (known: uncontrolled, equal-share, edf, llf)',
    );
  });
});

describe('checkAllocation: a bad policy answer is refused, naming the site, session and field', () => {
  const i = input(20, [session('s1'), session('s2')]);

  it.each([
    [
      { s1: 15, s2: 10 },
      'policy "mine" at site "S-1": field available_kw exceeded: 25 kW allocated, 20 kW available',
    ],
    [
      { s1: -1 },
      'policy "mine" at site "S-1": session "s1" field limit_kw must be a finite number >= 0, got -1',
    ],
    [
      { s2: Number.NaN },
      'policy "mine" at site "S-1": session "s2" field limit_kw must be a finite number >= 0, got NaN',
    ],
    [{ s9: 1 }, 'policy "mine" at site "S-1": session "s9" is not active at the site (limit_kw 1)'],
  ])('refuses %j', (answer, message) => {
    expect(() => checkAllocation('mine', i, answer)).toThrow(new AllocationError(message));
  });

  it('fills in 0 for a session left out', () => {
    expect(Object.fromEntries(checkAllocation('mine', i, new Map([['s1', 20]])))).toEqual({ s1: 20, s2: 0 });
  });

  it("keeps the answer's order, then the sessions left out in input order", () => {
    const three = input(30, [session('s1'), session('s2'), session('s3')]);
    expect([
      ...checkAllocation(
        'mine',
        three,
        new Map([
          ['s3', 5],
          ['s1', 5],
        ]),
      ).keys(),
    ]).toEqual(['s3', 's1', 's2']);
  });

  it('names the first fault of an answer in its order', () => {
    const answer = new Map([
      ['s9', 1],
      ['s1', Number.NaN],
    ]);
    expect(() => checkAllocation('mine', i, answer)).toThrow(
      'policy "mine" at site "S-1": session "s9" is not active at the site (limit_kw 1)',
    );
  });

  it('refuses an input that names a session twice', () => {
    const twice = input(20, [session('s1'), session('s1')]);
    expect(() => checkAllocation('mine', twice, { s1: 5 })).toThrow(
      'policy "mine" at site "S-1": field sessions lists session "s1" more than once',
    );
  });
});

describe('sites', () => {
  it('refuses a tariff with a gap, an unknown CP and a CP in two sites, naming each site', () => {
    let error: unknown;
    try {
      checkSites(
        [
          {
            site_id: 'S-1',
            limit_kw: 100,
            cp_ids: ['CP-1', 'CP-9'],
            tariff: [
              { from: '00:00', to: '07:00', eur_kwh: 0.2 },
              { from: '08:00', to: '24:00', eur_kwh: 0.3 },
            ],
          },
          { site_id: 'S-2', limit_kw: 50, cp_ids: ['CP-1'] },
        ],
        ['CP-1', 'CP-2'],
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SiteDefinitionError);
    const message = (error as Error).message;
    expect(message).toContain('site "S-1": cp_ids names an unknown CP "CP-9"');
    expect(message).toContain('tariff of site "S-1": no price from 07:00 to 08:00 (a gap)');
    expect(message).toContain('site "S-2": CP "CP-1" is already in site "S-1"');
  });

  it('follows a limit curve over the day and finds its lowest value ahead', () => {
    const [site] = checkSites(
      [
        {
          site_id: 'solar',
          limit_kw: 0,
          cp_ids: ['CP-1'],
          limit_curve: [
            { from: '10:00', kw: 120 },
            { from: '16:00', kw: 40 },
          ],
        },
      ],
      ['CP-1'],
    );
    expect(site!.limitAt(9 * HOUR)).toBe(40); // before the first step: the previous day's last
    expect(site!.limitAt(12 * HOUR)).toBe(120);
    expect(site!.lowestLimit(15 * HOUR, 15.5 * HOUR)).toBe(120);
    expect(site!.lowestLimit(15.5 * HOUR, 16 * HOUR)).toBe(40);
  });
});
