// The page's model of Central: applies the feed's snapshot and deltas, filters, formats.
// Pure functions over plain data, no DOM, so vitest runs them in Node as well.

export const STATES = ['ACTIVATED', 'SUPPLYING', 'STOPPED', 'FAULT', 'DISCONNECTED'];

/** What each state reads as on a card (colour is never the only signal). */
export const STATE_LABELS = {
  ACTIVATED: 'Activated',
  SUPPLYING: 'Supplying',
  STOPPED: 'Out of Order',
  FAULT: 'Fault',
  DISCONNECTED: 'Disconnected',
};

export const EVENT_LIMIT = 200;
export const POWER_HISTORY_LIMIT = 600;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

// Versions are unique across snapshots, so a card drawn before a resync is never taken as current.
let nextVersion = 1;

export function createModel() {
  return {
    /** @type {Map<string, any>} cp_id → CP, each with a `_v` version, new on every change */
    cps: new Map(),
    /** CP ids in natural order ("CP-2" before "CP-10"). */
    order: [],
    totals: null,
    /** Oldest first. */
    events: [],
    /** [t, kW] pairs, oldest first. */
    power: [],
    /** site_id → { site_id, cps, samples: [t, load kW, limit kW][] oldest first }, when Central has sites. */
    sites: new Map(),
    seq: 0,
    timing: null,
    serverTime: 0,
  };
}

export function applySnapshot(model, snapshot) {
  model.cps = new Map();
  for (const cp of snapshot.cps) model.cps.set(cp.cp_id, { ...cp, _v: nextVersion++ });
  model.order = sortIds(model.cps.keys());
  model.totals = snapshot.totals;
  model.events = snapshot.events.slice(-EVENT_LIMIT);
  model.power = snapshot.power.slice(-POWER_HISTORY_LIMIT);
  model.sites = new Map();
  for (const site of snapshot.sites ?? []) {
    model.sites.set(site.site_id, { ...site, samples: site.samples.slice(-POWER_HISTORY_LIMIT) });
  }
  model.seq = snapshot.seq;
  model.timing = snapshot.timing;
  model.serverTime = snapshot.t;
}

/**
 * Applies one delta. Returns what changed so the page redraws only that:
 * `changed` (ids), `membership` (ids added/removed or a state changed: filters must rerun),
 * `events` (the new events, oldest first).
 */
export function applyDelta(model, delta) {
  const changed = new Set();
  let added = false;
  let stateChanged = false;
  for (const d of delta.cps) {
    const cp = model.cps.get(d.cp_id);
    if (cp) {
      if (d.state !== undefined && d.state !== cp.state) stateChanged = true;
      Object.assign(cp, d);
      cp._v = nextVersion++;
    } else {
      model.cps.set(d.cp_id, { ...d, _v: nextVersion++ });
      added = true;
    }
    changed.add(d.cp_id);
  }
  for (const id of delta.removed) {
    if (model.cps.delete(id)) added = true;
    changed.add(id);
  }
  if (added) model.order = sortIds(model.cps.keys());
  model.totals = delta.totals;
  if (delta.events.length > 0) {
    model.events.push(...delta.events);
    if (model.events.length > EVENT_LIMIT) model.events.splice(0, model.events.length - EVENT_LIMIT);
  }
  model.power.push([delta.t, delta.totals.power_kw]);
  if (model.power.length > POWER_HISTORY_LIMIT) model.power.shift();
  for (const { site_id, cps, sample } of delta.sites ?? []) {
    let site = model.sites.get(site_id);
    if (!site) {
      site = { site_id, cps, samples: [] };
      model.sites.set(site_id, site);
    }
    site.samples.push(sample);
    if (site.samples.length > POWER_HISTORY_LIMIT) site.samples.shift();
  }
  model.seq = delta.seq;
  model.serverTime = delta.t;
  return { changed, membership: added || stateChanged, events: delta.events };
}

/** The sites in natural order of their ids, each with its latest load and limit (null before any). */
export function siteRows(model) {
  return sortIds(model.sites.keys()).map((id) => {
    const site = model.sites.get(id);
    const last = site.samples[site.samples.length - 1];
    return { site_id: id, cps: site.cps, load_kw: last ? last[1] : null, limit_kw: last ? last[2] : null };
  });
}

export function sortIds(ids) {
  return [...ids].sort(collator.compare);
}

/** Filter from the search box and the state select: text matches id or location, case-insensitive. */
export function matches(cp, filter) {
  if (filter.state && cp.state !== filter.state) return false;
  if (!filter.text) return true;
  const text = filter.text.toLowerCase();
  return (
    cp.cp_id.toLowerCase().includes(text) ||
    (cp.location ?? '').toLowerCase().includes(text) ||
    (cp.driver_id ?? '').toLowerCase().includes(text)
  );
}

export function filteredIds(model, filter) {
  if (!filter.text && !filter.state) return model.order;
  return model.order.filter((id) => matches(model.cps.get(id), filter));
}

/** Running sessions, newest first, after the filter; `limit` rows plus the total count. */
export function activeSessions(model, filter, limit) {
  const rows = [];
  for (const cp of model.cps.values()) {
    if (cp.session_id && matches(cp, filter)) rows.push(cp);
  }
  // ISO times compare as strings; a plain comparison is ~10x cheaper than localeCompare at 10k rows.
  const key = (cp) => cp.session_started_at ?? '';
  rows.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
  return { total: rows.length, rows: rows.slice(0, limit) };
}

export const fmt = {
  kw: (v) => `${(v ?? 0).toLocaleString('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} kW`,
  kwh: (v) => `${(v ?? 0).toFixed(3)} kWh`,
  eur: (v) => `€${(v ?? 0).toFixed(2)}`,
  price: (v) => `€${(v ?? 0).toFixed(2)}/kWh`,
  int: (v) => (v ?? 0).toLocaleString('en'),
  time: (iso) => (iso ? iso.slice(11, 19) : ''),
};
