// The run page's charts: one uPlot chart per metric, refreshed every second while the run runs.
"use strict";
(function () {
  const root = document.getElementById("charts");
  if (!root || typeof uPlot === "undefined") return;
  const liveUrl = root.dataset.live;
  const charts = new Map();
  const POLL_MS = 1000;

  function chartOptions(title, width) {
    return {
      title: title,
      width: width,
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: "step" }, {}],
      series: [{ label: "step" }, { label: title, stroke: "#2b6cb0", width: 1.5, spanGaps: false }],
      legend: { live: true },
    };
  }

  function draw(key, series) {
    const data = [series.steps, series.values];
    let entry = charts.get(key);
    if (!entry) {
      const box = document.createElement("div");
      box.className = "chart";
      box.dataset.metric = key; // set as a property: never parsed as HTML
      root.appendChild(box);
      const width = Math.max(300, Math.min(640, root.clientWidth - 16));
      entry = { box: box, plot: new uPlot(chartOptions(key, width), data, box) };
      charts.set(key, entry);
    } else {
      entry.plot.setData(data);
    }
    entry.box.dataset.points = String(series.steps.length);
    entry.box.dataset.lastStep = series.steps.length ? String(series.steps[series.steps.length - 1]) : "";
  }

  function showState(state, count) {
    const badge = document.getElementById("run-state");
    if (badge) {
      badge.textContent = state;
      badge.className = "state " + ({ running: "blue", finished: "green", failed: "red", crashed: "orange" }[state] || "grey");
    }
    const steps = document.getElementById("run-steps");
    if (steps) steps.textContent = String(count);
  }

  async function refresh() {
    let running = true;
    try {
      const response = await fetch(liveUrl, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const live = await response.json();
        const keys = Object.keys(live.series).sort();
        if (keys.length) {
          const empty = document.getElementById("no-charts");
          if (empty) empty.remove();
        }
        for (const key of keys) draw(key, live.series[key]);
        showState(live.state, live.history_count);
        running = live.state === "running";
        root.dataset.refreshed = String(Date.now());
      }
    } catch (err) {
      console.warn("nbtrack: chart refresh failed", err);
    }
    if (running) setTimeout(refresh, POLL_MS);
  }

  refresh();
})();
