import type { CpState } from '@evcharging/core';
import type { CpView } from '../domain/cp-registry.js';

/** The original dashboard's colours (docs/wire-contract.md §4). */
export const STATE_COLOURS: Record<CpState, string> = {
  ACTIVATED: '#4caf50',
  SUPPLYING: '#2196f3',
  STOPPED: '#ff9800',
  FAULT: '#f44336',
  DISCONNECTED: '#9e9e9e',
};

const STATE_LABELS: Record<CpState, string> = {
  ACTIVATED: 'Activated',
  SUPPLYING: 'Supplying',
  STOPPED: 'Out of Order',
  FAULT: 'Broken',
  DISCONNECTED: 'Disconnected',
};

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function card(cp: CpView): string {
  const colour = STATE_COLOURS[cp.state];
  const supply =
    cp.state === 'SUPPLYING' && cp.telemetry
      ? `<div class="supply">${cp.telemetry.kw.toFixed(1)} kW · ${cp.telemetry.kwh.toFixed(2)} kWh · €${cp.telemetry.euros.toFixed(2)}${
          cp.driver_id ? ` · ${escapeHtml(cp.driver_id)}` : ''
        }</div>`
      : '';
  const fault =
    cp.state === 'FAULT' && cp.fault_reason ? `<div class="supply">${escapeHtml(cp.fault_reason)}</div>` : '';
  return `<li class="cp" data-cp-id="${escapeHtml(cp.cp_id)}" data-state="${cp.state}" style="background:${colour}">
  <div class="id">${escapeHtml(cp.cp_id)}</div>
  <div>${escapeHtml(cp.location)}</div>
  <div>€${cp.price_eur_kwh.toFixed(2)}/kWh</div>
  <div class="state">${STATE_LABELS[cp.state]}</div>${supply}${fault}
</li>`;
}

/**
 * A plain server-rendered page listing every CP with its id, location, price and state in the
 * original's colours. The live dashboard replaces it; it reloads itself every few seconds meanwhile.
 */
export function renderCpListPage(cps: readonly CpView[], generatedAt: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>EV Charging — Central</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #fafafa; }
ul { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0.75rem; }
.cp { color: #fff; border-radius: 6px; padding: 0.75rem; }
.id { font-weight: bold; font-size: 1.1rem; }
.state { margin-top: 0.4rem; text-transform: uppercase; font-size: 0.85rem; }
.supply { margin-top: 0.3rem; font-size: 0.85rem; }
</style>
</head>
<body>
<h1>EV Charging — Central</h1>
<p>${cps.length} charging point(s) · ${escapeHtml(generatedAt)}</p>
<ul>
${cps.map(card).join('\n')}
</ul>
</body>
</html>
`;
}
