// nbtrack's notebook charts (anywidget): the compare widget and a live run's small charts.
// uPlot is defined just above this code: the Python side joins the vendored build and this file.
// The model's data lives in one store per model (several views of one output share it);
// "delta" messages from the kernel update it between full trait updates.

const AXES = { _step: "step", _runtime: "relative time (s)", _timestamp: "wall time" };
const STORES = new Map(); // by the model's uid: initialize() and each view get their own proxy

function copyLines(series) {
  const out = {};
  for (const [metric, perRun] of Object.entries(series || {})) {
    out[metric] = {};
    for (const [run, line] of Object.entries(perRun)) out[metric][run] = { x: [...line.x], y: [...line.y] };
  }
  return out;
}

function storeOf(model) {
  const uid = model.get("uid");
  let store = STORES.get(uid);
  if (!store) {
    store = { series: copyLines(model.get("series")), runs: model.get("runs"), bands: model.get("bands"), views: new Set() };
    STORES.set(uid, store);
  }
  return store;
}

function notify(store) {
  for (const redraw of store.views) redraw();
}

function applyDelta(store, msg) {
  for (const [metric, perRun] of Object.entries(msg.series || {})) {
    const lines = (store.series[metric] = store.series[metric] || {});
    for (const [run, step] of Object.entries(perRun)) {
      const old = lines[run] || { x: [], y: [] };
      lines[run] = { x: old.x.slice(0, step.keep).concat(step.x), y: old.y.slice(0, step.keep).concat(step.y) };
    }
  }
  if (msg.runs) store.runs = msg.runs;
  if (msg.bands) store.bands = msg.bands;
}

function initialize({ model }) {
  const store = storeOf(model);
  model.on("change:series", () => { store.series = copyLines(model.get("series")); notify(store); });
  model.on("change:runs", () => { store.runs = model.get("runs"); notify(store); });
  model.on("change:bands", () => { store.bands = model.get("bands"); notify(store); });
  model.on("msg:custom", (msg) => {
    if (msg && msg.type === "delta") { applyDelta(store, msg); notify(store); }
  });
}

