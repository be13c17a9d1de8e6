// The run page's "System" panel group: CPU, memory, disk, network and GPU samples over the run's
// runtime (nbtrack.system), one small uPlot chart per metric, refreshed while the run runs.
"use strict";
(function () {
  const section = document.getElementById("system-section");
  const root = document.getElementById("system");
  if (!section || !root || typeof uPlot === "undefined") return;
  const POLL_MS = 10000;
  const WIDTH = 320;
  const HEIGHT = 160;
  const charts = new Map();

  function options(key) {
    return {
      title: key.replace(/^system\./, ""),
      width: WIDTH,
      height: HEIGHT,
      scales: { x: { time: false } },
      axes: [{ label: "runtime (s)" }, {}],
      series: [{ label: "runtime" }, { label: key, stroke: "#6b46c1", width: 1.5 }],
      legend: { live: false },
    };
  }

  function draw(key, rows) {
    const xs = [];
    const ys = [];
    for (const row of rows) {
      if (typeof row[key] === "number" && typeof row._runtime === "number") {
        xs.push(row._runtime);
        ys.push(row[key]);
      }
    }
    let entry = charts.get(key);
    if (!entry) {
      const box = document.createElement("div");
      box.className = "chart";
      box.dataset.metric = key;
      root.appendChild(box);
      entry = { box: box, plot: new uPlot(options(key), [xs, ys], box) };
      charts.set(key, entry);
    } else {
      entry.plot.setData([xs, ys]);
    }
    entry.box.dataset.points = String(xs.length);
  }

  function keysOf(rows) {
    const keys = new Set();
    for (const row of rows) for (const key of Object.keys(row)) if (key.startsWith("system.")) keys.add(key);
    return Array.from(keys).sort();
  }

  async function refresh() {
    let again = root.dataset.state === "running" || root.dataset.state === "preempting";
    try {
      const response = await fetch(root.dataset.api + "?samples=500", { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const rows = (await response.json()).rows;
        if (rows.length) section.hidden = false;
        for (const key of keysOf(rows)) draw(key, rows);
        root.dataset.samples = String(rows.length);
      }
    } catch (err) {
      console.warn("nbtrack: system metrics refresh failed", err);
      again = true;
    }
    const live = document.getElementById("run-state");
    if (live && live.textContent !== "running" && live.textContent !== "preempting") again = false;
    if (again) setTimeout(refresh, POLL_MS);
  }

  refresh();
})();
