// Media on the run page: a card per media key; a step slider over the key's steps (asked for once),
// one reference fetched per position (kept), never a page reload. Images with captions, galleries,
// box and mask overlays with toggles; audio, video, Html in a sandboxed frame. Tables, histograms
// and charts are drawn by media-views.js. Everything from a stored reference is set as text or as
// a URL the server built (only for uploaded media/<sha256>.<ext> files), never parsed as HTML.
"use strict";
(function () {
  const M = (window.nbtrackMedia = window.nbtrackMedia || {});
  const POLL_MS = 5000;
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075"];

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { message = (await response.json()).error.message; } catch (err) { /* not JSON */ }
      throw new Error(message);
    }
    return response.json();
  }

  function query(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && v !== "") parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    }
    return parts.join("&");
  }

  function colour(id) {
    const n = Math.abs(Math.floor(Number(id))) || 0;
    return PALETTE[n % PALETTE.length];
  }

  function problem(text) {
    return el("div", "media-missing", text || "file missing");
  }

  M.el = el; M.getJSON = getJSON; M.query = query; M.colour = colour; M.problem = problem;

  // --- the step slider -------------------------------------------------------------------------

  function Stepper(api, key, show) {
    this.api = api; this.key = key; this.show = show;
    this.steps = []; this.cache = new Map(); this.asked = 0; this.follow = true;
    this.node = el("div", "stepper");
    this.range = el("input"); this.range.type = "range"; this.range.min = "0"; this.range.step = "1";
    this.range.setAttribute("aria-label", key + " step");
    this.label = el("span", "step-label");
    this.latest = el("button", "plain", "Latest"); this.latest.type = "button";
    this.node.append(this.range, this.label, this.latest);
    this.range.addEventListener("input", () => { this.follow = false; this.go(Number(this.range.value)); });
    this.latest.addEventListener("click", () => { this.follow = true; this.go(this.steps.length - 1); });
  }

  Stepper.prototype.load = async function () {
    const found = await getJSON(this.api + "/steps?" + query({ key: this.key }));
    const grew = found.steps.length !== this.steps.length;
    this.steps = found.steps;
    this.range.max = String(Math.max(0, this.steps.length - 1));
    this.node.hidden = this.steps.length < 2;
    if (this.follow && grew) this.go(this.steps.length - 1);
  };

  Stepper.prototype.go = async function (index) {
    const step = this.steps[index];
    if (step === undefined) return;
    this.range.value = String(index);
    this.label.textContent = "step " + step + " (" + (index + 1) + " of " + this.steps.length + ")";
    const asked = ++this.asked;
    let ref = this.cache.get(step);
    if (!ref) {
      ref = getJSON(this.api + "/at?" + query({ key: this.key, step: step }));
      this.cache.set(step, ref);
    }
    try {
      const found = await ref;
      if (asked === this.asked) this.show(found.ref, found.step);
    } catch (err) {
      this.cache.delete(step);
      if (asked === this.asked) this.show(null, step, err);
    }
  };

  M.Stepper = Stepper;

  // --- images: figure, gallery, overlays --------------------------------------------------------

  function boxRect(box, width, height) {
    const p = box.position || {};
    const scaleX = box.domain === "pixel" ? 1 : width;
    const scaleY = box.domain === "pixel" ? 1 : height;
    let x0 = Number(p.minX), x1 = Number(p.maxX), y0 = Number(p.minY), y1 = Number(p.maxY);
    if (Array.isArray(p.middle)) {
      const mx = Number(p.middle[0]), my = Number(p.middle[1]), w = Number(p.width), h = Number(p.height);
      x0 = mx - w / 2; x1 = mx + w / 2; y0 = my - h / 2; y1 = my + h / 2;
    }
    const rect = [x0 * scaleX, y0 * scaleY, (x1 - x0) * scaleX, (y1 - y0) * scaleY];
    return rect.every(Number.isFinite) ? rect : null;
  }

  function labelsOf(group) {
    const labels = group && typeof group.class_labels === "object" && group.class_labels ? group.class_labels : {};
    return Object.entries(labels).slice(0, 256);
  }

  // One overlay group (boxes or a mask) with its own toggle and a toggle per class.
  function Layer(kind, name, group, redraw) {
    this.kind = kind; this.name = name; this.group = group; this.on = true; this.off = new Set();
    if (kind === "mask") this.off.add("0"); // class 0 (usually background) starts hidden
    this.node = el("div", "overlay-layer");
    const head = el("label", "check");
    const box = el("input"); box.type = "checkbox"; box.checked = true;
    box.dataset.layer = kind + ":" + name;
    box.addEventListener("change", () => { this.on = box.checked; redraw(); });
    head.append(box, document.createTextNode(" " + (kind === "mask" ? "mask " : "boxes ") + name));
    this.node.append(head);
    for (const [id, label] of labelsOf(group)) {
      const item = el("label", "check class-toggle");
      const toggle = el("input"); toggle.type = "checkbox"; toggle.checked = !this.off.has(id);
      toggle.dataset.classId = id;
      toggle.addEventListener("change", () => {
        if (toggle.checked) this.off.delete(id); else this.off.add(id);
        redraw();
      });
      const swatch = el("span", "swatch"); swatch.style.backgroundColor = colour(id);
      item.append(toggle, swatch, document.createTextNode(" " + String(label)));
      this.node.append(item);
    }
  }

  Layer.prototype.drawBoxes = function (ctx, width, height) {
    const boxes = Array.isArray(this.group && this.group.box_data) ? this.group.box_data : [];
    const labels = Object.fromEntries(labelsOf(this.group));
    ctx.lineWidth = Math.max(2, Math.round(width / 120));
    ctx.font = Math.max(12, Math.round(width / 14)) + "px sans-serif";
    for (const box of boxes.slice(0, 2000)) {
      const id = String(box && box.class_id);
      const rect = box ? boxRect(box, width, height) : null;
      if (!rect || this.off.has(id)) continue;
      ctx.strokeStyle = ctx.fillStyle = colour(id);
      ctx.strokeRect(rect[0], rect[1], rect[2], rect[3]);
      const text = box.box_caption !== undefined ? String(box.box_caption) : String(labels[id] || id);
      ctx.fillText(text, rect[0] + 2, Math.max(10, rect[1] - 3));
    }
  };

  Layer.prototype.drawMask = function (ctx, width, height) {
    const image = this.image;
    if (!image || !image.complete || !image.naturalWidth) return;
    const scratch = document.createElement("canvas");
    scratch.width = width; scratch.height = height;
    const sctx = scratch.getContext("2d");
    sctx.imageSmoothingEnabled = false;
    sctx.drawImage(image, 0, 0, width, height);
    const pixels = sctx.getImageData(0, 0, width, height);
    const data = pixels.data;
    const rgb = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const id = String(data[i]);
      if (this.off.has(id)) { data[i + 3] = 0; continue; }
      let c = rgb.get(id);
      if (!c) { c = hexRGB(colour(id)); rgb.set(id, c); }
      data[i] = c[0]; data[i + 1] = c[1]; data[i + 2] = c[2]; data[i + 3] = 110;
    }
    sctx.putImageData(pixels, 0, 0);
    ctx.drawImage(scratch, 0, 0);
  };

  function hexRGB(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function imageFigure(ref) {
    const figure = el("figure", "media-image");
    if (!ref || !ref.url) {
      figure.append(problem(ref && ref.problem));
    } else {
      const frame = el("div", "frame");
      const img = el("img");
      img.alt = ref.caption !== undefined ? String(ref.caption) : "";
      img.src = ref.url;
      frame.append(img);
      figure.append(frame);
      overlays(figure, frame, img, ref);
    }
    if (ref && ref.caption !== undefined && ref.caption !== null) figure.append(el("figcaption", "", ref.caption));
    return figure;
  }

  function overlays(figure, frame, img, ref) {
    const layers = [];
    const canvas = el("canvas", "overlay");
    const redraw = () => {
      if (!img.naturalWidth) return;
      const scale = Math.max(1, Math.ceil(384 / img.naturalWidth)); // sharp lines on small images
      canvas.width = img.naturalWidth * scale; canvas.height = img.naturalHeight * scale;
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      for (const layer of layers) {
        if (!layer.on) continue;
        if (layer.kind === "mask") layer.drawMask(ctx, canvas.width, canvas.height);
        else layer.drawBoxes(ctx, canvas.width, canvas.height);
      }
      figure.dataset.drawn = String(Date.now());
    };
    for (const [name, group] of Object.entries(isObject(ref.masks) ? ref.masks : {})) {
      if (!isObject(group)) continue;
      const layer = new Layer("mask", name, group, redraw);
      if (group.url) {
        layer.image = new Image();
        layer.image.addEventListener("load", redraw);
        layer.image.src = group.url;
      }
      layers.push(layer);
    }
    for (const [name, group] of Object.entries(isObject(ref.boxes) ? ref.boxes : {})) {
      if (isObject(group)) layers.push(new Layer("boxes", name, group, redraw));
    }
    if (!layers.length) return;
    frame.append(canvas);
    const controls = el("div", "overlay-controls");
    for (const layer of layers) controls.append(layer.node);
    figure.append(controls);
    img.addEventListener("load", redraw);
  }

  function isObject(value) {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  }

  function gallery(ref) {
    const box = el("div", "gallery");
    const items = Array.isArray(ref.items) ? ref.items.slice(0, 500) : [];
    for (const item of items) box.append(imageFigure(isObject(item) ? item : null));
    return box;
  }

  // --- players -----------------------------------------------------------------------------------

  function player(tag, ref) {
    const figure = el("figure", "media-player");
    if (!ref.url) {
      figure.append(problem(ref.problem));
    } else if (tag === "video" && ref.format === "gif") {
      const img = el("img"); img.src = ref.url; img.alt = String(ref.caption || "");
      figure.append(img);
    } else {
      const media = el(tag); media.controls = true; media.preload = "metadata"; media.src = ref.url;
      figure.append(media);
    }
    if (ref.caption !== undefined && ref.caption !== null) figure.append(el("figcaption", "", ref.caption));
    return figure;
  }

  function htmlFrame(ref) {
    if (!ref.url) return problem(ref.problem);
    const frame = el("iframe", "media-html");
    frame.setAttribute("sandbox", ""); // no scripts, no same-origin, no forms, no top navigation
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.title = "logged HTML (sandboxed)";
    frame.src = ref.url;
    return frame;
  }

  function object3d(ref) {
    const box = el("div", "media-object3d");
    box.append(el("span", "", "3D object" + (ref.npoints !== undefined ? ", " + Number(ref.npoints) + " points" : "") + " "));
    if (ref.url) {
      const link = el("a", "", "download"); link.href = ref.url; link.download = "";
      box.append(link);
      if (ref.format === "pts.json" && M.views && M.views.pointCloud) M.views.pointCloud(box, ref);
    } else {
      box.append(problem(ref.problem));
    }
    return box;
  }

  // What a reference at a step looks like; tables and charts come from media-views.js.
  function render(body, ref, step, context) {
    body.replaceChildren();
    const views = M.views || {};
    const type = ref && ref._type;
    if (type === "image-file") body.append(imageFigure(ref));
    else if (type === "images/separated") body.append(gallery(ref));
    else if (type === "audio-file") body.append(player("audio", ref));
    else if (type === "video-file") body.append(player("video", ref));
    else if (type === "html-file") body.append(htmlFrame(ref));
    else if (type === "object3D-file") body.append(object3d(ref));
    else if (type === "table-file" && views.table) views.table(body, context.api, context.key, step);
    else if (type === "plot" && views.plot) views.plot(body, context.api, context.key, step, ref);
    else body.append(el("p", "empty", "Nothing to show for " + String(type) + " at step " + step + "."));
  }

  // A key's card: its title, its slider (or, for histograms, a heatmap or ridgeline over steps), its content.
  M.keyCard = function (api, entry) {
    const card = el("div", "media-key");
    card.dataset.key = entry.key;
    card.dataset.type = entry.type;
    card.append(el("h3", "", entry.key));
    const body = el("div", "media-body");
    if (entry.type === "histogram") {
      card.append(body);
      card.refresh = () => { if (M.views && M.views.histograms) M.views.histograms(body, api, entry.key, card); };
      card.refresh();
      return card;
    }
    const stepper = new Stepper(api, entry.key, (ref, step, err) => {
      if (err) { body.replaceChildren(problem(err.message)); return; }
      render(body, ref, step, { api: api, key: entry.key });
      card.dataset.step = String(step);
    });
    card.append(stepper.node, body);
    card.stepper = stepper;
    card.refresh = () => stepper.load().catch((err) => body.replaceChildren(problem(err.message)));
    card.refresh();
    return card;
  };

  // The Media section: every key of the run; while the run runs, new keys and steps appear.
  M.mountRun = function (root) {
    const api = root.dataset.api;
    const cards = new Map();
    const section = root.closest("section");
    async function refresh() {
      let found;
      try { found = await getJSON(api); } catch (err) { root.replaceChildren(problem(err.message)); return; }
      for (const entry of found.keys) {
        const known = cards.get(entry.key);
        if (!known) {
          const card = M.keyCard(api, entry);
          cards.set(entry.key, { card: card, count: entry.count });
          root.append(card);
        } else if (known.count !== entry.count) {
          known.count = entry.count;
          known.card.refresh();
        }
      }
      if (section) section.hidden = cards.size === 0;
      root.dataset.keys = String(cards.size);
    }
    // while the run runs (run.js keeps #run-state current), new keys and steps appear
    const badge = document.getElementById("run-state");
    const live = () => ["running", "preempting"].includes(badge ? badge.textContent.trim() : root.dataset.state);
    const poll = async () => {
      await refresh();
      if (live()) setTimeout(poll, POLL_MS);
    };
    poll();
  };

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("media");
    if (root && root.dataset.api) M.mountRun(root);
  });
})();
