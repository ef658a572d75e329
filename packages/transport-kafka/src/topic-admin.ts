import type { Clock, Logger } from '@evcharging/core';
import type { Admin } from 'kafkajs';
import type { KafkaTopicSettings } from './kafka-options.js';

/**
 * Retries `action` on errors Kafka marks retriable (a partition that is still moving in, a
 * coordinator that is loading), pausing a little longer each time, for at most `timeoutMs`.
 */
export async function retryRetriable<T>(
  action: () => Promise<T>,
  clock: Clock,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
    try {
      return await action();
    } catch (error) {
      const retriable = (error as { retriable?: unknown } | undefined)?.retriable === true;
      if (!retriable || clock.now() >= deadline) throw error;
    }
    await clock.sleep(pause);
  }
}

/**
 * Creates the topics that do not exist yet and waits until every partition of every wanted topic
 * has a leader. Another process creating the same topics at the same time is not an error.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly string[],
  settings: Required<KafkaTopicSettings>,
  clock: Clock,
  logger: Logger,
  timeoutMs = 30_000,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    try {
      // kafkajs' own leader wait gives up when a new broker briefly answers "unknown topic" right
      // after the creation, and skips the wait when another process created the topics first:
      // the wait below covers both.
      await admin.createTopics({
        waitForLeaders: false,
        timeout: timeoutMs,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: settings.partitions,
          replicationFactor: settings.replicationFactor,
          configEntries: settings.configEntries,
        })),
      });
      logger.info({ topics: missing, partitions: settings.partitions }, 'created Kafka topics');
    } catch (error) {
      if (!onlyAlreadyExists(error)) {
        throw new Error(`could not create Kafka topics ${missing.join(', ')}: ${describe(error)}`, {
          cause: error,
        });
      }
    }
  }
  await waitForLeaders(admin, topics, clock, timeoutMs);
}

async function waitForLeaders(admin: Admin, topics: readonly string[], clock: Clock, timeoutMs: number) {
  const deadline = clock.now() + timeoutMs;
  let lastProblem = '';
  for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = metadata.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (leaderless.length === 0) {
        // A fresh partition may be listed with a leader before that broker serves it: ask it.
        await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
        return;
      }
      lastProblem = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (error) {
      lastProblem = describe(error);
    }
    if (clock.now() >= deadline) {
      throw new Error(`Kafka topics not ready within ${timeoutMs} ms: ${lastProblem}`);
    }
    await clock.sleep(pause);
  }
}

function onlyAlreadyExists(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] } | undefined)?.errors;
  const list = Array.isArray(errors) ? errors : [error];
  return list.every((e) => (e as { type?: string } | undefined)?.type === 'TOPIC_ALREADY_EXISTS');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
