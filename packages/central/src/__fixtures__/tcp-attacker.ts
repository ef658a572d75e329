// A hostile TCP client fleet, run as its own process so its work does not share an event loop
// with the server under test. Environment: ATTACK_PORT, ATTACK_MS, ATTACK_NOISE, ATTACK_DEAF,
// ATTACK_SLOWLORIS, ATTACK_IDLE, ATTACK_NOISE_BYTES (per socket). Prints one JSON line of figures.
import { connect, type Socket } from 'node:net';

type Kind = 'noise' | 'deaf' | 'slowloris' | 'idle';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const port = env('ATTACK_PORT', 0);
const attackMs = env('ATTACK_MS', 4_000);
const noiseBytes = env('ATTACK_NOISE_BYTES', 256 * 1024);
const counts: Record<Kind, number> = {
  noise: env('ATTACK_NOISE', 80),
  deaf: env('ATTACK_DEAF', 20),
  slowloris: env('ATTACK_SLOWLORIS', 60),
  idle: env('ATTACK_IDLE', 40),
};

// Deterministic noise (xorshift), so a run can be replayed.
let state = 0x9e3779b9;
const noise = Buffer.alloc(16 * 1024);
for (let i = 0; i < noise.length; i++) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  noise[i] = state & 0xff;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const opened: Record<Kind, number> = { noise: 0, deaf: 0, slowloris: 0, idle: 0 };
const refused: Record<Kind, number> = { noise: 0, deaf: 0, slowloris: 0, idle: 0 };
const closedByServer: Record<Kind, number> = { noise: 0, deaf: 0, slowloris: 0, idle: 0 };
let bytesSent = 0;
let stop = false;
const sockets: Socket[] = [];

function open(kind: Kind): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      opened[kind]++;
      sockets.push(socket);
      socket.once('close', () => {
        if (!stop) closedByServer[kind]++;
      });
      resolve(socket);
    });
    socket.once('close', () => {
      if (socket.connecting) refused[kind]++;
      resolve(undefined);
    });
  });
}

async function attack(kind: Kind, socket: Socket, n: number): Promise<void> {
  if (kind === 'deaf') socket.pause();
  else socket.on('data', () => undefined);
  if (kind === 'noise' || kind === 'deaf') {
    // Spread evenly over the attack: 4 KiB at a time, so a run is the same load whatever the machine.
    const chunkBytes = 4096;
    const pauseMs = Math.max(1, Math.floor(attackMs / Math.ceil(noiseBytes / chunkBytes)));
    for (let sent = 0; !stop && sent < noiseBytes && !socket.destroyed; sent += chunkBytes) {
      const offset = (n * 977 + sent) % (noise.length - chunkBytes);
      const flushed = socket.write(noise.subarray(offset, offset + chunkBytes));
      bytesSent += chunkBytes;
      if (!flushed) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
      await sleep(pauseMs);
    }
  } else if (kind === 'slowloris') {
    // A frame that is opened and never ends: a byte every 200 ms, never an ETX.
    socket.write(Buffer.of(0x02, 0x50, 0x49));
    while (!stop && !socket.destroyed) {
      await sleep(200);
      socket.write(Buffer.of(0x4e));
      bytesSent++;
    }
  }
}

const started = performance.now();
const kinds = (Object.keys(counts) as Kind[]).flatMap((kind) =>
  Array.from({ length: counts[kind] }, () => kind),
);
const sockets_ = await Promise.all(kinds.map((kind) => open(kind)));
const connectMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ready: true, connectMs: Math.round(connectMs) })}\n`);
const work = sockets_.map((socket, n) => (socket ? attack(kinds[n]!, socket, n) : Promise.resolve()));
await sleep(attackMs);
stop = true;
await Promise.all(work);
const stillOpen = sockets.filter((s) => !s.destroyed).length;
for (const s of sockets) s.destroy();
process.stdout.write(
  `${JSON.stringify({ done: true, opened, refused, closedByServer, stillOpenAtEnd: stillOpen, bytesSent, connectMs: Math.round(connectMs) })}\n`,
);
