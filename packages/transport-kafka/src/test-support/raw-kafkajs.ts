// Plain kafkajs for baselines and raw reads/writes outside this package (bench/kafka.bench.ts),
// which cannot resolve the package's own dependency by name. Not part of the published build.
import kafkajs from 'kafkajs';

export type { Consumer, Kafka, Message, Producer } from 'kafkajs';
export default kafkajs;
