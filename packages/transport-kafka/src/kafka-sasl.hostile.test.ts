import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createLogger, RealClock, TOPIC_NAMES } from '@evcharging/core';
import { advanceUntil } from '@evcharging/core/testing';
import kafkajs, { type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterTopic } from './dead-letter.js';
import { KafkaTransport } from './kafka-transport.js';
import { commandExists, KAFKA_SCRIPT } from './test-support/kafka-broker.js';

// Kafka SASL against the project's own broker, started by scripts/kafka.sh with its opt-in SASL
// listener (KAFKA_SASL=plain,scram) on its own ports: KafkaTransport connects and moves messages
// with the right credentials for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, and fails fast with a
// readable error with wrong or missing ones. Broker rules as for every Kafka test: REQUIRE_KAFKA=1
// means it must run; without Java it is skipped with one loud line. KAFKA_SASL_BOOTSTRAP (with
// KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD) points it at an existing SASL broker instead.

const PORT = Number(process.env.KAFKA_SASL_TEST_PORT ?? 19492);
const USERNAME = process.env.KAFKA_SASL_USERNAME ?? 'evtest';
const PASSWORD = process.env.KAFKA_SASL_PASSWORD ?? 'evtest-secret-4f2a';
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
const FAIL_WITHIN_MS = 10_000;

const scriptEnv = {
  ...process.env,
  KAFKA_PORT: String(PORT),
  KAFKA_SASL: 'plain,scram',
  KAFKA_SASL_PORT: String(PORT + 2),
  KAFKA_SASL_USERNAME: USERNAME,
  KAFKA_SASL_PASSWORD: PASSWORD,
};

