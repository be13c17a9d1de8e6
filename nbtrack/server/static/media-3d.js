// Object3D point clouds (media/<sha256>.pts.json) on a canvas: drag to rotate, points coloured by
// their r, g, b or category when given, else by height. Orthographic, drawn back to front; at most
// MAX_POINTS points (evenly sampled). Other 3-D formats keep their download link only.
"use strict";
(function () {
  const M = (window.nbtrackMedia = window.nbtrackMedia || {});
  const V = (M.views = M.views || {});
  const MAX_POINTS = 50000;

  // [x, y, z, r, g, b] rows, centred and scaled to fit [-1, 1]; colours filled in.
  function normalise(points) {
    const step = Math.max(1, Math.ceil(points.length / MAX_POINTS));
    const kept = [];
    for (let i = 0; i < points.length; i += step) {
      const p = points[i];
      if (Array.isArray(p) && p.length >= 3 && p.slice(0, 3).every(Number.isFinite)) kept.push(p);
    }
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (const p of kept) for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], p[a]); hi[a] = Math.max(hi[a], p[a]); }
    const mid = lo.map((l, a) => (l + hi[a]) / 2);
    const half = Math.max(1e-12, ...hi.map((h, a) => (h - lo[a]) / 2));
    return kept.map((p) => {
      const q = [(p[0] - mid[0]) / half, (p[1] - mid[1]) / half, (p[2] - mid[2]) / half];
      return q.concat(colourOf(p, hi[2] > lo[2] ? (p[2] - lo[2]) / (hi[2] - lo[2]) : 0.5));
    });
  }

  function colourOf(p, height) {
    if (p.length >= 6) return [p[3], p[4], p[5]].map((c) => Math.max(0, Math.min(255, Math.round(Number(c) || 0))));
    if (p.length === 4) {
      const hex = M.colour(p[3]);
      return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    }
    return [Math.round(80 + 175 * height), Math.round(160 + 60 * height), Math.round(255 - 155 * height)];
  }

  function draw(canvas, points, view) {
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#111827"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    const cy = Math.cos(view.yaw), sy = Math.sin(view.yaw), cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
    const scale = Math.min(canvas.width, canvas.height) * 0.42, ox = canvas.width / 2, oy = canvas.height / 2;
    // z up: turn around z (yaw), then tilt towards the viewer (pitch)
    const placed = points.map((p) => {
      const x = p[0] * cy - p[1] * sy, y = p[0] * sy + p[1] * cy;
      return [ox + x * scale, oy - (p[2] * cp - y * sp) * scale, y * cp + p[2] * sp, p];
    });
    placed.sort((a, b) => b[2] - a[2]);
    const size = points.length > 20000 ? 1.5 : 2.5;
    for (const [sx, sy2, , p] of placed) {
      ctx.fillStyle = "rgb(" + p[3] + "," + p[4] + "," + p[5] + ")";
      ctx.fillRect(sx - size / 2, sy2 - size / 2, size, size);
    }
  }

  function rotatable(canvas, points) {
    const view = { yaw: -0.6, pitch: 0.35 };
    let last = null;
    canvas.addEventListener("pointerdown", (e) => { last = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); canvas.classList.add("dragging"); });
    canvas.addEventListener("pointermove", (e) => {
      if (!last) return;
      view.yaw += (e.clientX - last[0]) * 0.01;
      view.pitch = Math.max(-1.5, Math.min(1.5, view.pitch + (e.clientY - last[1]) * 0.01));
      last = [e.clientX, e.clientY];
      draw(canvas, points, view);
      canvas.dataset.yaw = view.yaw.toFixed(3);
    });
    const stop = () => { last = null; canvas.classList.remove("dragging"); };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    draw(canvas, points, view);
    canvas.dataset.yaw = view.yaw.toFixed(3);
  }

  // The viewer for one reference, put into box once its file is read.
  V.pointCloud = async function (box, ref) {
    let found;
    try { found = await M.getJSON(ref.url); } catch (err) { box.prepend(M.problem(err.message)); return; }
    const points = normalise(Array.isArray(found && found.points) ? found.points : []);
    if (!points.length) { box.prepend(M.problem("no points to show")); return; }
    const canvas = M.el("canvas", "points");
    canvas.width = 480; canvas.height = 360;
    canvas.setAttribute("aria-label", "point cloud, drag to rotate");
    canvas.dataset.points = String(points.length);
    box.prepend(canvas, M.el("div", "hint", "Drag to rotate."));
    rotatable(canvas, points);
  };
})();
