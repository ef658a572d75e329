import { describe, expect, it } from 'vitest';
import { parseSimArgs, UsageError } from './sim-options.js';

describe('parseSimArgs', () => {
  it('reads the city-day command line, with or without the leading -- that pnpm passes', () => {
    const argv = ['--cps', '1000', '--drivers', '3000', '--hours', '24', '--seed', '42'];
    for (const args of [argv, ['--', ...argv]]) {
      expect(parseSimArgs(args)).toMatchObject({
        cps: 1000,
        drivers: 3000,
        hours: 24,
        seed: 42,
        progress: true,
      });
    }
  });

  it('has documented defaults', () => {
    expect(parseSimArgs([])).toEqual({
      cps: 100,
      drivers: 300,
      hours: 24,
      seed: 1,
      policy: 'random-available',
      sessionsPerDriver: 1,
      startHour: 0,
      telemetryIntervalS: 60,
      monitorIntervalS: 60,
      heartbeatTimeoutS: 180,
      events: 0,
      json: undefined,
      csv: undefined,
      progress: true,
      siteLimitKw: undefined,
      chargingPolicy: 'equal-share',
      vehicles: undefined,
      tariff: undefined,
      comparePolicies: false,
      arrivals: undefined,
    });
    expect(parseSimArgs(['--monitor-interval', '1'])).toMatchObject({ heartbeatTimeoutS: 3 });
    expect(parseSimArgs(['--seed', 'city-a'])).toMatchObject({ seed: 'city-a' });
    expect(parseSimArgs(['-h'])).toBe('help');
  });

  it('reads the site, policy, vehicle mix and tariff flags', () => {
    expect(
      parseSimArgs([
        '--site-limit',
        '150',
        '--charging-policy',
        'llf',
        '--vehicles',
        'compact-52:2,hatch-40',
        '--tariff',
        '22:00-07:00=0.18,07:00-22:00=0.32',
        '--compare-policies',
      ]),
    ).toMatchObject({
      siteLimitKw: 150,
      chargingPolicy: 'llf',
      vehicles: { 'compact-52': 2, 'hatch-40': 1 },
      tariff: [
        { from: '22:00', to: '07:00', eur_kwh: 0.18 },
        { from: '07:00', to: '22:00', eur_kwh: 0.32 },
      ],
      comparePolicies: true,
    });
    expect(parseSimArgs(['--vehicles', 'default'])).toMatchObject({ vehicles: {} });
  });

  it.each([
    [
      ['--charging-policy', 'fifo'],
      '--charging-policy expects uncontrolled, equal-share, edf, llf, got "fifo"',
    ],
    [['--vehicles', 'tesla:1'], '--vehicles: unknown vehicle archetype "tesla" (known: compact-52'],
    [['--tariff', '7-22=0.3'], '--tariff expects HH:MM-HH:MM=eur,..., got "7-22=0.3"'],
    [['--compare-policies'], '--compare-policies needs --site-limit'],
    [['--arrivals', 'a.csv', '--vehicles', 'default'], '--arrivals replays requests without vehicles'],
    [['--arrivals', ''], '--arrivals expects a file name'],
    [['--cpss', '10'], "Unknown option '--cpss'"],
    [['--cps'], "Option '--cps <value>' argument missing"],
    [['--cps', '0'], '--cps expects an integer from 1 to 100000, got "0"'],
    [['--cps', '1.5'], '--cps expects an integer'],
    [['--hours', 'abc'], '--hours expects a number'],
    [['--policy', 'nearest'], '--policy expects random-available or cheapest, got "nearest"'],
    [['--heartbeat-timeout', '1'], '--heartbeat-timeout expects a number >= 60'],
    [['extra'], 'Unexpected argument'],
  ])('rejects %j with a message naming the flag', (argv, message) => {
    expect(() => parseSimArgs(argv)).toThrow(UsageError);
    expect(() => parseSimArgs(argv)).toThrow(message);
  });
});
