export { DLQ_HEADERS, deadLetterTopic } from './dead-letter.js';
export { kafkaLogCreator } from './kafka-log.js';
export {
  DEFAULT_RETRY,
  type KafkaCompression,
  type KafkaConsumerSettings,
  type KafkaHandlerRetry,
  type KafkaProducerSettings,
  type KafkaTopicSettings,
  type KafkaTransportOptions,
  kafkaBrokersFromEnv,
} from './kafka-options.js';
export { KafkaTransport } from './kafka-transport.js';
