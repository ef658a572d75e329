import { Type } from '@sinclair/typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { isoTime } from './ids.js';
import { MonitorFaultReportSchema, MonitorHeartbeatSchema, MonitorRegistrationSchema } from './monitor.js';
import {
  type CentralCommand,
  COMMANDS,
  type CommandOf,
  FAILING_END_CAUSES,
  SESSION_END_CAUSES,
  type StartSupplyPayload,
  type StopSupplyPayload,
} from './schemas.js';
import { isTopicName, keyOf, TOPIC_NAMES, TOPICS, type TopicName } from './topics.js';
import { assertValid, ContractViolationError, contractCheck, validate, validateSchema } from './validate.js';

const TS = '2026-01-01T00:00:00.000Z';

/** The original's example messages (docs/wire-contract.md), one or more per topic. */
const ORIGINAL_EXAMPLES: Record<TopicName, Record<string, unknown>[]> = {
  'driver.requests': [
    { request_id: 'req-1a2b3c4d', driver_id: 'driver-alice', cp_id: 'CP-001', ts: TS },
    { request_id: 'req-1a2b3c4d', driver_id: 'driver-alice', cp_id: 'CP-001' },
  ],
  'driver.updates': [
    { request_id: 'req-1a2b3c4d', driver_id: 'driver-alice', cp_id: 'CP-001', status: 'accepted', ts: TS },
    {
      request_id: 'req-1a2b3c4d',
      driver_id: 'driver-alice',
      cp_id: 'CP-001',
      status: 'denied',
      reason: 'CP busy',
    },
    { request_id: 'req-1a2b3c4d', driver_id: 'driver-alice', cp_id: 'CP-001', status: 'in_progress' },
    {
      request_id: 'req-1a2b3c4d',
      driver_id: 'driver-alice',
      cp_id: 'CP-001',
      status: 'completed',
      session_id: 'session-1a2b3c4d',
      start_time: TS,
      end_time: '2026-01-01T00:10:00.000Z',
      energy_kwh: 3.67,
      total_cost_eur: 1.1,
      ts: TS,
    },
    {
      request_id: 'req-1a2b3c4d',
      driver_id: 'driver-alice',
      cp_id: 'CP-001',
      status: 'failed',
      reason: 'fault',
    },
  ],
  'central.commands': [
    {
      cmd: 'start_supply',
      cp_id: 'CP-001',
      payload: { driver_id: 'driver-alice', request_id: 'req-1a2b3c4d', session_id: 'session-1a2b3c4d' },
      ts: TS,
    },
    { cmd: 'stop_supply', cp_id: 'CP-001' },
    { cmd: 'stop_supply', cp_id: 'CP-001', payload: {} },
    { cmd: 'stop_cp', cp_id: 'CP-001', ts: TS },
    { cmd: 'stop_cp', cp_id: 'CP-001', payload: {}, ts: TS },
    { cmd: 'resume_cp', cp_id: 'CP-001' },
    { cmd: 'shutdown', cp_id: 'CP-001' },
  ],
  'cp.status': [
    { cp_id: 'CP-001', state: 'DISCONNECTED' },
    { cp_id: 'CP-001', state: 'ACTIVATED', ts: TS },
    { cp_id: 'CP-001', state: 'STOPPED', reason: 'operator stop' },
    { cp_id: 'CP-001', state: 'SUPPLYING', ts: TS },
    { cp_id: 'CP-001', state: 'FAULT', reason: 'health probe failed 3 times', ts: TS },
  ],
  'cp.telemetry': [
    {
      cp_id: 'CP-001',
      kw: 22,
      euros: 0.0018,
      driver_id: 'driver-alice',
      session_id: 'session-1a2b3c4d',
      ts: TS,
    },
    { cp_id: 'CP-001', kw: 22, euros: 0.0018, kwh: 0.0061 },
  ],
  'cp.session_end': [
    {
      cp_id: 'CP-001',
      session_id: 'session-1a2b3c4d',
      driver_id: 'driver-alice',
      start_time: TS,
      end_time: '2026-01-01T00:10:00.000Z',
      energy_kwh: 3.67,
      total_cost_eur: 1.1,
    },
  ],
};