function script(command: string, env: NodeJS.ProcessEnv = scriptEnv, timeoutMs = 240_000) {
  return new Promise<{ ok: boolean; output: string }>((resolve) => {
    execFile(
      'bash',
      [KAFKA_SCRIPT, command],
      { env, encoding: 'utf8', timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

/** Where the SASL broker comes from, or why there is none. */
const external = process.env.KAFKA_SASL_BOOTSTRAP?.trim();
const required = process.env.REQUIRE_KAFKA === '1';
const hasJava = commandExists('java');
const skipReason = external || hasJava ? null : 'java is not on PATH and KAFKA_SASL_BOOTSTRAP is unset';
if (skipReason && !required) {
  process.stderr.write(`\n!!! transport-kafka: SKIPPING the Kafka SASL tests: ${skipReason} !!!\n\n`);
}

describe('scripts/kafka.sh SASL mode (configuration only, no broker)', () => {
  const config = (env: NodeJS.ProcessEnv) =>
    spawnSync('bash', [KAFKA_SCRIPT, 'config'], { env: { ...process.env, ...env }, encoding: 'utf8' });

  it('without KAFKA_SASL the broker configuration has no SASL listener (the default is unchanged)', () => {
    const plain = config({ KAFKA_SASL: '', KAFKA_PORT: '29092' });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('listeners=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093\n');
    expect(plain.stdout).toContain(
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n',
    );
    expect(plain.stdout).not.toMatch(/sasl/i);
  });

  it('with KAFKA_SASL: a SASL_PLAINTEXT listener on its own port, a JAAS config per mechanism, the password masked', () => {
    const sasl = config({ KAFKA_SASL: 'plain,scram', KAFKA_PORT: '29092', KAFKA_SASL_PASSWORD: 'pw-123' });
    expect(sasl.status).toBe(0);
    expect(sasl.stdout).toContain('SASL_PLAINTEXT://127.0.0.1:29094');
    expect(sasl.stdout).toContain('sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n');
    expect(sasl.stdout).toContain('PlainLoginModule required user_evcharging="****";');
    expect(sasl.stdout.match(/ScramLoginModule required;/g)).toHaveLength(2);
    expect(sasl.stdout).not.toContain('pw-123');
  });

  it('refuses an unknown mechanism, a missing password and a clashing port, naming the variable', () => {
    expect(config({ KAFKA_SASL: 'md5' }).stderr).toContain("KAFKA_SASL: unknown mechanism 'md5'");
    expect(config({ KAFKA_SASL: 'plain', KAFKA_SASL_PASSWORD: '' }).stderr).toContain(
      'needs KAFKA_SASL_PASSWORD',
    );
    const clash = config({
      KAFKA_SASL: 'plain',
      KAFKA_SASL_PASSWORD: 'x',
      KAFKA_PORT: '29092',
      KAFKA_SASL_PORT: '29093',
    });
    expect(clash.status).not.toBe(0);
    expect(clash.stderr).toContain('KAFKA_SASL_PORT (29093) must differ');
  });
});

describe.skipIf(skipReason !== null && !required)('KafkaTransport with SASL on the project broker', () => {
  let bootstrap = external ?? `127.0.0.1:${PORT + 2}`;
  let startedHere = false;
  const prefix = `sasl-${process.pid}-${randomUUID().slice(0, 8)}.`;
  const figures: Record<string, number | string> = {};

  beforeAll(async () => {
    if (skipReason) throw new Error(`REQUIRE_KAFKA=1 but the Kafka SASL tests cannot run: ${skipReason}`);
    if (external) return;
    const before = await script('status', scriptEnv, 20_000);
    if (!before.ok) {
      const started = performance.now();
      const result = await script('start');
      figures.brokerStartMs = Math.round(performance.now() - started);
      if (!result.ok)
        throw new Error(
          `scripts/kafka.sh start with KAFKA_SASL failed: ${result.output.split('\n').slice(-5).join(' | ')}`,
        );
      // Stop it afterwards only if this run started it (not one that was already up).
      startedHere = !result.output.includes('already running');
    }
    bootstrap = `127.0.0.1:${PORT + 2}`;
  }, 300_000);

  afterAll(async () => {
    process.stderr.write(`kafka sasl figures: ${JSON.stringify(figures)}\n`);
    if (skipReason) return;
    const admin = new kafkajs.Kafka({
      brokers: [bootstrap],
      sasl: { mechanism: 'plain', username: USERNAME, password: PASSWORD },
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
    } catch {
      // best effort
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (startedHere) await script('stop', scriptEnv, 60_000);
  }, 120_000);

  const transport = (clientId: string, sasl: SASLOptions | undefined) =>
    new KafkaTransport({
      brokers: [bootstrap],
      clientId,
      topicPrefix: prefix,
      groupIdPrefix: prefix,
      topics: { partitions: 1, replicationFactor: 1 },
      consumer: {
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 300,
        maxWaitTimeMs: 100,
        joinTimeoutMs: 30_000,
      },
      logger: createLogger({ name: `kafka-sasl-test:${clientId}`, level: 'silent' }),
      ...(sasl ? { sasl } : {}),
    });

  it.each(MECHANISMS)(
    '%s with the right credentials: connects, publishes and receives',
    async (mechanism) => {
      const t = transport(`ok-${mechanism}`, {
        mechanism,
        username: USERNAME,
        password: PASSWORD,
      } as SASLOptions);
      try {
        const started = performance.now();
        await t.connect();
        figures[`connect ${mechanism} ms`] = Math.round(performance.now() - started);
        const got: string[] = [];
        await t.subscribe('cp.status', { group: `g-${mechanism}` }, (status) => {
          got.push(status.cp_id);
        });
        await t.publish('cp.status', { cp_id: `CP-${mechanism}`, state: 'ACTIVATED' });
        expect(
          await advanceUntil(new RealClock(), () => got.length > 0, { timeoutMs: 20_000, pollMs: 20 }),
        ).toBe(true);
        expect(got).toEqual([`CP-${mechanism}`]);
      } finally {
        await t.close();
      }
    },
    60_000,
  );

  const refusals: [string, SASLOptions | undefined, RegExp][] = [
    [
      'PLAIN, wrong password',
      { mechanism: 'plain', username: USERNAME, password: 'wrong' },
      /SASL PLAIN authentication failed/,
    ],
    [
      'SCRAM-SHA-256, wrong password',
      { mechanism: 'scram-sha-256', username: USERNAME, password: `${PASSWORD}x` },
      /SASL SCRAM SHA256 authentication failed/,
    ],
    [
      'SCRAM-SHA-512, unknown user',
      { mechanism: 'scram-sha-512', username: 'mallory', password: PASSWORD },
      /SASL SCRAM SHA512 authentication failed/,
    ],
    // kafkajs alone says only "Closed connection": the transport adds that SASL may be needed.
    [
      'no credentials at all',
      undefined,
      /closed the connection while connecting \(KafkaJSConnectionClosedError: Closed connection\)\. It may require SASL credentials: set the transport option `sasl`/,
    ],
  ];

  it.each(refusals)(
    '%s: connect() fails with a readable error within 10 s, and the transport refuses to publish',
    async (name, sasl, message) => {
      const t = transport(`bad-${randomUUID().slice(0, 6)}`, sasl);
      const started = performance.now();
      let error: Error | undefined;
      try {
        await t.connect();
      } catch (e) {
        error = e as Error;
      } finally {
        await t.close();
      }
      const ms = Math.round(performance.now() - started);
      figures[`refused: ${name}`] = `${ms} ms, ${error?.name}: ${error?.message.slice(0, 120)}`;
      expect(error).toBeInstanceOf(Error);
      expect(`${error!.name}: ${error!.message}`).toMatch(message);
      expect(ms).toBeLessThan(FAIL_WITHIN_MS);
      await expect(t.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' })).rejects.toThrow(
        /closed/i,
      );
    },
    30_000,
  );

  it('the topics it creates are the contract topics and their dead-letter topics under the prefix', async () => {
    const admin = new kafkajs.Kafka({
      brokers: [bootstrap],
      sasl: { mechanism: 'scram-sha-512', username: USERNAME, password: PASSWORD },
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
      const expected = TOPIC_NAMES.flatMap((t) => [`${prefix}${t}`, deadLetterTopic(`${prefix}${t}`)]).sort();
      expect(mine).toEqual(expected);
    } finally {
      await admin.disconnect();
    }
  });
});
