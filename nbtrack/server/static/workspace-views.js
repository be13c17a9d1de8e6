// The workspace's run views drawn as SVG: a scatter of a summary metric against a config key,
// parallel coordinates over config and summary, and the side-by-side config/summary table.
// Text goes in through textContent only; colours are SVG attributes (no inline style).
"use strict";
window.nbtrackViews = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  const W = 640, H = 280, PAD = 40;

  function el(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(parent, x, y, text, anchor) {
    const t = el("text", { x: x, y: y, "text-anchor": anchor || "middle" }, parent);
    t.textContent = text;
    return t;
  }

  function canvas(root) {
    root.replaceChildren();
    return el("svg", { viewBox: "0 0 " + W + " " + H }, root);
  }

  function numeric(v) { return typeof v === "number" && isFinite(v); }

  // Numbers on a linear scale; anything else (strings, booleans) as evenly spaced categories.
  function axisOf(values, lo, hi) {
    const nums = values.filter(numeric);
    if (nums.length === values.filter((v) => v !== undefined && v !== null).length && nums.length) {
      let min = Math.min(...nums), max = Math.max(...nums);
      if (min === max) { min -= 1; max += 1; }
      return { pos: (v) => (numeric(v) ? lo + ((v - min) / (max - min)) * (hi - lo) : null), ticks: [[min, lo], [max, hi]] };
    }
    const cats = [...new Set(values.filter((v) => v !== undefined && v !== null).map(String))].sort();
    const step = cats.length > 1 ? (hi - lo) / (cats.length - 1) : 0;
    const at = new Map(cats.map((c, i) => [c, cats.length > 1 ? lo + i * step : (lo + hi) / 2]));
    return { pos: (v) => (v === undefined || v === null ? null : at.get(String(v))), ticks: cats.map((c) => [c, at.get(c)]) };
  }

  function scatter(root, runs, xKey, yKey, colour) {
    const svg = canvas(root);
    const xs = runs.map((r) => r.config[xKey]);
    const ys = runs.map((r) => r.summary[yKey]);
    const ax = axisOf(xs, PAD + 10, W - 20), ay = axisOf(ys, H - PAD, 28);
    el("line", { x1: PAD, y1: H - PAD, x2: W - 10, y2: H - PAD, class: "axis" }, svg);
    el("line", { x1: PAD, y1: 20, x2: PAD, y2: H - PAD, class: "axis" }, svg);
    for (const [v, p] of ax.ticks) label(svg, p, H - PAD + 14, fmt(v));
    for (const [v, p] of ay.ticks) label(svg, PAD - 4, p + 4, fmt(v), "end");
    label(svg, (W + PAD) / 2, H - 6, "config." + xKey);
    label(svg, PAD + 4, 12, "summary." + yKey, "start");
    let drawn = 0;
    runs.forEach((r, i) => {
      const x = ax.pos(xs[i]), y = ay.pos(ys[i]);
      if (x === null || y === null || x === undefined || y === undefined) return;
      const dot = el("circle", { cx: x, cy: y, r: 5, fill: colour(r.id), "data-run": r.id }, svg);
      el("title", {}, dot).textContent = r.name + ": " + fmt(xs[i]) + ", " + fmt(ys[i]);
      drawn++;
    });
    root.dataset.points = String(drawn);
  }

  function parallel(root, runs, keys, colour) {
    const svg = canvas(root);
    if (!keys.length) { root.dataset.lines = "0"; return; }
    const step = keys.length > 1 ? (W - 2 * PAD) / (keys.length - 1) : 0;
    const axes = keys.map((k, i) => {
      const x = keys.length > 1 ? PAD + i * step : W / 2;
      el("line", { x1: x, y1: 20, x2: x, y2: H - 30, class: "axis" }, svg);
      label(svg, x, 12, k);
      const a = axisOf(runs.map((r) => valueOf(r, k)), H - 30, 20);
      for (const [v, p] of a.ticks.slice(0, 8)) label(svg, x + 3, p, fmt(v), "start");
      return { x: x, a: a };
    });
    let lines = 0;
    for (const r of runs) {
      const pts = axes.map((ax, i) => [ax.x, ax.a.pos(valueOf(r, keys[i]))]).filter((p) => p[1] !== null && p[1] !== undefined);
      if (pts.length < 2) continue;
      const line = el("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour(r.id), "stroke-width": 1.5, "data-run": r.id }, svg);
      el("title", {}, line).textContent = r.name;
      lines++;
    }
    root.dataset.lines = String(lines);
  }

  function valueOf(run, key) {
    if (key.startsWith("config.")) return run.config[key.slice(7)];
    if (key.startsWith("summary.")) return run.summary[key.slice(8)];
    return undefined;
  }

  // Keys whose values differ between the runs come first, within config then summary.
  function diff(root, runs, colour) {
    root.replaceChildren();
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    head.appendChild(document.createElement("th")).textContent = "key";
    for (const r of runs) {
      const th = head.appendChild(document.createElement("th"));
      const sw = th.appendChild(document.createElement("span"));
      sw.className = "swatch";
      sw.style.background = colour(r.id);
      th.appendChild(document.createTextNode(r.name));
    }
    const body = table.createTBody();
    let differing = 0;
    for (const part of ["config", "summary"]) {
      const keys = [...new Set(runs.flatMap((r) => Object.keys(r[part])))].sort();
      const differs = (k) => new Set(runs.map((r) => JSON.stringify(r[part][k]))).size > 1;
      const ordered = keys.filter(differs).concat(keys.filter((k) => !differs(k)));
      const title = body.insertRow();
      title.className = "section";
      title.appendChild(document.createElement("th")).textContent = part;
      for (const k of ordered) {
        const row = body.insertRow();
        if (differs(k)) { row.className = "differs"; differing++; }
        row.appendChild(document.createElement("th")).textContent = k;
        for (const r of runs) row.insertCell().textContent = k in r[part] ? fmt(r[part][k]) : "–";
      }
    }
    root.appendChild(table);
    root.dataset.differing = String(differing);
  }

  // TensorBoard's debiased EMA, as nbtrack.series.ema: non-finite values stay null.
  function ema(values, w) {
    if (!w) return values;
    let last = 0, n = 0;
    return values.map((v) => {
      if (v === null || !isFinite(v)) return null;
      last = last * w + (1 - w) * v;
      n++;
      return last / (1 - Math.pow(w, n));
    });
  }

  function fmt(v) {
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
    if (typeof v === "string") return v;
    return JSON.stringify(v);
  }

  return { scatter: scatter, parallel: parallel, diff: diff, fmt: fmt, ema: ema };
})();
