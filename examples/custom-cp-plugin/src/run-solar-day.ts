/**
 * One solar-limited CP through a simulated day: a one-hour session starts every three hours and
 * the energy each one got is printed. Runs in virtual time (a day takes well under a second).
 *
 * Run: pnpm --filter @evcharging/example-custom-cp-plugin start
 */
import {
  createLogger,
  createNode,
  isoTime,
  SeededRandom,
  type SessionEnd,
  VirtualClock,
} from '@evcharging/core';
import { chargingPointEngine, fixedDuration } from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import { solarLimitedModel } from './solar-limited-model.js';

const clock = new VirtualClock();
const broker = new MemoryBroker();
const engine = chargingPointEngine({
  cpId: 'CP-SOLAR',
  priceEurKwh: 0.25,
  policy: fixedDuration(3600),
  model: solarLimitedModel({ peakSolarKw: 15, gridKw: 3.7 }),
});
const node = createNode({
  id: 'cp-solar',
  transport: broker.transport('cp-solar', { clock }),
  clock,
  random: new SeededRandom(1),
  logger: createLogger({ level: 'warn' }),
  plugins: [engine],
});
await node.start();

const central = broker.transport('central', { clock });
const tickets: SessionEnd[] = [];
await central.subscribe('cp.session_end', { group: 'central' }, (ticket) => {
  tickets.push(ticket);
});
for (let hour = 0; hour < 24; hour += 3) {
  await central.publish('central.commands', {
    cmd: 'start_supply',
    cp_id: 'CP-SOLAR',
    payload: { driver_id: 'driver-sun', request_id: `req-${hour}`, session_id: `session-solar-${hour}` },
    ts: isoTime(clock.now()),
  });
  await clock.advance(3 * 3_600_000);
}
await node.stop();

const out = process.stdout;
out.write('session start (UTC)        kWh      €\n');
for (const t of tickets) {
  out.write(
    `${t.start_time}  ${t.energy_kwh.toFixed(2).padStart(6)}  ${t.total_cost_eur.toFixed(2).padStart(5)}\n`,
  );
}
const total = tickets.reduce((sum, t) => sum + t.energy_kwh, 0);
out.write(`total ${total.toFixed(2)} kWh in ${tickets.length} sessions\n`);
