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
    });
    expect(parseSimArgs(['--monitor-interval', '1'])).toMatchObject({ heartbeatTimeoutS: 3 });
    expect(parseSimArgs(['--seed', 'city-a'])).toMatchObject({ seed: 'city-a' });
    expect(parseSimArgs(['-h'])).toBe('help');
  });

  it.each([
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
