// The live dashboard: reads Central's SSE feed (a snapshot, then batched deltas), draws what is in
// view, and sends operator commands. No framework and no build step: the files are served as is.
import { createCpGrid } from './cp-grid.js';
import {
  activeSessions,
  applyDelta,
  applySnapshot,
  createModel,
  filteredIds,
  fmt,
  STATE_LABELS,
  STATES,
} from './dashboard-model.js';
import { createPowerChart } from './power-chart.js';
import { createSiteCharts } from './site-charts.js';

const TOKEN_KEY = 'evcharging.apiToken';
const SESSION_ROWS = 50;
const EVENT_ROWS = 100;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

const $ = (id) => document.getElementById(id);

// Figures a test or a curious operator can read from the console (performance.now() values, ms).
const metrics = {
  firstRenderAt: null,
  snapshots: 0,
  deltas: 0,
  lastSnapshotMs: null,
  lastBatchMs: null,
  batchMs: [],
  reconnects: 0,
};
window.__dashboard = { metrics };

const model = createModel();
const filter = { text: '', state: '' };
let config = null;
let source = null;
let backoffMs = BACKOFF_MIN_MS;
let watchdog = null;
let reconnectTimer = null;
let shownIds = [];

const grid = createCpGrid($('grid'), renderCard);
const chart = createPowerChart($('power-chart'));
const siteCharts = createSiteCharts($('sites-panel'), $('sites'));
window.__dashboard.renderedCards = () => grid.rendered();
window.__dashboard.grid = grid.stats;

// ---- cards -------------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderCard(card, cp) {
  let refs = card._refs;
  if (!refs) {
    const head = el('div', 'cp-head');
    refs = {
      id: el('span', 'cp-id'),
      badge: el('span', 'state-badge'),
      meta: el('div', 'cp-meta'),
      supply: el('div', 'cp-supply'),
      driver: el('div', 'cp-driver'),
      reason: el('div', 'cp-reason'),
      monitor: el('span', 'monitor'),
      stop: el('button', 'stop', 'Stop'),
      resume: el('button', 'resume', 'Resume'),
    };
    refs.stop.type = 'button';
    refs.stop.dataset.action = 'stop';
    refs.resume.type = 'button';
    refs.resume.dataset.action = 'resume';
    head.append(refs.id, refs.badge);
    const foot = el('div', 'cp-foot');
    foot.append(refs.monitor, refs.stop, refs.resume);
    card.append(head, refs.meta, refs.supply, refs.driver, refs.reason, foot);
    card._refs = refs;
  }
  card.dataset.state = cp.state;
  refs.id.textContent = cp.cp_id;
  refs.id.title = cp.cp_id;
  refs.badge.textContent = STATE_LABELS[cp.state] ?? cp.state;
  refs.meta.textContent = `${cp.location || '—'} · ${fmt.price(cp.price_eur_kwh)} · ${cp.max_kw} kW`;
  refs.meta.title = refs.meta.textContent;
  const supplying = cp.state === 'SUPPLYING' || Boolean(cp.session_id);
  refs.supply.hidden = !supplying;
  refs.driver.hidden = !supplying;
  if (supplying) {
    const soc = typeof cp.soc === 'number' ? ` · SoC ${cp.soc.toFixed(0)} %` : '';
    refs.supply.textContent = `${fmt.kw(cp.kw)} · ${fmt.kwh(cp.kwh)} · ${fmt.eur(cp.euros)}${soc}`;
    refs.driver.textContent = `Driver ${cp.driver_id ?? '—'}`;
  }
  refs.reason.hidden = supplying || !cp.reason || cp.state === 'ACTIVATED';
  refs.reason.textContent = cp.reason ?? '';
  refs.reason.title = cp.reason ?? '';
  refs.monitor.className = `monitor ${cp.monitor}`;
  refs.monitor.textContent = `monitor ${cp.monitor}`;
  refs.stop.disabled = cp.state === 'STOPPED';
  refs.resume.disabled = cp.state !== 'STOPPED';
}

// ---- panels ------------------------------------------------------------------------------------