/** The minimal valid message of each topic (required fields only). */
const MINIMAL: Record<TopicName, Record<string, unknown>> = {
  'driver.requests': ORIGINAL_EXAMPLES['driver.requests'][1]!,
  'driver.updates': ORIGINAL_EXAMPLES['driver.updates'][2]!,
  'central.commands': ORIGINAL_EXAMPLES['central.commands'][1]!,
  'cp.status': ORIGINAL_EXAMPLES['cp.status'][0]!,
  'cp.telemetry': { cp_id: 'CP-001', kw: 22, euros: 0 },
  'cp.session_end': ORIGINAL_EXAMPLES['cp.session_end'][0]!,
};

const REQUIRED: Record<TopicName, string[]> = {
  'driver.requests': ['request_id', 'driver_id', 'cp_id'],
  'driver.updates': ['request_id', 'driver_id', 'cp_id', 'status'],
  'central.commands': ['cmd', 'cp_id'],
  'cp.status': ['cp_id', 'state'],
  'cp.telemetry': ['cp_id', 'kw', 'euros'],
  'cp.session_end': [
    'cp_id',
    'driver_id',
    'session_id',
    'start_time',
    'end_time',
    'energy_kwh',
    'total_cost_eur',
  ],
};

function reasonsOf(topic: TopicName, value: unknown): string[] {
  const result = validate(topic, value);
  if (result.ok) throw new Error(`expected ${topic} to reject ${JSON.stringify(value)}`);
  return result.reasons;
}

