import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandExists, kafkaScript } from './test-support/kafka-broker.js';

// scripts/kafka.sh formats a new broker's storage with the cluster id it keeps in cluster.id. A
// base64url id starts with "-" one time in 64, and Kafka's storage tool then read it as an option
// ("argument --cluster-id/-t: expected one argument"): a fresh broker failed to start now and then.
// Broker rules as for every Kafka test: REQUIRE_KAFKA=1 means it must run; without Java it is
// skipped with one loud line.

const PORT = Number(process.env.KAFKA_CLUSTER_ID_TEST_PORT ?? 19592);
const hasJava = commandExists('java');
if (!hasJava && process.env.REQUIRE_KAFKA !== '1') {
  process.stderr.write(
    '\n!!! transport-kafka: SKIPPING the kafka.sh cluster-id test: java is not on PATH !!!\n\n',
  );
}

describe.runIf(hasJava || process.env.REQUIRE_KAFKA === '1')('scripts/kafka.sh cluster id', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'ev-kafka-cid-'));
  const inHome = { KAFKA_HOME_DIR: home };

  afterAll(() => {
    kafkaScript('stop', PORT, 60_000, inHome);
    rmSync(home, { recursive: true, force: true });
  });

  it('starts a new broker whose stored cluster id begins with "-", and formats it with that id', () => {
    // The jars of the default home (the script's `path` fetches them once), not a second download.
    const libs = kafkaScript('path', PORT);
    expect(libs.status, libs.output).toBe(0);
    // Its one line on stdout (the output also holds the script's progress lines on stderr).
    const libsDir = libs.output.split('\n').find((line) => path.isAbsolute(line))!;
    symlinkSync(libsDir, path.join(home, path.basename(libsDir)));
    const brokerDir = path.join(home, `broker-${PORT}`);
    mkdirSync(brokerDir, { recursive: true });
    const id = '-Ab3dEfGhIjKlMnOpQrStUv';
    writeFileSync(path.join(brokerDir, 'cluster.id'), id);

    const started = kafkaScript('start', PORT, 240_000, inHome);
    expect(started.status, started.output.slice(-2000)).toBe(0);
    const meta = readFileSync(path.join(brokerDir, 'data', 'meta.properties'), 'utf8');
    expect(meta).toContain(`cluster.id=${id}\n`);
  }, 300_000);
});
