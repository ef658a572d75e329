// One chart per site: its load (blue, filled) against its grid connection's limit (dashed red),
// with the latest figures as text, so the numbers are there without reading the chart. The panel
// stays hidden while Central has no sites.
import { fmt, siteRows } from './dashboard-model.js';
import { createPowerChart, SITE_LOAD } from './power-chart.js';

export function createSiteCharts(panel, container) {
  /** site_id → { figure, caption, chart } */
  const shown = new Map();

  function figureFor(row) {
    const figure = document.createElement('figure');
    figure.className = 'site-chart';
    figure.dataset.siteId = row.site_id;
    const caption = document.createElement('figcaption');
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${row.site_id}: load and limit over time`);
    figure.append(caption, canvas);
    container.append(figure);
    return { figure, caption, chart: createPowerChart(canvas, SITE_LOAD) };
  }

  return {
    /** Draws every site of the model (new ones get a chart; gone ones lose theirs). */
    update(model) {
      const rows = siteRows(model);
      panel.hidden = rows.length === 0;
      const ids = new Set(rows.map((r) => r.site_id));
      for (const [id, entry] of shown) {
        if (!ids.has(id)) {
          entry.figure.remove();
          shown.delete(id);
        }
      }
      for (const row of rows) {
        let entry = shown.get(row.site_id);
        if (!entry) {
          entry = figureFor(row);
          shown.set(row.site_id, entry);
        }
        // The figures come rounded to 0.01 kW, so rounding alone never reads as over the limit.
        const over = row.load_kw !== null && row.limit_kw !== null && row.load_kw > row.limit_kw;
        entry.figure.dataset.loadKw = String(row.load_kw ?? '');
        entry.figure.dataset.limitKw = String(row.limit_kw ?? '');
        entry.figure.classList.toggle('over-limit', over);
        entry.caption.textContent =
          row.load_kw === null
            ? `${row.site_id} · ${row.cps} CPs`
            : `${row.site_id} · ${row.cps} CPs · ${fmt.kw(row.load_kw)} of ${fmt.kw(row.limit_kw)} limit`;
        entry.chart.update(model.sites.get(row.site_id).samples);
      }
    },
  };
}