function renderTotals() {
  const t = model.totals;
  if (!t) return;
  $('total-cps').textContent = fmt.int(t.cps);
  for (const state of STATES) $(`count-${state}`).textContent = fmt.int(t.by_state[state]);
  $('active-sessions').textContent = fmt.int(t.active_sessions);
  $('power').textContent = fmt.kw(t.power_kw);
  $('energy').textContent = `${t.energy_kwh.toFixed(2)} kWh`;
  $('revenue').textContent = fmt.eur(t.revenue_eur);
}

function refilter() {
  shownIds = filteredIds(model, filter);
  grid.setIds(shownIds, model);
  const total = model.cps.size;
  $('shown-count').textContent =
    shownIds.length === total ? `(${fmt.int(total)})` : `(${fmt.int(shownIds.length)} of ${fmt.int(total)})`;
}

function renderSessions() {
  const { total, rows } = activeSessions(model, filter, SESSION_ROWS);
  const body = $('sessions-body');
  const fragment = document.createDocumentFragment();
  for (const cp of rows) {
    const tr = document.createElement('tr');
    tr.dataset.cpId = cp.cp_id;
    for (const [text, cls] of [
      [cp.cp_id],
      [cp.driver_id ?? ''],
      [cp.session_id ?? ''],
      [fmt.time(cp.session_started_at)],
      [(cp.kw ?? 0).toFixed(1), 'num'],
      [(cp.kwh ?? 0).toFixed(3), 'num'],
      [(cp.euros ?? 0).toFixed(2), 'num'],
    ]) {
      tr.append(el('td', cls, text));
    }
    fragment.append(tr);
  }
  body.replaceChildren(fragment);
  $('sessions-count').textContent =
    total > rows.length ? `(${rows.length} of ${fmt.int(total)})` : `(${total})`;
}

function eventItem(event) {
  const li = el('li', `ev-${event.kind}`);
  li.dataset.kind = event.kind;
  li.append(
    el('time', '', fmt.time(event.ts)),
    el('span', 'kind', event.kind),
    el('span', '', event.message),
  );
  if (event.ts) li.querySelector('time').dateTime = event.ts;
  return li;
}

function renderEvents(fresh) {
  const list = $('events');
  if (fresh === undefined) {
    list.replaceChildren(...model.events.slice(-EVENT_ROWS).reverse().map(eventItem));
    return;
  }
  if (fresh.length === 0) return;
  const fragment = document.createDocumentFragment();
  for (const event of fresh.slice(-EVENT_ROWS).reverse()) fragment.append(eventItem(event));
  list.prepend(fragment);
  while (list.childElementCount > EVENT_ROWS) list.lastElementChild.remove();
}

// ---- feed --------------------------------------------------------------------------------------

function onSnapshot(message) {
  const started = performance.now();
  const snapshot = JSON.parse(message.data);
  applySnapshot(model, snapshot);
  renderTotals();
  refilter();
  renderSessions();
  renderEvents();
  chart.update(model.power);
  siteCharts.update(model);
  metrics.snapshots++;
  metrics.lastSnapshotMs = performance.now() - started;
  if (metrics.firstRenderAt === null) metrics.firstRenderAt = performance.now();
  backoffMs = BACKOFF_MIN_MS;
  setConnection('live');
  armWatchdog();
}

function onDelta(message) {
  const started = performance.now();
  const delta = JSON.parse(message.data);
  const { membership, events } = applyDelta(model, delta);
  renderTotals();
  if (membership && (filter.state || filter.text)) refilter();
  else if (membership) grid.setIds(model.order, model);
  else grid.refresh();
  renderSessions();
  renderEvents(events);
  $('events-dropped').textContent = delta.dropped_events ? `(${delta.dropped_events} not shown)` : '';
  chart.update(model.power);
  if (delta.sites) siteCharts.update(model);
  metrics.deltas++;
  metrics.lastBatchMs = performance.now() - started;
  metrics.batchMs.push(metrics.lastBatchMs);
  if (metrics.batchMs.length > 1000) metrics.batchMs.shift();
  armWatchdog();
}

