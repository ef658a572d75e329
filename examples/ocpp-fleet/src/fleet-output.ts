import type { FleetFigures, OcppFigures } from '@evcharging/ocpp';
import type { FleetCliOptions } from './fleet-options.js';

const n = (x: number) => x.toLocaleString('en-US');
const total = (tally: Record<string, number>) => Object.values(tally).reduce((a, b) => a + b, 0);
const tallyText = (tally: Record<string, number>) =>
  Object.keys(tally).length === 0
    ? 'none'
    : Object.entries(tally)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ');

/** One line: where the fleet is now. */
export function progressLine(elapsedS: number, fleet: FleetFigures, ocpp: OcppFigures): string {
  return [
    `${Math.round(elapsedS)} s`,
    `connected ${n(fleet.connected)}/${n(fleet.cps)}`,
    `charging ${n(fleet.charging)}`,
    `transactions ${n(fleet.transactionsStarted)}`,
    `energy ${fleet.energyKwh.toFixed(1)} kWh`,
    `calls ${n(total(ocpp.callsSent))}`,
    `CALLERRORs ${n(total(ocpp.callErrorsReceived))}`,
    `p99 ${Number.isNaN(ocpp.latencyMs.p99) ? '-' : ocpp.latencyMs.p99} ms`,
  ].join(' · ');
}

/** The summary printed on exit. */
export function summaryText(
  options: FleetCliOptions,
  elapsedS: number,
  fleet: FleetFigures,
  ocpp: OcppFigures,
): string {
  const l = ocpp.latencyMs;
  const rows: [string, string][] = [
    ['CSMS', options.csms],
    ['ran', `${elapsedS.toFixed(1)} s`],
    ['charge points connected', `${n(fleet.connected)} of ${n(fleet.cps)} (booted ${n(fleet.booted)})`],
    [
      'connection attempts',
      `${n(ocpp.connects.attempts)}, opened ${n(ocpp.connects.opened)}, refused: ${tallyText(ocpp.connects.refused)}`,
    ],
    ['closes', tallyText(ocpp.connects.closed)],
    ['drivers arrived', `${n(fleet.arrivals)} (${n(fleet.arrivalsUnserved)} found no free charge point)`],
    [
      'transactions',
      `${n(fleet.transactionsStarted)} started, ${n(fleet.transactionsStopped)} stopped, ${n(fleet.charging)} charging`,
    ],
    ['energy (stopped transactions)', `${fleet.energyKwh.toFixed(2)} kWh`],
    ['calls sent', `${n(total(ocpp.callsSent))}: ${tallyText(ocpp.callsSent)}`],
    ['CALLRESULTs received', n(ocpp.callResultsReceived)],
    ['CALLERRORs received', `${n(total(ocpp.callErrorsReceived))}: ${tallyText(ocpp.callErrorsReceived)}`],
    ['calls timed out', n(ocpp.callTimeouts)],
    ['calls from the CSMS', `${n(total(ocpp.callsReceived))}: ${tallyText(ocpp.callsReceived)}`],
    ['CALLERRORs sent', tallyText(ocpp.callErrorsSent)],
    [
      'malformed frames / schema failures in, out',
      `${n(ocpp.badMessages)} / ${n(ocpp.strictValidationFailures.inbound)}, ${n(ocpp.strictValidationFailures.outbound)}`,
    ],
    [
      'transaction messages',
      `queued ${n(ocpp.transactionMessages.queued)}, sent ${n(ocpp.transactionMessages.sent)}, retried ${n(ocpp.transactionMessages.retried)}, discarded ${n(ocpp.transactionMessages.discarded)}, waiting ${n(fleet.queued)}`,
    ],
    [
      'CALL → CALLRESULT latency',
      `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms (${n(l.count)} calls)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
