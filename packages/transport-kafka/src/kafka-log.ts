import type { Logger } from '@evcharging/core';
import kafkajs, { type logCreator } from 'kafkajs';

const { logLevel } = kafkajs;

/**
 * Routes kafkajs' own logs into our structured logger. kafkajs INFO lines (joins, starts, stops)
 * are routine client chatter, so they go out at debug. So do the error responses its connection
 * layer logs for every request (`Response Metadata(...)`, "not the leader" while a new topic
 * settles): the operation that sent the request retries them, and reports its own failure if the
 * retries run out. So do its consumer-crash lines (`Crash: ...`, `Restarting the consumer in ...`),
 * which kafkajs writes at error even when it restarts the consumer on a retriable error (a group
 * coordinator still loading on a fresh broker): the subscription reports each crash from the CRASH
 * event, at warn when kafkajs restarts the consumer and at error when it gives up. Other warnings
 * and errors keep their level.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const context = { kafkajs: namespace, ...extra };
      const perRequest = namespace === 'Connection' && message.startsWith('Response ');
      const crashReport =
        namespace === 'Consumer' &&
        (message.startsWith('Crash: ') || message.startsWith('Restarting the consumer'));
      if (perRequest || crashReport) logger.debug(context, message);
      else if (level === logLevel.ERROR) logger.error(context, message);
      else if (level === logLevel.WARN) logger.warn(context, message);
      else logger.debug(context, message);
    };
}
