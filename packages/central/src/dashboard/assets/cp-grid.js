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
    const top = viewport.scrollTop;
    const height = viewport.clientHeight || 600;
    const firstRow = Math.max(0, Math.floor(top / ROW_HEIGHT) - 1);
    const lastRow = Math.ceil((top + height) / ROW_HEIGHT) + 1;
    const from = firstRow * columns;
    const to = Math.min(ids.length, (lastRow + 1) * columns);
    const keep = new Set();
    for (let i = from; i < to; i++) {
      const id = ids[i];
      const cp = model.cps.get(id);
      if (!cp) continue;
      keep.add(id);
      let entry = live.get(id);
      if (!entry) {
        const el = document.createElement('article');
        el.className = 'cp-card';
        el.dataset.cpId = id;
        inner.append(el);
        entry = { el, v: -1, x: -1, y: -1, w: -1 };
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
    for (const [id, entry] of live) {
      if (!keep.has(id)) {
        entry.el.remove();
        live.delete(id);
      }
    }
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
  };
}
