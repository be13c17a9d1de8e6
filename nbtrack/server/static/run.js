// The run page's charts: one uPlot chart per metric, refreshed every second while the run runs.
"use strict";
(function () {
  const root = document.getElementById("charts");
  if (!root || typeof uPlot === "undefined") return;
  const liveUrl = root.dataset.live;
  const charts = new Map();
  const POLL_MS = 1000;
  const MIN_WIDTH = 420; // a chart narrower than this shares no row
  const HEIGHT = 220;

  function chartOptions(title, width, xLabel) {
    return {
      title: title,
      width: width,
      height: HEIGHT,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, {}],
      series: [{ label: xLabel }, { label: title, stroke: "#2b6cb0", width: 1.5, spanGaps: false }],
      legend: { live: true },
    };
  }

  // define_metric(step_metric=...): each point's x is the step metric's latest value at its step.
  function againstAxis(series, axis) {
    const points = [];
    let j = 0;
    let x = null;
    for (let i = 0; i < series.steps.length; i++) {
      while (j < axis.steps.length && axis.steps[j] <= series.steps[i]) x = axis.values[j++];
      if (x !== null) points.push([x, series.values[i]]);
    }
    points.sort((a, b) => a[0] - b[0]);
    return [points.map((p) => p[0]), points.map((p) => p[1])];
  }

  function draw(key, series, xKey, axis) {
    const data = axis ? againstAxis(series, axis) : [series.steps, series.values];
    let entry = charts.get(key);
    if (!entry) {
      const box = document.createElement("div");
      box.className = "chart";
      box.dataset.metric = key; // set as a property: never parsed as HTML
      box.dataset.xAxis = axis ? xKey : "step";
      root.appendChild(box);
      entry = { box: box, plot: new uPlot(chartOptions(key, MIN_WIDTH, axis ? xKey : "step"), data, box) };
      charts.set(key, entry);
      layout();
    } else {
      entry.plot.setData(data);
    }
    entry.box.dataset.points = String(series.steps.length);
    entry.box.dataset.lastX = data[0].length ? String(data[0][data[0].length - 1]) : "";
    entry.box.dataset.lastStep = series.steps.length ? String(series.steps[series.steps.length - 1]) : "";
  }

  // Charts share the card's width: as many a row as fit, together filling the row.
  function layout() {
    const gap = parseFloat(getComputedStyle(root).columnGap) || 0;
    const space = Math.floor(root.getBoundingClientRect().width); // clientWidth may round up
    const fit = Math.max(1, Math.floor((space + gap) / (MIN_WIDTH + gap)));
    const perRow = Math.min(fit, Math.max(1, charts.size));
    const width = Math.max(200, Math.floor((space - gap * (perRow - 1)) / perRow));
    for (const entry of charts.values()) entry.plot.setSize({ width: width, height: HEIGHT });
  }

  function showState(state, count) {
    const badge = document.getElementById("run-state");
    if (badge) {
      badge.textContent = state;
      badge.className = "state " + ({ running: "blue", preempting: "amber", finished: "green", failed: "red", crashed: "orange" }[state] || "grey");
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
        const axes = live.axes || {};
        const hidden = new Set(live.hidden || []);
        for (const key of keys) {
          if (!hidden.has(key)) draw(key, live.series[key], axes[key], live.series[axes[key]]);
        }
        showState(live.state, live.history_count);
        running = live.state === "running" || live.state === "preempting";
        root.dataset.refreshed = String(Date.now());
      }
    } catch (err) {
      console.warn("nbtrack: chart refresh failed", err);
    }
    if (running) setTimeout(refresh, POLL_MS);
  }

  window.addEventListener("resize", layout);
  refresh();
})();
