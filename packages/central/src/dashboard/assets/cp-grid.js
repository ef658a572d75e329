// A virtualised grid of CP cards: fixed-size cards in a scrolling viewport, and only the rows in
// view (plus one above and below) exist in the DOM, so 10,000 CPs cost what 60 do.

const MIN_CARD_WIDTH = 230;
const ROW_HEIGHT = 142;
const GAP = 10;

export function createCpGrid(viewport, renderCard) {
  const inner = document.createElement('div');
  inner.className = 'grid-inner';
  viewport.append(inner);
  const empty = document.createElement('p');
  empty.className = 'grid-empty';
  empty.textContent = 'No charging points match the filter.';
  empty.hidden = true;
  viewport.append(empty);

  /** @type {string[]} */
  let ids = [];
  let model = null;
  let columns = 1;
  let cardWidth = MIN_CARD_WIDTH;
  let scheduled = false;
  /** id → { el, v, x, y, w } */
  const live = new Map();
  /** Hidden cards kept for reuse. */
  const spare = [];
  /** Time spent building the cards in view (script only, not the browser's layout and paint). */
  const stats = { renders: 0, lastRenderMs: 0, maxRenderMs: 0 };

  function layout() {
    const width = Math.max(MIN_CARD_WIDTH, viewport.clientWidth - 2 * GAP);
    const nextColumns = Math.max(1, Math.floor((width + GAP) / (MIN_CARD_WIDTH + GAP)));
    cardWidth = Math.floor((width - GAP * (nextColumns - 1)) / nextColumns);
    columns = nextColumns;
    const rows = Math.ceil(ids.length / columns);
    inner.style.height = `${rows * ROW_HEIGHT + GAP}px`;
    empty.hidden = ids.length > 0 || model === null;
  }

  function render() {
    scheduled = false;
    if (!model) return;
    const started = performance.now();
    const top = viewport.scrollTop;
    const height = viewport.clientHeight || 600;
    const firstRow = Math.max(0, Math.floor(top / ROW_HEIGHT) - 1);
    const lastRow = Math.ceil((top + height) / ROW_HEIGHT) + 1;
    const from = firstRow * columns;
    const to = Math.min(ids.length, (lastRow + 1) * columns);
    // Cards that leave the view are reused for the ones that enter it: no DOM churn on scroll.
    const wanted = new Set();
    for (let i = from; i < to; i++) if (model.cps.has(ids[i])) wanted.add(ids[i]);
    const free = [];
    for (const [id, entry] of live) {
      if (!wanted.has(id)) {
        live.delete(id);
        free.push(entry);
      }
    }
    for (let i = from; i < to; i++) {
      const id = ids[i];
      const cp = model.cps.get(id);
      if (!cp) continue;
      let entry = live.get(id);
      if (!entry) {
        entry = free.pop() ?? spare.pop();
        if (entry) {
          entry.v = -1;
          entry.el.hidden = false;
        } else {
          const el = document.createElement('article');
          el.className = 'cp-card';
          inner.append(el);
          entry = { el, v: -1, x: -1, y: -1, w: -1 };
        }
        entry.el.dataset.cpId = id;
        live.set(id, entry);
      }
      const x = GAP + (i % columns) * (cardWidth + GAP);
      const y = GAP + Math.floor(i / columns) * ROW_HEIGHT;
      if (entry.x !== x || entry.y !== y || entry.w !== cardWidth) {
        entry.el.style.transform = `translate(${x}px, ${y}px)`;
        entry.el.style.width = `${cardWidth}px`;
        entry.x = x;
        entry.y = y;
        entry.w = cardWidth;
      }
      if (entry.v !== cp._v) {
        renderCard(entry.el, cp);
        entry.v = cp._v;
      }
    }
    // Spare cards stay hidden for the next scroll, up to one screenful; the rest are dropped.
    for (const entry of free) {
      if (spare.length < 80) {
        entry.el.hidden = true;
        delete entry.el.dataset.cpId;
        delete entry.el.dataset.state;
        spare.push(entry);
      } else entry.el.remove();
    }
    stats.renders++;
    stats.lastRenderMs = performance.now() - started;
    stats.maxRenderMs = Math.max(stats.maxRenderMs, stats.lastRenderMs);
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(render);
  }

  viewport.addEventListener('scroll', schedule, { passive: true });
  new ResizeObserver(() => {
    layout();
    schedule();
  }).observe(viewport);

  return {
    /** Shows these ids (already filtered and ordered) from this model. */
    setIds(nextIds, nextModel) {
      ids = nextIds;
      model = nextModel;
      layout();
      render();
    },
    /** Redraws the cards in view whose CP changed (version check); call after a delta. */
    refresh() {
      render();
    },
    /** Number of cards in the DOM now. */
    rendered() {
      return live.size;
    },
    stats,
  };
}
