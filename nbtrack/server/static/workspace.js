// The project workspace: select runs, compare them in panels drawn from one batched series query.
// The view lives in the URL (runs, panels, x, smooth, log, visible, sx, sy, par), so a link
// reproduces it. Live runs are polled with since-cursors: a poll never re-sends known points.
"use strict";
(function () {
  const source = document.getElementById("workspace-data");
  if (!source || typeof uPlot === "undefined") return;
  const data = JSON.parse(source.textContent);
  const views = window.nbtrackViews;
  const byId = new Map(data.runs.map((r) => [r.id, r]));
  const panelsRoot = document.getElementById("panels");
  const POLL_MS = 2000, SAMPLES = 1000, HEIGHT = 240, DEFAULT_RUNS = 10, DEFAULT_PANELS = 6;
  const state = readState();
  const store = new Map(); // metric -> Map(run id -> {xs, ys})
  const cursors = new Map(); // run id -> highest log offset the page has
  const panels = new Map(); // metric -> {box, plot, legend, zoom}
  let queries = 0, draws = 0, polling = null;

  // --- state in the URL ---
  function readState() {
    const q = new URLSearchParams(location.search);
    const known = (ids) => ids.filter((id) => byId.has(id));
    const runs = q.has("runs") ? known(q.get("runs").split(",").filter(Boolean)) : data.runs.slice(0, DEFAULT_RUNS).map((r) => r.id);
    const panelKeys = q.has("panels") ? q.getAll("panels").filter(Boolean) : data.metrics.slice(0, DEFAULT_PANELS);
    return {
      runs: runs, panels: panelKeys, x: q.get("x") || "",
      smooth: Math.min(0.99, Math.max(0, parseFloat(q.get("smooth") || "0") || 0)),
      log: q.get("log") === "1", visible: q.get("visible") === "1",
      sx: q.get("sx") || "", sy: q.get("sy") || "", par: q.getAll("par"),
    };
  }

  function saveState() {
    const q = new URLSearchParams();
    q.set("runs", state.runs.join(","));
    for (const k of state.panels) q.append("panels", k);
    if (state.x) q.set("x", state.x);
    if (state.smooth) q.set("smooth", String(state.smooth));
    if (state.log) q.set("log", "1");
    if (state.visible) q.set("visible", "1");
    if (state.sx) q.set("sx", state.sx);
    if (state.sy) q.set("sy", state.sy);
    for (const k of state.par) q.append("par", k);
    history.replaceState(null, "", location.pathname + "?" + q.toString());
  }

  // --- colours: nbtrack.series.colours' rule over the selected runs, so that they are distinct
  // and the same runs have the colours nbtrack.compare() gives them: in rounds of palette-size
  // runs in ID order, each takes its own slot (sent by the server) unless a run before it has
  // the same one; those take the next free slots after their own ---
  let shown = new Map();
  function assignColours() {
    const size = data.palette.length;
    const ids = [...new Set(state.runs)].filter((id) => byId.has(id)).sort();
    shown = new Map();
    for (let start = 0; start < ids.length; start += size) colourRound(ids.slice(start, start + size));
  }
  function colourRound(ids) {
    const places = new Map(); // slot -> run id
    for (const id of ids) if (!places.has(byId.get(id).slot)) places.set(byId.get(id).slot, id);
    for (const id of ids.filter((id) => places.get(byId.get(id).slot) !== id)) {
      let slot = byId.get(id).slot;
      while (places.has(slot)) slot = (slot + 1) % data.palette.length;
      places.set(slot, id);
    }
    for (const [slot, id] of places) shown.set(id, data.palette[slot]);
  }
  function colour(id) {
    const run = byId.get(id);
    return shown.get(id) || (run ? data.palette[run.slot] : "#7f7f7f");
  }

  // --- the run table ---
  function numericKeys(part) {
    const keys = new Set();
    for (const r of data.runs) for (const [k, v] of Object.entries(r[part])) if (typeof v === "number") keys.add(k);
    return [...keys].sort();
  }

  function allKeys(part) {
    return [...new Set(data.runs.flatMap((r) => Object.keys(r[part])))].sort();
  }

  function fillSelect(select, values, chosen, labels) {
    select.replaceChildren();
    values.forEach((v, i) => {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = labels ? labels[i] : v;
      o.selected = Array.isArray(chosen) ? chosen.includes(v) : v === chosen;
      select.appendChild(o);
    });
  }

  function drawTable() {
    const body = document.querySelector("#ws-runs tbody");
    const selected = new Set(state.runs);
    const topKey = document.getElementById("top-key").value;
    document.getElementById("top-col").textContent = topKey;
    body.replaceChildren();
    for (const r of data.runs) {
      if (state.visible && !selected.has(r.id)) continue;
      const row = body.insertRow();
      row.dataset.run = r.id;
      const box = row.insertCell().appendChild(document.createElement("input"));
      box.type = "checkbox";
      box.checked = selected.has(r.id);
      box.addEventListener("change", () => toggleRun(r.id, box.checked));
      const name = row.insertCell();
      name.className = "name";
      const sw = name.appendChild(document.createElement("span"));
      sw.className = "swatch";
      sw.style.background = colour(r.id);
      const a = name.appendChild(document.createElement("a"));
      a.href = data.run_base + encodeURIComponent(r.id);
      a.textContent = r.name;
      a.title = r.name + " (" + r.id + ")";
      const st = row.insertCell().appendChild(document.createElement("span"));
      st.className = "state " + ({ running: "blue", preempting: "amber", finished: "green", failed: "red", crashed: "orange" }[r.state] || "grey");
      st.textContent = r.state;
      row.insertCell().textContent = topKey && topKey in r.summary ? views.fmt(r.summary[topKey]) : "";
    }
    document.getElementById("selected-count").textContent = "(" + state.runs.length + " selected)";
  }

  function toggleRun(id, on) {
    state.runs = on ? [...new Set([...state.runs, id])] : state.runs.filter((r) => r !== id);
    selectionChanged();
  }

  function selectTop() {
    const key = document.getElementById("top-key").value;
    const n = Math.max(1, parseInt(document.getElementById("top-n").value, 10) || 1);
    const sign = document.getElementById("top-order").value === "min" ? 1 : -1;
    const ranked = data.runs.filter((r) => typeof r.summary[key] === "number" && isFinite(r.summary[key]));
    ranked.sort((a, b) => sign * (a.summary[key] - b.summary[key]));
    state.runs = ranked.slice(0, n).map((r) => r.id);
    selectionChanged();
  }

  function selectionChanged() {
    assignColours();
    saveState();
    drawTable();
    drawViews();
    query(state.panels, null);
  }

  // --- the series query ---
  async function post(body) {
    queries++;
    panelsRoot.dataset.queries = String(queries);
    const response = await fetch(data.series_url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error("series query: HTTP " + response.status);
    return response.json();
  }

  function baseQuery(keys) {
    const body = { runs: state.runs, keys: keys, samples: SAMPLES };
    if (state.x) body.x = state.x;
    return body;
  }

  // Full answers for ``keys`` (a zoom passes its range); every run's cursor is kept for polls.
  async function query(keys, range) {
    if (!keys.length || !state.runs.length) { drawPanels(); return; }
    const body = baseQuery(keys);
    if (range) { body.min_x = range[0]; body.max_x = range[1]; }
    try {
      const answer = await post(body);
      for (const key of keys) store.set(key, new Map());
      for (const run of answer.runs) {
        if (!range) cursors.set(run.id, run.cursor);
        noteState(run);
        for (const key of keys) store.get(key).set(run.id, run.series[key]);
      }
      for (const key of keys) if (panels.has(key)) panels.get(key).zoom = range;
      drawPanels();
      schedulePoll();
    } catch (err) {
      console.warn("nbtrack:", err);
    }
  }

  function noteState(run) {
    const known = byId.get(run.id);
    if (known) known.state = run.state;
  }

  function schedulePoll() {
    if (polling) clearTimeout(polling);
    const live = state.runs.some((id) => byId.get(id) && ["running", "preempting"].includes(byId.get(id).state));
    if (live) polling = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    polling = null;
    const keys = state.panels.filter((k) => !(panels.get(k) && panels.get(k).zoom));
    if (!keys.length) return;
    const body = baseQuery(keys);
    body.since = Object.fromEntries(state.runs.filter((id) => cursors.has(id)).map((id) => [id, cursors.get(id)]));
    try {
      const answer = await post(body);
      for (const run of answer.runs) {
        cursors.set(run.id, run.cursor);
        noteState(run);
        for (const key of keys) merge(key, run, run.series[key]);
      }
      drawPanels();
    } catch (err) {
      console.warn("nbtrack:", err);
    }
    schedulePoll();
  }

  function merge(key, run, line) {
    if (!store.has(key)) store.set(key, new Map());
    const lines = store.get(key);
    const old = lines.get(run.id);
    if (run.mode !== "append" || !old) { lines.set(run.id, line); return; }
    lines.set(run.id, { x: line.x, xs: old.xs.concat(line.xs), ys: old.ys.concat(line.ys) });
  }

  // --- panels: one uPlot chart per metric, one line per run ---
  // uPlot wants one x array: the union of the runs' x values, each run null where it has none.
  function aligned(key) {
    const runs = state.runs.filter((id) => store.has(key) && store.get(key).has(id));
    const lines = runs.map((id) => store.get(key).get(id));
    const xs = [...new Set(lines.flatMap((l) => l.xs))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const columns = lines.map((l) => {
      const col = new Array(xs.length).fill(null);
      const ys = views.ema(l.ys, state.smooth);
      l.xs.forEach((x, i) => { col[at.get(x)] = state.log && !(ys[i] > 0) ? null : ys[i]; });
      return col;
    });
    const axis = lines.length ? lines[0].x : state.x || "_step";
    return { runs: runs, lines: lines, data: [xs, ...columns], axis: axis };
  }

  function drawPanels() {
    for (const [key, panel] of panels) {
      if (!state.panels.includes(key)) { panel.plot.destroy(); panel.box.remove(); panels.delete(key); }
    }
    for (const key of state.panels) drawPanel(key);
    draws++;
    document.body.dataset.drawn = String(draws);
    document.body.dataset.drawnAt = String(Math.round(performance.now())); // ms from navigation
  }

  function drawPanel(key) {
    const view = aligned(key);
    let panel = panels.get(key);
    const signature = view.runs.join(",") + "|" + state.log + "|" + view.axis;
    if (panel && panel.signature !== signature) { panel.plot.destroy(); panel.box.remove(); panels.delete(key); panel = null; }
    if (!panel) panel = newPanel(key, view, signature);
    else panel.plot.setData(view.data);
    panel.view = view;
    panel.box.dataset.lines = String(view.runs.length);
    panel.box.dataset.points = String(view.lines.reduce((n, l) => n + l.xs.length, 0));
    panel.box.dataset.xAxis = view.axis;
    panel.box.dataset.zoom = panel.zoom ? panel.zoom.join(",") : "";
  }

  function newPanel(key, view, signature) {
    const box = document.createElement("div");
    box.className = "panel";
    box.dataset.metric = key;
    const close = box.appendChild(document.createElement("button"));
    close.className = "close";
    close.type = "button";
    close.textContent = "×";
    close.title = "Remove this panel";
    close.addEventListener("click", () => { state.panels = state.panels.filter((k) => k !== key); saveState(); fillPanelPicker(); drawPanels(); });
    panelsRoot.appendChild(box);
    const width = Math.max(300, box.clientWidth - 10);
    const opts = {
      title: key, width: width, height: HEIGHT,
      scales: { x: { time: false }, y: { distr: state.log ? 3 : 1 } },
      axes: [{ label: view.axis }, {}],
      series: [{ label: view.axis }, ...view.runs.map((id) => ({ label: byId.get(id).name, stroke: colour(id), width: 1.5, spanGaps: true, points: { show: false } }))],
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: { setSelect: [(u) => zoomTo(key, u)], setCursor: [(u) => hover(key, u)] },
    };
    const plot = new uPlot(opts, view.data, box);
    const legend = box.appendChild(document.createElement("table"));
    legend.className = "legend";
    const panel = { box: box, plot: plot, legend: legend, zoom: null, signature: signature, view: view };
    panels.set(key, panel);
    fillLegend(panel, null);
    return panel;
  }

  function zoomTo(key, u) {
    if (u.select.width < 3) return;
    const lo = u.posToVal(u.select.left, "x"), hi = u.posToVal(u.select.left + u.select.width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    query([key], [lo, hi]);
  }

  // Hover: each run's value at its nearest point at or before the cursor's x.
  function hover(key, u) {
    const panel = panels.get(key);
    if (!panel || u.cursor.left == null || u.cursor.left < 0) { if (panel) fillLegend(panel, null); return; }
    fillLegend(panel, u.posToVal(u.cursor.left, "x"));
  }

  function fillLegend(panel, x) {
    panel.legend.replaceChildren();
    panel.view.runs.forEach((id, i) => {
      const line = panel.view.lines[i];
      const row = panel.legend.insertRow();
      const sw = row.insertCell().appendChild(document.createElement("span"));
      sw.className = "swatch";
      sw.style.background = colour(id);
      row.insertCell().textContent = byId.get(id).name;
      const ys = views.ema(line.ys, state.smooth);
      let j = line.xs.length - 1;
      if (x !== null) { j = -1; for (let k = 0; k < line.xs.length && line.xs[k] <= x; k++) j = k; }
      row.insertCell().textContent = j >= 0 && ys[j] !== null ? views.fmt(ys[j]) + " @ " + views.fmt(line.xs[j]) : "–";
    });
  }

  // --- controls ---
  function fillPanelPicker() {
    const picker = document.getElementById("add-panel");
    const free = data.metrics.filter((k) => !state.panels.includes(k));
    fillSelect(picker, ["", ...free], "", ["add a metric…", ...free]);
  }

  function setupControls() {
    const xAxis = document.getElementById("x-axis");
    const axes = ["", "_step", "_runtime", "_timestamp", ...data.metrics];
    fillSelect(xAxis, axes, state.x, ["default (step or step metric)", "step", "relative time (s)", "wall time", ...data.metrics]);
    xAxis.addEventListener("change", () => { state.x = xAxis.value; saveState(); query(state.panels, null); });
    const smooth = document.getElementById("smoothing");
    const shown = document.getElementById("smoothing-value");
    smooth.value = String(state.smooth);
    shown.textContent = String(state.smooth);
    smooth.addEventListener("input", () => { state.smooth = parseFloat(smooth.value) || 0; shown.textContent = String(state.smooth); saveState(); drawPanels(); });
    const log = document.getElementById("log-scale");
    log.checked = state.log;
    log.addEventListener("change", () => { state.log = log.checked; saveState(); drawPanels(); });
    const visible = document.getElementById("visible-only");
    visible.checked = state.visible;
    visible.addEventListener("change", () => { state.visible = visible.checked; saveState(); drawTable(); });
    document.getElementById("select-none").addEventListener("click", () => { state.runs = []; selectionChanged(); });
    const topKey = document.getElementById("top-key");
    fillSelect(topKey, numericKeys("summary"), numericKeys("summary")[0]);
    topKey.addEventListener("change", drawTable);
    document.getElementById("top-apply").addEventListener("click", selectTop);
    const picker = document.getElementById("add-panel");
    fillPanelPicker();
    picker.addEventListener("change", () => {
      if (!picker.value) return;
      state.panels = [...state.panels, picker.value];
      saveState();
      fillPanelPicker();
      query([state.panels[state.panels.length - 1]], null);
    });
    document.getElementById("reset-zoom").addEventListener("click", () => query(state.panels, null));
    setupViewControls();
  }

  function setupViewControls() {
    const sx = document.getElementById("scatter-x"), sy = document.getElementById("scatter-y");
    const configKeys = allKeys("config"), summaryKeys = numericKeys("summary");
    state.sx = state.sx || configKeys[0] || "";
    state.sy = state.sy || summaryKeys[0] || "";
    fillSelect(sx, configKeys, state.sx);
    fillSelect(sy, summaryKeys, state.sy);
    const par = document.getElementById("parallel-keys");
    const parKeys = [...configKeys.map((k) => "config." + k), ...summaryKeys.map((k) => "summary." + k)];
    if (!state.par.length) state.par = parKeys.slice(0, 6);
    fillSelect(par, parKeys, state.par);
    const changed = () => {
      state.sx = sx.value; state.sy = sy.value;
      state.par = [...par.selectedOptions].map((o) => o.value);
      saveState();
      drawViews();
    };
    for (const s of [sx, sy, par]) s.addEventListener("change", changed);
  }

  function drawViews() {
    const runs = state.runs.map((id) => byId.get(id)).filter(Boolean);
    views.scatter(document.getElementById("scatter"), runs, state.sx, state.sy, colour);
    views.parallel(document.getElementById("parallel"), runs, state.par, colour);
    views.diff(document.getElementById("diff"), runs, colour);
  }

  window.addEventListener("resize", () => {
    for (const panel of panels.values()) panel.plot.setSize({ width: Math.max(300, panel.box.clientWidth - 10), height: HEIGHT });
  });
  setupControls();
  assignColours();
  saveState();
  drawTable();
  drawViews();
  query(state.panels, null);
})();
