// Tables (a grid sorted, filtered and paged by the server, with image cells), histograms over
// steps (a heatmap: step across, value up; or a ridgeline: a curve per step) and nbtrack.plot charts (uPlot; a confusion matrix as a
// coloured grid). Used by media.js; cells and labels are set as text only.
"use strict";
(function () {
  const M = (window.nbtrackMedia = window.nbtrackMedia || {});
  const V = (M.views = M.views || {});
  const PAGE = 25;
  const el = (...a) => M.el(...a);

  // --- tables ------------------------------------------------------------------------------------

  function cell(value) {
    const td = el("td");
    if (value === null || value === undefined) return td;
    if (typeof value === "object" && !Array.isArray(value)) {
      if (value._type === "image-file" && value.url) {
        const img = el("img", "cell-image"); img.src = value.url; img.loading = "lazy";
        img.alt = String(value.caption || ""); td.append(img);
      } else if (value.url && (value._type === "audio-file")) {
        const audio = el("audio"); audio.controls = true; audio.preload = "none"; audio.src = value.url;
        td.append(audio);
      } else {
        td.textContent = String(value.caption || value._type || "object") + (value.problem ? " (" + value.problem + ")" : "");
      }
      return td;
    }
    if (typeof value === "number") td.className = "num";
    td.textContent = typeof value === "object" ? JSON.stringify(value).slice(0, 200) : String(value);
    return td;
  }

  V.table = function (body, api, key, step) {
    const state = { sort: null, order: "asc", q: "", offset: 0 };
    const grid = el("div", "media-table");
    grid.dataset.key = key;
    const controls = el("div", "controls");
    const filter = el("input"); filter.type = "search"; filter.placeholder = "Filter rows…";
    filter.setAttribute("aria-label", "filter " + key);
    const prev = el("button", "plain", "‹ Prev"); prev.type = "button";
    const next = el("button", "plain", "Next ›"); next.type = "button";
    const count = el("span", "count");
    controls.append(filter, prev, next, count);
    const table = el("table", "runs compact");
    grid.append(controls, table);
    body.append(grid);
    let timer = null;
    filter.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.q = filter.value; state.offset = 0; load(); }, 250);
    });
    prev.addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); load(); });
    next.addEventListener("click", () => { state.offset += PAGE; load(); });

    function header(columns) {
      const row = el("tr");
      for (const name of columns) {
        const th = el("th");
        const button = el("button", "sort", name + (state.sort === name ? (state.order === "asc" ? " ▲" : " ▼") : ""));
        button.type = "button"; button.dataset.column = name;
        button.addEventListener("click", () => {
          state.order = state.sort === name && state.order === "asc" ? "desc" : "asc";
          state.sort = name; state.offset = 0; load();
        });
        th.append(button); row.append(th);
      }
      return row;
    }

    async function load() {
      const params = { key: key, step: step, sort: state.sort, order: state.order, q: state.q, offset: state.offset, limit: PAGE };
      let page;
      try { page = await M.getJSON(api + "/table?" + M.query(params)); } catch (err) { table.replaceChildren(); count.textContent = err.message; return; }
      const head = el("thead"); head.append(header(page.columns));
      const rows = el("tbody");
      for (const values of page.rows) {
        const tr = el("tr");
        for (let i = 0; i < page.columns.length; i++) tr.append(cell(values[i]));
        rows.append(tr);
      }
      table.replaceChildren(head, rows);
      const last = Math.min(page.total, page.offset + page.rows.length);
      count.textContent = (page.total ? page.offset + 1 : 0) + "–" + last + " of " + page.total + (page.total !== page.nrows ? " (of " + page.nrows + ")" : "") + " rows";
      prev.disabled = page.offset === 0;
      next.disabled = last >= page.total;
      grid.dataset.sort = state.sort ? state.sort + ":" + state.order : "";
      grid.dataset.loaded = String(Date.now());
    }
    load();
  };

  // --- histograms over steps ------------------------------------------------------------------

  const ROWS = 64;

  function regrid(histograms) {
    let lo = Infinity, hi = -Infinity;
    for (const h of histograms) { lo = Math.min(lo, h.bins[0]); hi = Math.max(hi, h.bins[h.bins.length - 1]); }
    if (!(hi > lo)) hi = lo + 1;
    const span = (hi - lo) / ROWS;
    const columns = histograms.map((h) => {
      const col = new Float64Array(ROWS);
      for (let i = 0; i < h.values.length; i++) {
        const a = h.bins[i], b = h.bins[i + 1], count = Number(h.values[i]) || 0;
        if (!(b > a)) { col[Math.min(ROWS - 1, Math.max(0, Math.floor((a - lo) / span)))] += count; continue; }
        for (let r = Math.max(0, Math.floor((a - lo) / span)); r < ROWS && lo + r * span < b; r++) {
          const overlap = Math.min(b, lo + (r + 1) * span) - Math.max(a, lo + r * span);
          if (overlap > 0) col[r] += count * overlap / (b - a);
        }
      }
      return col;
    });
    return { lo: lo, hi: hi, columns: columns };
  }

  // One card, two views of the same histograms: a heatmap (step across, value up, darker = more)
  // and a ridgeline (one curve per sampled step, oldest at the back); the choice is kept on refresh.
  V.histograms = async function (body, api, key, card) {
    let found;
    try { found = await M.getJSON(api + "/histograms?" + M.query({ key: key, samples: 300 })); } catch (err) { body.replaceChildren(M.problem(err.message)); return; }
    body.replaceChildren();
    if (!found.histograms.length) { body.append(el("p", "empty", "No readable histogram.")); return; }
    const grid = regrid(found.histograms);
    const holder = el("div", "histogram-view");
    const toggle = el("div", "view-toggle");
    const buttons = ["heatmap", "ridgeline"].map((view) => {
      const button = el("button", "plain", view === "heatmap" ? "Heatmap" : "Ridgeline");
      button.type = "button"; button.dataset.view = view;
      button.addEventListener("click", () => show(view));
      return button;
    });
    toggle.append(...buttons);
    body.append(toggle, holder);
    function show(view) {
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.view === view));
      const canvas = view === "ridgeline" ? ridgeline(grid, found.steps) : heatmap(grid, found.steps);
      holder.replaceChildren(canvas, axes(grid, found.steps));
      card.dataset.view = view;
      card.dataset.steps = String(found.steps.length);
      card.dataset.drawn = String(Date.now());
    }
    show(card.dataset.view === "ridgeline" ? "ridgeline" : "heatmap");
  };

  function heatmap(grid, steps) {
    const canvas = el("canvas", "heatmap");
    canvas.width = Math.max(300, Math.min(1200, steps.length * 4)); canvas.height = 256;
    const ctx = canvas.getContext("2d");
    const w = canvas.width / grid.columns.length, h = canvas.height / ROWS;
    grid.columns.forEach((col, c) => {
      const top = Math.max(...col) || 1;
      for (let r = 0; r < ROWS; r++) {
        if (!col[r]) continue;
        ctx.fillStyle = "rgba(43,108,176," + (0.08 + 0.92 * col[r] / top).toFixed(3) + ")";
        ctx.fillRect(c * w, canvas.height - (r + 1) * h, Math.ceil(w), Math.ceil(h));
      }
    });
    return canvas;
  }

  const RIDGES = 24;

  // Up to RIDGES steps evenly spread, each a filled curve over the value axis; later steps are
  // drawn lower and in front, each curve scaled to its own peak (the shape, as TensorBoard's).
  function ridgeline(grid, steps) {
    const canvas = el("canvas", "ridgeline");
    canvas.width = 900; canvas.height = 320;
    const ctx = canvas.getContext("2d");
    const n = Math.min(RIDGES, grid.columns.length);
    const picks = Array.from({ length: n }, (_, i) => Math.round(i * (grid.columns.length - 1) / Math.max(1, n - 1)));
    const left = 70, width = canvas.width - left - 10, top = 10;
    const gap = (canvas.height - top - 16) / (n + 2), rise = gap * 3;
    ctx.font = "11px sans-serif"; ctx.textBaseline = "middle";
    const fills = [];
    picks.forEach((c, i) => {
      const col = grid.columns[c], peak = Math.max(...col) || 1;
      const base = top + rise + i * gap;
      ctx.beginPath(); ctx.moveTo(left, base);
      for (let r = 0; r < ROWS; r++) ctx.lineTo(left + (r + 0.5) * width / ROWS, base - rise * col[r] / peak);
      ctx.lineTo(left + width, base); ctx.closePath();
      const shade = 200 - 150 * i / Math.max(1, n - 1);
      const fill = [shade * 0.3, shade * 0.6, Math.min(255, shade + 60)].map(Math.round).join(",");
      fills.push(fill);
      ctx.fillStyle = "rgb(" + fill + ")";
      ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1; ctx.stroke();
      if (i === 0 || i === n - 1 || i % 4 === 0) { ctx.fillStyle = "#4a5568"; ctx.fillText("step " + steps[c], 4, base); }
    });
    canvas.dataset.ridges = String(n);
    canvas.dataset.fills = fills.join(" "); // each ridge's colour, back to front
    return canvas;
  }

  function axes(grid, steps) {
    const node = el("div", "heatmap-axes");
    node.append(el("span", "", "value " + fmt(grid.lo) + " … " + fmt(grid.hi)), el("span", "", "steps " + steps[0] + " … " + steps[steps.length - 1] + " (" + steps.length + " shown)"));
    return node;
  }

  function fmt(x) {
    return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : String(Math.round(x * 1000) / 1000);
  }

  // --- nbtrack.plot charts -----------------------------------------------------------------------

  function column(page, name) {
    const i = page.columns.indexOf(name);
    return i < 0 ? null : page.rows.map((r) => r[i]);
  }

  function num(v) {
    const x = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    return Number.isFinite(x) ? x : null;
  }

  // Series of (x, y) split by the stroke column, joined on their x values for uPlot.
  function lines(page, fields) {
    const xs = column(page, fields.x), ys = column(page, fields.y);
    if (!xs || !ys) return null;
    const strokes = fields.stroke ? column(page, fields.stroke) : null;
    const groups = new Map();
    xs.forEach((x, i) => {
      const name = strokes ? String(strokes[i]) : String(fields.y);
      const nx = num(x), ny = num(ys[i]);
      if (nx === null) return;
      if (!groups.has(name)) groups.set(name, new Map());
      groups.get(name).set(nx, ny);
    });
    const allX = [...new Set([...groups.values()].flatMap((g) => [...g.keys()]))].sort((a, b) => a - b);
    const data = [allX];
    for (const g of groups.values()) data.push(allX.map((x) => (g.has(x) ? g.get(x) : null)));
    return { names: [...groups.keys()], data: data };
  }

  function uplot(body, title, xLabel, names, data, extra) {
    const box = el("div", "chart");
    body.append(box);
    const width = Math.max(320, Math.min(body.getBoundingClientRect().width || 600, 900));
    const series = [{ label: xLabel }].concat(names.map((n, i) => Object.assign({ label: n, stroke: M.colour(i), width: 1.5, spanGaps: true }, extra || {})));
    const opts = { title: title, width: width, height: 260, scales: { x: { time: false } }, axes: [{ label: xLabel }, {}], series: series };
    if (typeof uPlot !== "undefined") new uPlot(opts, data, box);
    return box;
  }

  function bars(body, title, labels, values) {
    const xs = labels.map((_, i) => i);
    const extra = { paths: uPlot.paths.bars({ size: [0.7, 80] }), fill: "rgba(43,108,176,0.6)", points: { show: false } };
    const box = el("div", "chart");
    body.append(box);
    const width = Math.max(320, Math.min(body.getBoundingClientRect().width || 600, 900));
    const opts = {
      title: title, width: width, height: 260, scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
      axes: [{ values: (u, splits) => splits.map((s) => (Number.isInteger(s) && labels[s] !== undefined ? String(labels[s]) : "")) }, {}],
      series: [{}, Object.assign({ label: "value", stroke: "#2b6cb0" }, extra)],
    };
    new uPlot(opts, [xs, values], box);
    return box;
  }

  function histogramBars(body, title, values) {
    const xs = values.map(num).filter((x) => x !== null);
    if (!xs.length) return body.append(el("p", "empty", "No numeric values."));
    const lo = Math.min(...xs), hi = Math.max(...xs), n = 20, span = (hi - lo) / n || 1;
    const counts = new Array(n).fill(0);
    for (const x of xs) counts[Math.min(n - 1, Math.floor((x - lo) / span))]++;
    return bars(body, title, counts.map((_, i) => fmt(lo + (i + 0.5) * span)), counts);
  }

  function confusion(body, title, page, fields) {
    const actual = column(page, fields.actual || "Actual"), predicted = column(page, fields.predicted || "Predicted");
    const counts = column(page, fields.count || "nPredictions");
    if (!actual || !predicted || !counts) return body.append(M.problem("The chart's table lacks its columns."));
    const classes = [...new Set(actual.concat(predicted).map(String))];
    const at = new Map();
    let top = 0;
    actual.forEach((a, i) => { const v = num(counts[i]) || 0; at.set(String(a) + "\u0000" + String(predicted[i]), v); top = Math.max(top, v); });
    const table = el("table", "confusion");
    table.append(el("caption", "", title));
    const head = el("tr"); head.append(el("th", "corner", "actual ╲ predicted"));
    for (const c of classes) head.append(el("th", "", c));
    table.append(head);
    for (const a of classes) {
      const row = el("tr"); row.append(el("th", "", a));
      for (const p of classes) {
        const v = at.get(a + "\u0000" + p) || 0;
        const td = el("td", "num", v);
        td.dataset.actual = a; td.dataset.predicted = p;
        const strength = top ? v / top : 0;
        td.style.backgroundColor = "rgba(43,108,176," + (0.05 + 0.9 * strength).toFixed(3) + ")";
        if (strength > 0.55) td.classList.add("dark");
        row.append(td);
      }
      table.append(row);
    }
    body.append(table);
    return table;
  }

  V.plot = async function (body, api, key, step, ref) {
    let page;
    try { page = await M.getJSON(api + "/table?" + M.query({ key: key, step: step, limit: 10000 })); } catch (err) { body.append(M.problem(err.message)); return; }
    const fields = ref.fields && typeof ref.fields === "object" ? ref.fields : {};
    const title = String(ref.title || key);
    const chart = String(ref.chart);
    const holder = el("div", "plot");
    holder.dataset.chart = chart;
    body.append(holder);
    if (chart === "confusion_matrix") confusion(holder, title, page, fields);
    else if (chart === "bar") bars(holder, title, (column(page, fields.label) || []).map(String), (column(page, fields.value) || []).map(num));
    else if (chart === "histogram") histogramBars(holder, title, column(page, fields.value) || []);
    else {
      const found = lines(page, fields);
      if (!found) { holder.append(M.problem("The chart's table lacks its columns.")); return; }
      const scatter = chart === "scatter" ? { paths: () => null, points: { show: true, size: 5 } } : null;
      uplot(holder, title, String(fields.xname || fields.x), found.names, found.data, scatter);
    }
    if (page.total > page.rows.length) holder.append(el("p", "count", "first " + page.rows.length + " of " + page.total + " rows drawn"));
    holder.dataset.drawn = String(Date.now());
  };
})();