describe('contracts', () => {
  it('declares the six topics with the original key fields', () => {
    expect(TOPIC_NAMES.sort()).toEqual(
      [
        'central.commands',
        'cp.session_end',
        'cp.status',
        'cp.telemetry',
        'driver.requests',
        'driver.updates',
      ].sort(),
    );
    expect(TOPICS['driver.requests'].key).toBe('driver_id');
    expect(TOPICS['driver.updates'].key).toBe('driver_id');
    expect(TOPICS['central.commands'].key).toBe('cp_id');
    expect(TOPICS['cp.status'].key).toBe('cp_id');
    expect(TOPICS['cp.telemetry'].key).toBe('cp_id');
    expect(TOPICS['cp.session_end'].key).toBe('cp_id');
    for (const name of TOPIC_NAMES) expect(TOPICS[name].name).toBe(name);
  });

  it('tells topic names from other strings', () => {
    expect(isTopicName('cp.status')).toBe(true);
    expect(isTopicName('cp.unknown')).toBe(false);
    expect(isTopicName('toString')).toBe(false);
  });

  describe.each(TOPIC_NAMES)('%s', (topic) => {
    it("accepts the original's example messages unchanged", () => {
      for (const example of ORIGINAL_EXAMPLES[topic]) {
        const result = validate(topic, example);
        expect(result).toEqual({ ok: true, value: example });
      }
    });

    it('accepts unknown extra fields (additive changes never break a reader)', () => {
      const extended = { ...MINIMAL[topic], added_later: { nested: [1, 2] }, another: 'x' };
      expect(validate(topic, extended).ok).toBe(true);
    });

    it('rejects a message missing each required field, naming the field', () => {
      for (const field of REQUIRED[topic]) {
        const { [field]: _dropped, ...rest } = MINIMAL[topic];
        const reasons = reasonsOf(topic, rest);
        expect(reasons.join('\n')).toContain(field);
      }
    });

    it('lists every missing required field at once', () => {
      const reasons = reasonsOf(topic, {});
      for (const field of REQUIRED[topic]) expect(reasons.join('\n')).toContain(`/${field}`);
    });

    it('rejects values that are not objects', () => {
      for (const value of [null, undefined, 'CP-001', 42, [MINIMAL[topic]]]) {
        expect(validate(topic, value).ok).toBe(false);
      }
    });

    it('keys a message by its contract key field', () => {
      const message = MINIMAL[topic] as never;
      expect(keyOf(topic, message)).toBe(MINIMAL[topic][TOPICS[topic].key]);
    });
  });

  it('rejects wrong types with a reason per bad field', () => {
    const reasons = reasonsOf('cp.telemetry', { cp_id: 7, kw: '22', euros: -1, kwh: 'lots' });
    const text = reasons.join('\n');
    expect(text).toMatch(/\/cp_id/);
    expect(text).toMatch(/\/kw/);
    expect(text).toMatch(/\/euros/);
    expect(text).toMatch(/\/kwh/);
  });

  it('rejects empty ids and negative energy', () => {
    expect(reasonsOf('cp.status', { cp_id: '', state: 'ACTIVATED' }).join()).toMatch(/\/cp_id/);
    expect(reasonsOf('cp.session_end', { ...MINIMAL['cp.session_end'], energy_kwh: -0.1 }).join()).toMatch(
      /\/energy_kwh/,
    );
    expect(reasonsOf('driver.requests', { ...MINIMAL['driver.requests'], target_kwh: 0 }).join()).toMatch(
      /\/target_kwh/,
    );
  });

  it('rejects values outside each enum', () => {
    expect(reasonsOf('cp.status', { cp_id: 'CP-001', state: 'activated' }).join()).toMatch(/\/state/);
    expect(reasonsOf('central.commands', { cmd: 'reboot', cp_id: 'CP-001' }).join()).toMatch(/\/cmd/);
    expect(reasonsOf('driver.updates', { ...MINIMAL['driver.updates'], status: 'COMPLETED' }).join()).toMatch(
      /\/status/,
    );
  });

  it('rejects a command payload that is not an object', () => {
    expect(
      reasonsOf('central.commands', { cmd: 'start_supply', cp_id: 'CP-001', payload: 'x' }).join(),
    ).toMatch(/\/payload/);
  });

  it('keyOf gives an empty string when the key field is not a string', () => {
    expect(keyOf('cp.status', { state: 'ACTIVATED' } as never)).toBe('');
    expect(keyOf('driver.requests', { driver_id: 12 } as never)).toBe('');
  });

  it('validate rejects an unknown topic with a reason', () => {
    const result = validate('cp.unknown' as TopicName, { cp_id: 'CP-001' });
    expect(result).toEqual({ ok: false, reasons: ['unknown topic "cp.unknown"'] });
  });

  it('contractCheck passes and fails exactly the messages validate does, for every topic', () => {
    const wrong: unknown[] = [
      null,
      'text',
      42,
      [],
      {},
      { cmd: 'start_supply' },
      { cmd: 'launch', cp_id: 'CP-1' },
    ];
    let checked = 0;
    for (const topic of TOPIC_NAMES) {
      const check = contractCheck(topic);
      expect(contractCheck(topic)).toBe(check); // compiled once per topic
      for (const example of ORIGINAL_EXAMPLES[topic]) {
        const variants: unknown[] = [example, ...wrong];
        // Each field dropped, and each field of the wrong type.
        for (const field of Object.keys(example)) {
          const { [field]: _dropped, ...rest } = example;
          variants.push(rest, { ...example, [field]: field === 'kw' ? 'fast' : 7 });
        }
        for (const value of variants) {
          expect(check(value), `${topic} ${JSON.stringify(value)}`).toBe(validate(topic, value).ok);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(() => contractCheck('cp.nothing' as TopicName)).toThrow('unknown topic "cp.nothing"');
  });

  it('assertValid returns the message, or throws naming the topic and every reason', () => {
    expect(assertValid('cp.status', { cp_id: 'CP-001', state: 'FAULT' })).toEqual({
      cp_id: 'CP-001',
      state: 'FAULT',
    });
    let error: unknown;
    try {
      assertValid('cp.telemetry', { cp_id: 'CP-001', kw: -1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractViolationError);
    const violation = error as ContractViolationError;
    expect(violation.name).toBe('ContractViolationError');
    expect(violation.topic).toBe('cp.telemetry');
    expect(violation.reasons.join()).toMatch(/\/kw/);
    expect(violation.reasons.join()).toMatch(/\/euros/);
    expect(violation.message).toContain('"cp.telemetry"');
    for (const reason of violation.reasons) expect(violation.message).toContain(reason);
  });

  it('validateSchema stops listing reasons at the limit', () => {
    const schema = Type.Object(
      Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, Type.String()])),
    );
    const all = validateSchema(schema, {});
    expect(all.ok).toBe(false);
    if (all.ok) return;
    expect(all.reasons).toHaveLength(20);
    const three = validateSchema(schema, {}, 3);
    expect(three.ok ? [] : three.reasons).toHaveLength(3);
  });

  it('validateSchema names the root path, and always gives at least one reason', () => {
    const result = validateSchema(Type.String(), 5);
    expect(result.ok ? [] : result.reasons).toEqual(['/: Expected string']);
    const never = validateSchema(Type.Never(), 'x');
    expect(never.ok).toBe(false);
    expect(never.ok ? [] : never.reasons.length).toBeGreaterThan(0);
  });

  it('monitor messages accept the original HTTP bodies and reject bad ones', () => {
    expect(
      validateSchema(MonitorRegistrationSchema, {
        cp_id: 'CP-001',
        cp_e_host: 'localhost',
        cp_e_port: 8001,
        ts: TS,
      }).ok,
    ).toBe(true);
    expect(
      validateSchema(MonitorRegistrationSchema, { cp_id: 'CP-001', cp_e_host: 'h', cp_e_port: 70000 }).ok,
    ).toBe(false);
    expect(
      validateSchema(MonitorFaultReportSchema, { cp_id: 'CP-001', status: 'FAULT', reason: 'x', ts: TS }).ok,
    ).toBe(true);
    expect(validateSchema(MonitorFaultReportSchema, { cp_id: 'CP-001', status: 'BROKEN' }).ok).toBe(false);
    expect(validateSchema(MonitorHeartbeatSchema, { cp_id: 'CP-001', ts: TS }).ok).toBe(true);
    expect(validateSchema(MonitorHeartbeatSchema, { ts: TS }).ok).toBe(false);
  });

  it('isoTime formats the wire timestamp', () => {
    expect(isoTime(Date.UTC(2026, 0, 1, 12, 30))).toBe('2026-01-01T12:30:00.000Z');
  });

  describe('central.commands: a discriminated union on cmd, a typed payload per command', () => {
    const START = { driver_id: 'driver-alice', request_id: 'req-1', session_id: 'session-1' };

    it('types each payload by its command', () => {
      expectTypeOf<CommandOf<'start_supply'>['payload']>().toEqualTypeOf<StartSupplyPayload>();
      expectTypeOf<CommandOf<'stop_supply'>['payload']>().toEqualTypeOf<StopSupplyPayload | undefined>();
      expectTypeOf<CentralCommand['cmd']>().toEqualTypeOf<(typeof COMMANDS)[number]>();
      const narrow = (command: CentralCommand) =>
        command.cmd === 'start_supply' ? command.payload.session_id : null;
      expect(narrow({ cmd: 'start_supply', cp_id: 'CP-001', payload: START })).toBe('session-1');
    });

    it('accepts a well-formed message of each command', () => {
      const samples: CentralCommand[] = [
        { cmd: 'start_supply', cp_id: 'CP-001', payload: { ...START, target_kwh: 5, duration_s: 60 } },
        { cmd: 'stop_supply', cp_id: 'CP-001', payload: { session_id: 'session-1', reason: 'operator' } },
        { cmd: 'stop_cp', cp_id: 'CP-001' },
        { cmd: 'resume_cp', cp_id: 'CP-001' },
        { cmd: 'shutdown', cp_id: 'CP-001', payload: {} },
        { cmd: 'set_power_limit', cp_id: 'CP-001', payload: { session_id: 'session-1', limit_kw: 7.4 } },
      ];
      expect(samples.map((m) => m.cmd).sort()).toEqual([...COMMANDS].sort());
      for (const sample of samples)
        expect(validate('central.commands', sample)).toEqual({ ok: true, value: sample });
    });

    it.each([
      ['start_supply without its payload', { cmd: 'start_supply', cp_id: 'CP-001' }, ['/payload']],
      [
        'start_supply without a session id',
        { cmd: 'start_supply', cp_id: 'CP-001', payload: { driver_id: 'd', request_id: 'r' } },
        ['/payload/session_id'],
      ],
      [
        'start_supply with a target that is not positive',
        { cmd: 'start_supply', cp_id: 'CP-001', payload: { ...START, target_kwh: 0 } },
        ['/payload/target_kwh'],
      ],
      [
        'start_supply with a duration given as text',
        { cmd: 'start_supply', cp_id: 'CP-001', payload: { ...START, duration_s: '60' } },
        ['/payload/duration_s'],
      ],
      [
        'stop_supply with a numeric session id',
        { cmd: 'stop_supply', cp_id: 'CP-001', payload: { session_id: 42 } },
        ['/payload/session_id'],
      ],
      [
        'stop_cp with a payload that is not an object',
        { cmd: 'stop_cp', cp_id: 'CP-001', payload: 'now' },
        ['/payload'],
      ],
      ['resume_cp with an array payload', { cmd: 'resume_cp', cp_id: 'CP-001', payload: [1] }, ['/payload']],
      ['shutdown without its CP', { cmd: 'shutdown' }, ['/cp_id']],
      ['an unknown command, and no CP', { cmd: 'reboot' }, ['/cmd', '/cp_id']],
      ['no command at all', { cp_id: 'CP-001' }, ['/cmd']],
    ])('rejects %s, naming the field', (_what, message, fields) => {
      const reasons = reasonsOf('central.commands', message);
      for (const field of fields)
        expect(reasons.some((r) => r.startsWith(`${field}:`) || r.startsWith(`${field}/`))).toBe(true);
    });

    it('names the commands it knows when the cmd is unknown', () => {
      expect(reasonsOf('central.commands', { cmd: 'reboot', cp_id: 'CP-001' })).toEqual([
        '/cmd: Expected one of start_supply, stop_supply, stop_cp, resume_cp, shutdown, set_power_limit, got "reboot"',
      ]);
    });
  });

  describe('cp.session_end: ended_by carries why a session ended', () => {
    const TICKET = ORIGINAL_EXAMPLES['cp.session_end'][0]!;

    it('accepts every cause, and a ticket without one (the original engine)', () => {
      for (const cause of SESSION_END_CAUSES)
        expect(validate('cp.session_end', { ...TICKET, ended_by: cause }).ok).toBe(true);
      expect(validate('cp.session_end', TICKET).ok).toBe(true);
    });

    it('rejects an unknown cause, naming the field', () => {
      expect(reasonsOf('cp.session_end', { ...TICKET, ended_by: 'fault: overheating' }).join()).toMatch(
        /\/ended_by/,
      );
    });

    it('fails a session only for a fault, a shutdown or an interrupted supply', () => {
      expect([...FAILING_END_CAUSES].sort()).toEqual(['fault', 'interrupted', 'shutdown']);
    });
  });

  it('the monitor heartbeat may carry its verdict, and only FAULT or HEALTHY', () => {
    expect(validateSchema(MonitorHeartbeatSchema, { cp_id: 'CP-001', status: 'FAULT', reason: 'x' }).ok).toBe(
      true,
    );
    expect(validateSchema(MonitorHeartbeatSchema, { cp_id: 'CP-001', status: 'HEALTHY' }).ok).toBe(true);
    const bad = validateSchema(MonitorHeartbeatSchema, { cp_id: 'CP-001', status: 'BROKEN' });
    expect(bad.ok ? [] : bad.reasons.join()).toMatch(/\/status/);
  });
});
