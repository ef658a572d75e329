// Power over time on a canvas: the total power, or a site's load against its limit. Redrawn at
// most a few times a second: a chart library would add ~50 kB and a dependency for two lines, an
// area and a few labels.

const LINE = '#2196f3';
const FILL = 'rgba(33, 150, 243, 0.15)';
const GRID = '#d9dee5';
const TEXT = '#4a5563';

/** The total power: one series, a line over a filled area. */
export const TOTAL_POWER = [{ line: LINE, fill: FILL }];
/** A site: its load (line and area) and its grid connection's limit (a dashed line above). */
export const SITE_LOAD = [
  { line: LINE, fill: FILL },
  { line: '#f44336', dash: [6, 4] },
];

/**
 * A chart of `series` (default: the total power) over points `[t, value, value, …]`, one value per
 * series, oldest first.
 */
export function createPowerChart(canvas, series = TOTAL_POWER) {
  const ctx = canvas.getContext('2d');
  let points = [];
  let pending = false;

  function draw() {
    pending = false;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const left = 56;
    const right = 8;
    const top = 8;
    const bottom = 20;
    const w = width - left - right;
    const h = height - top - bottom;

    let max = 0;
    for (const point of points) {
      for (let i = 1; i <= series.length; i++) if (point[i] > max) max = point[i];
    }
    const yMax = 4 * niceStep(max / 4);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = TEXT;
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + h - (h * i) / 4;
      ctx.beginPath();
      ctx.moveTo(left, Math.round(y) + 0.5);
      ctx.lineTo(left + w, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(formatKw((yMax * i) / 4), left - 6, y);
    }
    if (points.length < 2) {
      ctx.textAlign = 'center';
      ctx.fillText('waiting for data…', left + w / 2, top + h / 2);
      return;
    }
    const t0 = points[0][0];
    const t1 = points[points.length - 1][0];
    const span = Math.max(1, t1 - t0);
    const x = (t) => left + ((t - t0) / span) * w;
    const y = (kw) => top + h - (kw / yMax) * h;

    series.forEach((style, i) => {
      const v = i + 1;
      ctx.beginPath();
      ctx.moveTo(x(points[0][0]), y(points[0][v]));
      for (const point of points) ctx.lineTo(x(point[0]), y(point[v]));
      ctx.strokeStyle = style.line;
      ctx.lineWidth = 2;
      ctx.setLineDash(style.dash ?? []);
      ctx.stroke();
      ctx.setLineDash([]);
      if (!style.fill) return;
      ctx.lineTo(x(t1), top + h);
      ctx.lineTo(x(t0), top + h);
      ctx.closePath();
      ctx.fillStyle = style.fill;
      ctx.fill();
    });

    ctx.fillStyle = TEXT;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillText(`-${formatSpan(span)}`, left, top + h + 4);
    ctx.textAlign = 'right';
    ctx.fillText('now', left + w, top + h + 4);
  }

  return {
    /** Replaces the points ([t, kW, …], oldest first) and redraws on the next frame. */
    update(next) {
      points = next;
      if (!pending) {
        pending = true;
        requestAnimationFrame(draw);
      }
    },
  };
}

// The smallest round gridline step at least `value`, so the four gridlines read 60, 120, 180, 240.
function niceStep(value) {
  if (value <= 0) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

function formatKw(kw) {
  return kw >= 10_000
    ? `${(kw / 1000).toFixed(0)} MW`
    : kw >= 1000
      ? `${(kw / 1000).toFixed(1)} MW`
      : `${kw.toFixed(0)} kW`;
}

function formatSpan(ms) {
  const s = Math.round(ms / 1000);
  return s >= 120 ? `${Math.round(s / 60)} min` : `${s} s`;
}
