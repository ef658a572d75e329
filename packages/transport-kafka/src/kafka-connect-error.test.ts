import { createServer, type Server, type Socket } from 'node:net';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectError, isConnectionClosed } from './kafka-errors.js';
import { KafkaTransport } from './kafka-transport.js';

// A SASL listener hangs up on a client that sends a Kafka request without authenticating first;
// kafkajs then says only "Closed connection". A local server that closes every connection as soon
// as the client speaks stands in for that listener here (no broker needed).

type KafkaErrorClass = new (e: unknown, options?: { cause?: unknown }) => Error;
// kafkajs exports it, but its typings leave it out.
const ConnectionClosedError = (kafkajs as unknown as Record<string, KafkaErrorClass>)
  .KafkaJSConnectionClosedError!;
const NonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as KafkaErrorClass;

let server: Server | undefined;
const sockets = new Set<Socket>();

async function hangingUpServer(): Promise<number> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const transportOn = (port: number, sasl?: boolean) =>
  new KafkaTransport({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'no-creds',
    retry: { retries: 0, initialRetryTime: 50 },
    connectionTimeoutMs: 2_000,
    ...(sasl ? { sasl: { mechanism: 'plain' as const, username: 'u', password: 'p' } } : {}),
  });

describe('connect() against a listener that closes the connection (as SASL does without credentials)', () => {
  it('says the broker closed the connection and may require SASL credentials, naming the options', async () => {
    const port = await hangingUpServer();
    const t = transportOn(port);
    let error: Error | undefined;
    try {
      await t.connect();
    } catch (e) {
      error = e as Error;
    } finally {
      await t.close();
    }
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain(`kafka:no-creds: the broker at 127.0.0.1:${port} closed the connection`);
    expect(error!.message).toContain('may require SASL credentials');
    expect(error!.message).toMatch(/`sasl` \(\{ mechanism: .*username, password \}\)/);
    expect(error!.message).toContain('Closed connection');
    expect(isConnectionClosed(error!.cause)).toBe(true);
  });

  it('keeps the error as it is when SASL credentials were given, or when the failure is something else', () => {
    const closed = new ConnectionClosedError('Closed connection');
    const wrapped = new NonRetriableError(closed, { cause: closed });
    const context = { name: 'kafka:x', brokers: ['127.0.0.1:1'], sasl: false };
    expect((connectError(wrapped, context) as Error).message).toMatch(/closed the connection.*SASL/);
    expect(connectError(wrapped, { ...context, sasl: true })).toBe(wrapped);
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    expect(connectError(refused, context)).toBe(refused);
  });
});