// TensorBoard's debiased EMA, as nbtrack.series.ema: non-finite values stay null.
function ema(values, weight) {
  if (!weight) return values;
  let last = 0, count = 0;
  return values.map((v) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

function sortedPairs(xs, ys) {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const x = [], y = [];
  for (const i of idx) {
    if (x.length && x[x.length - 1] === xs[i]) { y[y.length - 1] = ys[i]; continue; }
    x.push(xs[i]); y.push(ys[i]);
  }
  return [x, y];
}

function linesOf(store, metric, view) {
  const out = [];
  if (view.grouped) {
    for (const band of (store.bands || {})[metric] || []) {
      const base = { colour: band.colour, label: band.label };
      out.push({ ...base, x: band.x, y: ema(band.mean, view.smoothing), role: "mean" });
      out.push({ ...base, x: band.x, y: band.low, role: "low", label: band.label + " min" });
      out.push({ ...base, x: band.x, y: band.high, role: "high", label: band.label + " max" });
    }
    return out;
  }
  const lines = store.series[metric] || {};
  for (const run of store.runs) {
    const line = lines[run.id];
    if (line && line.x.length) out.push({ colour: run.colour, label: run.label, x: line.x, y: ema(line.y, view.smoothing), role: "run", id: run.id });
  }
  return out;
}

function chartData(lines, log) {
  const tables = lines.map((l) => {
    const ys = log ? l.y.map((v) => (v !== null && v > 0 ? v : null)) : l.y;
    return sortedPairs(l.x, ys);
  });
  return tables.length ? uPlot.join(tables) : [[]];
}

function chartOptions(lines, view, width, height, tip) {
  const series = [{ label: AXES[view.x] || view.x }];
  const bands = [];
  lines.forEach((l, i) => {
    const faint = l.role === "low" || l.role === "high";
    series.push({ label: l.label, stroke: faint ? l.colour + "66" : l.colour, width: faint ? 0.5 : 1.5, spanGaps: true, points: { show: false } });
    if (l.role === "high") bands.push({ series: [i + 1, i], fill: l.colour + "30" });
  });
  return {
    width, height, series, bands,
    legend: { show: false },
    scales: { x: { time: view.x === "_timestamp" }, y: { distr: view.log ? 3 : 1 } },
    cursor: { drag: { x: true, y: false } },
    hooks: { setCursor: [(u) => tip(u)] },
  };
}

function fmt(v) {
  if (v === null || v === undefined) return "—";
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(+v.toPrecision(5));
}

function tooltip(box) {
  return (u) => {
    const i = u.cursor.idx;
    if (i === null || i === undefined) { box.style.display = "none"; return; }
    const rows = [];
    for (let s = 1; s < u.series.length; s++) {
      const v = u.data[s][i];
      if (v !== null && v !== undefined) rows.push([v, u.series[s]]);
    }
    rows.sort((a, b) => b[0] - a[0]);
    box.replaceChildren();
    const head = document.createElement("div");
    head.textContent = `${u.series[0].label} ${fmt(u.data[0][i])}`;
    box.appendChild(head);
    for (const [v, s] of rows.slice(0, 12)) {
      const row = document.createElement("div");
      row.innerHTML = `<span class="nbt-swatch"></span>`;
      row.firstChild.style.background = s.stroke();
      row.append(`${s.label}: ${fmt(v)}`);
      box.appendChild(row);
    }
    box.style.display = rows.length ? "block" : "none";
  };
}

function panel(grid, metric, lines, view, size) {
  const card = document.createElement("div");
  card.className = "nbt-panel";
  card.dataset.metric = metric;
  card.dataset.lines = String(lines.filter((l) => l.role === "run" || l.role === "mean").length);
  const title = document.createElement("div");
  title.className = "nbt-title";
  title.textContent = metric;
  if (view.mode === "run" && lines.length) {
    const ys = lines[0].y.filter((v) => v !== null);
    const stats = document.createElement("span");
    stats.className = "nbt-stats";
    const sampled = view.sampled ? " · newest steps only (logging faster than drawn)" : "";
    stats.textContent = ` ${fmt(ys[ys.length - 1])} · min ${fmt(Math.min(...ys))} · max ${fmt(Math.max(...ys))}${sampled}`;
    title.appendChild(stats);
  }
  const box = document.createElement("div");
  box.className = "nbt-tip";
  card.append(title, box);
  grid.appendChild(card);
  const chart = new uPlot(chartOptions(lines, view, size.width, size.height, tooltip(box)), chartData(lines, view.log), card);
  return chart;
}

function toolbar(model, root, store) {
  const bar = document.createElement("div");
  bar.className = "nbt-toolbar";
  const xs = document.createElement("select");
  xs.className = "nbt-x";
  for (const key of model.get("x_options")) {
    const o = document.createElement("option");
    o.value = key; o.textContent = AXES[key] || key; o.selected = key === model.get("x");
    xs.appendChild(o);
  }
  xs.onchange = () => { model.set("x", xs.value); model.save_changes(); };
  const smooth = document.createElement("input");
  Object.assign(smooth, { type: "range", min: "0", max: "0.99", step: "0.01", className: "nbt-smoothing" });
  smooth.value = String(model.get("smoothing"));
  const shown = document.createElement("span");
  shown.textContent = String(model.get("smoothing"));
  smooth.oninput = () => { shown.textContent = smooth.value; model.set("smoothing", parseFloat(smooth.value)); model.save_changes(); };
  const log = document.createElement("input");
  Object.assign(log, { type: "checkbox", className: "nbt-log", checked: model.get("log_scale") });
  log.onchange = () => { model.set("log_scale", log.checked); model.save_changes(); };
  const label = (text, input) => { const l = document.createElement("label"); l.append(text, input); return l; };
  bar.append(label("x ", xs), label(" smoothing ", smooth), shown, label(" log scale ", log));
  root.appendChild(bar);
}

function legend(root, store, view) {
  const box = document.createElement("div");
  box.className = "nbt-legend";
  const entries = view.grouped
    ? Object.values(store.bands || {})[0] || []
    : store.runs.map((r) => ({ colour: r.colour, label: r.label + (r.state === "running" ? " ●" : "") }));
  for (const e of entries) {
    const item = document.createElement("span");
    item.className = "nbt-item";
    item.innerHTML = `<span class="nbt-swatch"></span>`;
    item.firstChild.style.background = e.colour;
    item.append(e.label);
    box.appendChild(item);
  }
  root.appendChild(box);
}

function diffTable(root, model, store) {
  const diff = model.get("diff");
  if (!diff || !diff.keys || !diff.keys.length) return;
  const table = document.createElement("table");
  table.className = "nbt-diff";
  const head = table.insertRow();
  head.insertCell().textContent = "run";
  diff.keys.forEach((k, i) => {
    const c = head.insertCell();
    c.textContent = k;
    if (i < diff.differs) c.className = "nbt-differs";
  });
  store.runs.forEach((run, r) => {
    const row = table.insertRow();
    const name = row.insertCell();
    name.innerHTML = `<span class="nbt-swatch"></span>`;
    name.firstChild.style.background = run.colour;
    name.append(run.name);
    for (const v of (diff.rows[r] || [])) row.insertCell().textContent = v;
  });
  root.appendChild(table);
}

function render({ model, el }) {
  const store = storeOf(model);
  const root = document.createElement("div");
  root.className = "nbt-root nbt-" + model.get("mode");
  el.appendChild(root);
  let charts = [];
  let pending = false;
  const draw = () => {
    pending = false;
    for (const c of charts) c.destroy();
    charts = [];
    root.replaceChildren();
    const view = {
      mode: model.get("mode"), x: model.get("x"), log: model.get("log_scale"),
      smoothing: model.get("smoothing"), grouped: !!model.get("group_by"),
      sampled: store.runs.some((r) => r.sampled),
    };
    if (view.mode === "compare") { toolbar(model, root, store); legend(root, store, view); }
    const grid = document.createElement("div");
    grid.className = "nbt-grid";
    root.appendChild(grid);
    const small = view.mode === "run";
    const width = small ? 230 : Math.max(300, Math.min(480, ((el.clientWidth || 900) - 24) / 2));
    for (const metric of model.get("panels")) {
      const lines = linesOf(store, metric, view);
      charts.push(panel(grid, metric, lines, view, { width, height: small ? 110 : 220 }));
    }
    if (view.mode === "compare") diffTable(root, model, store);
    root.dataset.runs = String(store.runs.length);
    root.dataset.panels = String(charts.length);
  };
  const later = () => { if (!pending) { pending = true; requestAnimationFrame(draw); } };
  store.views.add(later);
  for (const name of ["panels", "x", "x_options", "log_scale", "smoothing", "group_by", "diff"]) model.on("change:" + name, later);
  draw();
  return () => { store.views.delete(later); for (const c of charts) c.destroy(); };
}

export default { initialize, render };