function setConnection(status, text) {
  document.body.dataset.connection = status;
  const labels = { connecting: 'Connecting…', live: 'Live', lost: 'Disconnected' };
  $('connection').textContent = labels[status];
  const banner = $('banner');
  banner.hidden = status !== 'lost';
  if (text) banner.textContent = text;
}

// A stream that stays silent longer than a few sample intervals is dead even if the socket is not.
function armWatchdog() {
  clearTimeout(watchdog);
  const sample = model.timing?.sample_interval_ms ?? 1000;
  watchdog = setTimeout(() => connectionLost('no data from Central'), Math.max(5000, 4 * sample));
}

function connectionLost(why) {
  clearTimeout(watchdog);
  source?.close();
  source = null;
  if (reconnectTimer) return;
  const delay = Math.round(backoffMs * (0.75 + Math.random() * 0.5));
  backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
  setConnection(
    'lost',
    `Connection to Central lost (${why}). Reconnecting in ${(delay / 1000).toFixed(1)} s; the figures below may be out of date.`,
  );
  reconnectTimer = setTimeout(() => {
    reconnectTimer = null;
    metrics.reconnects++;
    connect();
  }, delay);
}

async function connect() {
  if (!config) {
    try {
      const res = await fetch('/dashboard/config.json', { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      config = await res.json();
      document.title = config.title;
      $('title').textContent = config.title;
    } catch {
      connectionLost('Central is not answering');
      return;
    }
  }
  source = new EventSource(config.stream);
  source.addEventListener('snapshot', onSnapshot);
  source.addEventListener('delta', onDelta);
  source.onerror = () => connectionLost('the stream closed');
}

// ---- operator commands -------------------------------------------------------------------------

function askToken(message) {
  const dialog = $('token-dialog');
  $('token-message').textContent = message;
  $('token-input').value = '';
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => resolve(dialog.returnValue === 'ok' && $('token-input').value ? $('token-input').value : null),
      { once: true },
    );
    dialog.returnValue = '';
    dialog.showModal();
  });
}

function showResult(text, isError) {
  const box = $('action-result');
  box.hidden = false;
  box.textContent = text;
  box.classList.toggle('error', Boolean(isError));
}

async function errorText(res) {
  try {
    const body = await res.json();
    return body.message ?? body.error ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

async function command(kind, cpId) {
  if (!config) return;
  const what = cpId
    ? `${kind === 'stop' ? 'Stop' : 'Resume'} ${cpId}`
    : kind === 'stopAll'
      ? 'Stop all'
      : 'Resume all';
  const path = config.commands[kind].replace('{id}', encodeURIComponent(cpId ?? ''));
  let token = sessionStorage.getItem(TOKEN_KEY);
  if (!token && config.token_required) {
    token = await askToken('Central needs an API token for operator commands.');
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    } catch (error) {
      showResult(`${what} failed: Central is not answering (${error.message})`, true);
      return;
    }
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      token = await askToken(
        token
          ? 'Central refused that token; enter a valid one.'
          : 'Central needs an API token for operator commands.',
      );
      if (!token) {
        showResult(`${what}: cancelled, no API token`, true);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, token);
      continue;
    }
    if (!res.ok) {
      showResult(`${what} failed: ${await errorText(res)}`, true);
      return;
    }
    showResult(`${what}: done`);
    return;
  }
  showResult(`${what} failed: token refused`, true);
}

// ---- wiring ------------------------------------------------------------------------------------

$('grid').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  const card = event.target.closest('.cp-card');
  if (!button || !card) return;
  command(button.dataset.action, card.dataset.cpId);
});
$('stop-all').addEventListener('click', () => command('stopAll'));
$('resume-all').addEventListener('click', () => command('resumeAll'));

let filterTimer = null;
$('filter-text').addEventListener('input', (event) => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    filter.text = event.target.value.trim();
    refilter();
    renderSessions();
  }, 120);
});
$('filter-state').addEventListener('change', (event) => {
  filter.state = event.target.value;
  refilter();
  renderSessions();
});

connect();
