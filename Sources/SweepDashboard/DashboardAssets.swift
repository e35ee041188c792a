import SweepReport

/// The dashboard's one script and its stylesheet, served from the binary (no CDN, no
/// network). The script polls `/api` and draws with plain SVG; it only ever sets data as
/// text (`textContent`), except the report's figures, which the server escaped.
enum DashboardAssets {
    static let css = ReportStyle.css + #"""

body { max-width: 1000px; }
/* The dashboard's tables scroll sideways (.table-wrap): a word or number is never split over
   lines ("-0.06534", "epochs" were, as the printable report must to fit its page). */
table.data th, table.data td.param { overflow-wrap: break-word; }
.topbar { font-size: 13px; color: var(--muted); margin: -14px 0 14px; display: flex; justify-content: space-between; }
.topbar a { color: var(--blue); text-decoration: none; font-weight: 600; }
#status { font-size: 12px; }
.pc-dim { stroke: #e3e8ee !important; stroke-opacity: .5; }
.pc-hit { fill: transparent; cursor: ns-resize; }
.pc-brush { fill: var(--accent); fill-opacity: .18; stroke: var(--accent); stroke-width: 1; }
.edf-line { fill: none; stroke: var(--blue); stroke-width: 2; }
.contour-pt { fill: #fff; stroke: #1f2933; stroke-width: 1; }
.gantt-row { fill: var(--panel); }
.gantt.done { fill: var(--blue); }
.gantt.pruned { fill: #9aa5b1; }
.gantt.fail { fill: #c53030; }
.gantt.stale { fill: var(--accent); }
.gantt.returned { fill: #f6ad55; }
.gantt.running { fill: #2f855a; }
.tick.dead { fill: #c53030; }
.metric-line, .compare-line { fill: none; stroke-width: 2; }
.prune-dot { stroke: #c53030; stroke-width: 2; }
input, select, button { font: inherit; font-size: 13px; }
#contour-svg { max-width: 560px; }
#trials-table tbody tr:hover td { background: #f0f5fb; }
.pc-axis-group text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.enqueue-fields { display: flex; flex-wrap: wrap; gap: 8px 16px; }
.enqueue-field { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.enqueue-field input, .enqueue-field select { width: 150px; margin-top: 2px; }
.bad { outline: 2px solid #c53030; }
.attempt-log { margin: 0; max-height: 320px; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: 12px; background: #f7f9fb; padding: 8px; }
"""#

    static let script = #"""
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var body = document.body;
  var page = body.getAttribute("data-page");

  // ---- helpers -------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function svgBox(w, h, label) {
    return sv("svg", { "class": "plot", viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img", "aria-label": label });
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function num(v) { return typeof v === "number" && isFinite(v); }
  // Significant digits, as `sweep best` prints them.
  function fmt(v) {
    if (v === null || v === undefined) return "-";
    if (typeof v !== "number") return String(v);
    if (!isFinite(v)) return String(v);
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a < 1e-3 || a >= 1e6) return v.toExponential(2).replace("e+", "e");
    if (a >= 1e4) return v.toFixed(0);
    return String(parseFloat(v.toPrecision(4)));
  }
  // A list value (a W&B list choice) as its JSON text: String([64, 32]) is "64,32", which the
  // enqueue form would send and nothing could tell from [[64], [32]].
  // A list as Sweep writes it (`[64, 32]`, `["a,b", "c"]`): commas inside strings stay as they are.
  // Text as it is, visibly: line breaks, tabs, other control characters and the marks that
  // reorder text (U+202E showed "\u202Eevil" as "live") are written as escapes, as the CLI does.
  function visible(s) {
    return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, function (c) {
      return c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : "\\u{" + c.charCodeAt(0).toString(16).toUpperCase() + "}";
    });
  }
  function paramText(v) { return Array.isArray(v) ? "[" + v.map(function (x) { return Array.isArray(x) ? paramText(x) : JSON.stringify(x); }).join(", ") + "]" : visible(String(v)); }
  function fmtParam(v) { return typeof v === "number" ? fmt(v) : paramText(v); }
  function seconds(s) {
    if (!num(s)) return "-";
    if (s < 60) return s.toFixed(1) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + ("0" + Math.floor(s % 60)).slice(-2) + "s";
    return Math.floor(s / 3600) + "h" + ("0" + Math.floor((s % 3600) / 60)).slice(-2) + "m";
  }
  function time(t) { return num(t) ? new Date(t * 1000).toLocaleTimeString() : "-"; }
  function setStatus(text) { var s = $("status"); if (s) s.textContent = text; }
  // What the page last saw of its study (its state), and whether it asked for a stop: when
  // the dashboard then goes away it went with its sweep, which is no connection problem.
  var lastSeen = { state: null, stopAsked: false };
  function getJSON(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      if (r.status === 404) {
        // No such study or trial: no use retrying.
        return r.text().then(function (t) { var e = new Error(t.trim() || "not found"); e.notFound = true; throw e; });
      }
      if (!r.ok) return r.text().then(function (t) { throw new Error(t.trim() || url + ": HTTP " + r.status); });
      return r.json();
    });
  }
  function studyURL(name) { return "/study?name=" + encodeURIComponent(name); }
  function trialURL(study, n) { return "/trial?study=" + encodeURIComponent(study) + "&n=" + n; }
  // Polls `fn` (returning a promise) every `ms`; a failed poll shows in the top bar, not the console.
  function poll(fn, ms) {
    function tick() {
      var slow = false;
      fn().then(function (r) {
                  setStatus(r === "final" ? "final: this trial has ended"
                            : r === "ended" ? "the study has ended · updated " + new Date().toLocaleTimeString()
                            : "live · updated " + new Date().toLocaleTimeString());
                },
                function (e) {
                  // Not there (yet: a page opened before its sweep starts): said once, looked at again slowly.
                  if (e.notFound) {
                    slow = true;
                    setStatus(e.message + " (see the list of studies: /)");
                    ["study-sub", "trial-sub"].forEach(function (id) { var s = $(id); if (s && s.textContent === "loading…") s.textContent = "not found"; });
                  }
                  else if (lastSeen.stopAsked || (lastSeen.state && lastSeen.state !== "RUNNING"))
                    setStatus("the dashboard has stopped with its sweep (the study " + (lastSeen.stopAsked && lastSeen.state === "RUNNING" ? "was stopped" : "is " + String(lastSeen.state).toLowerCase()) + "): this page shows its last state");
                  else if (e.message.indexOf("cannot read the database") === 0) setStatus(e.message + "; retrying");
                  else setStatus("cannot reach the dashboard (" + e.message + "); retrying");
                })
        .then(function () { setTimeout(tick, slow ? Math.max(ms, 5000) : ms); slow = false; });
    }
    tick();
  }
  var palette = ["#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030", "#319795", "#b7791f", "#d53f8c"];
  function better(direction, a, b) { return direction === "minimize" ? a < b : a > b; }
  // A light-to-dark blue: f = 0 light, 1 dark.
  function ramp(f) {
    var stops = [[203, 217, 235], [134, 170, 214], [55, 111, 181], [23, 52, 110]];
    var t = Math.min(Math.max(num(f) ? f : 0, 0), 1) * (stops.length - 1);
    var i = Math.min(Math.floor(t), stops.length - 2), u = t - i;
    var c = [0, 1, 2].map(function (k) { return Math.round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * u); });
    return "rgb(" + c.join(",") + ")";
  }

  // A scale over [lo, hi] onto pixels [a, b], linear or log.
  function scale(kind, lo, hi, a, b) {
    if (kind === "log") { lo = Math.max(lo, 1e-300); hi = Math.max(hi, lo * 1.0001); }
    if (!(hi > lo)) { var pad = Math.max(Math.abs(lo) * 0.05, 1e-9); lo -= pad; hi += pad; }
    var t = kind === "log" ? function (v) { return Math.log10(Math.max(v, 1e-300)); } : function (v) { return v; };
    var f = function (v) { var x = (t(v) - t(lo)) / (t(hi) - t(lo)); return a + Math.min(Math.max(x, 0), 1) * (b - a); };
    f.kind = kind; f.lo = lo; f.hi = hi;
    f.invert = function (p) {
      var x = (p - a) / (b - a), v = t(lo) + x * (t(hi) - t(lo));
      return kind === "log" ? Math.pow(10, v) : v;
    };
    f.ticks = function (n) {
      var out = [];
      if (kind === "log") {
        for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
          var p = Math.pow(10, e);
          if (p >= lo * 0.999999 && p <= hi * 1.000001) out.push(p);
        }
        if (out.length >= 2) return out;
      }
      var span = hi - lo, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
      var step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
      for (var k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Math.abs(k * step) < step * 1e-9 ? 0 : k * step);
      return out;
    };
    return f;
  }
  // Draws tick labels that do not touch the previous one.
  function axisLeft(svg, y, x, labelX) {
    var last = null;
    y.ticks(5).forEach(function (v) {
      var p = y(v);
      svg.appendChild(sv("line", { "class": "axis", x1: x - 4, y1: p, x2: x, y2: p }));
      if (last === null || Math.abs(p - last) >= 13) {
        svg.appendChild(sv("text", { "class": "tick", x: labelX, y: p, "text-anchor": "end", "dominant-baseline": "middle" }, fmt(v)));
        last = p;
      }
    });
  }
  function axisBottom(svg, x, y, n) {
    var last = null;
    x.ticks(n || 6).forEach(function (v) {
      var p = x(v), label = fmt(v), w = label.length * 6.6 + 4;
      svg.appendChild(sv("line", { "class": "axis", x1: p, y1: y, x2: p, y2: y + 4 }));
      if (last === null || Math.abs(p - last.p) >= (w + last.w) / 2) {
        svg.appendChild(sv("text", { "class": "tick", x: p, y: y + 16, "text-anchor": "middle" }, label));
        last = { p: p, w: w };
      }
    });
  }

  // ---- the studies page ------------------------------------------------------------------
  function studiesPage() {
    var selected = {};
    poll(function () {
      return getJSON("/api/studies").then(function (studies) {
        var tbody = $("studies-table").tBodies[0];
        clear(tbody);
        studies.forEach(function (s) {
          var tr = el("tr", { "data-study": s.name });
          var box = el("input", { type: "checkbox" });
          box.checked = !!selected[s.name];
          box.addEventListener("change", function () { selected[s.name] = box.checked; });
          var td = el("td"); td.appendChild(box); tr.appendChild(td);
          var link = el("a", { href: studyURL(s.name) }, s.name);
          td = el("td"); td.appendChild(link); tr.appendChild(td);
          tr.appendChild(el("td", {}, s.state.toLowerCase()));
          // Ended trials of the budget, as `sweep studies` and `sweep status` count them (all
          // trials were counted: an interrupted study's RUNNING ones made 21/40 of 19/40).
          var ended = (s.counts.COMPLETE || 0) + (s.counts.PRUNED || 0) + (s.counts.FAIL || 0);
          tr.appendChild(el("td", { "class": "num" }, ended + (s.budgeted ? "/" + s.budget : " (no budget)")));
          ["COMPLETE", "PRUNED", "FAIL", "RUNNING"].forEach(function (k) { tr.appendChild(el("td", { "class": "num" }, String(s.counts[k] || 0))); });
          tr.appendChild(el("td", {}, s.metric + " (" + s.direction + ")"));
          tr.appendChild(el("td", { "class": "num", "data-value": s.best === null ? "" : String(s.best) }, fmt(s.best)));
          tbody.appendChild(tr);
        });
      });
    }, 2000);
    $("compare-button").addEventListener("click", function () {
      var names = Object.keys(selected).filter(function (k) { return selected[k]; });
      location.href = "/compare?" + names.map(function (n) { return "study=" + encodeURIComponent(n); }).join("&");
    });
  }

  // ---- the study page --------------------------------------------------------------------
  // tableRows: the trials table lists this many of the matching rows (more on request): all
  // 6,000 rows of a busy study, redrawn at every trial's end, kept the browser 84% busy.
  var state = { detail: null, brushes: {}, sort: { key: "number", asc: true }, dragging: false, signature: "", figuresAt: 0, figuresKey: "", figuresWait: 4000, tableRows: 500 };

  function complete(d) { return d.trials.filter(function (t) { return t.state === "COMPLETE" && num(t.value); }); }

  // One axis per parameter plus the objective; each knows where a trial sits on it.
  function pcAxes(d, top, bottom) {
    var done = complete(d);
    var axes = d.parameters.map(function (p) {
      var a = { name: p.name, label: p.name };
      if (p.scale === "categorical") {
        var cats = p.choices.map(paramText);
        done.forEach(function (t) { var v = t.params[p.name]; if (v !== undefined && cats.indexOf(paramText(v)) < 0) cats.push(paramText(v)); });
        a.cats = cats;
        a.pos = function (t) {
          var v = t.params[p.name];
          if (v === undefined) return null;
          var i = cats.indexOf(paramText(v));
          return bottom + (i + 0.5) / cats.length * (top - bottom);
        };
      } else {
        var lo = p.low, hi = p.high;
        done.forEach(function (t) { var v = t.params[p.name]; if (num(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
        a.scale = scale(p.scale, lo, hi, bottom, top);
        a.pos = function (t) { var v = t.params[p.name]; return num(v) ? a.scale(v) : null; };
      }
      return a;
    });
    var values = done.map(function (t) { return t.value; });
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var obj = { name: "__objective", label: d.summary.metric, scale: scale(lo > 0 && hi / lo > 100 ? "log" : "linear", lo, hi, bottom, top) };
    obj.pos = function (t) { return obj.scale(t.value); };
    axes.push(obj);
    return axes;
  }

  // Whether trial `t` lies inside every brushed range.
  function passes(t) {
    var axes = state.axes || [];
    for (var i = 0; i < axes.length; i++) {
      var b = state.brushes[axes[i].name];
      if (!b) continue;
      if (axes[i].name !== "__objective" && t.state !== "COMPLETE") return false;
      var p = axes[i].name === "__objective" ? (num(t.value) ? axes[i].pos(t) : null) : axes[i].pos(t);
      if (p === null || p < b[0] || p > b[1]) return false;
    }
    return true;
  }

  function drawParallel(d) {
    var box = $("pc-box");
    clear(box);
    var done = complete(d);
    if (done.length === 0 || d.parameters.length === 0) { box.appendChild(el("p", { "class": "empty" }, "No complete trial yet.")); state.axes = []; return; }
    var W = 900, H = 380, top = 46, bottom = H - 40, left = 80, right = W - 70;
    var axes = pcAxes(d, top, bottom);
    state.axes = axes;
    var xs = axes.map(function (_, i) { return axes.length === 1 ? (left + right) / 2 : left + i * (right - left) / (axes.length - 1); });
    var svg = svgBox(W, H, "Parallel coordinates (brushable)");
    svg.id = "pc";
    var ranked = done.slice().sort(function (a, b) { return better(d.summary.direction, a.value, b.value) ? -1 : better(d.summary.direction, b.value, a.value) ? 1 : a.number - b.number; });
    var lines = sv("g", { "class": "pc-lines" });
    for (var r = ranked.length - 1; r >= 0; r--) {
      var t = ranked[r], dpath = "", run = 0;
      axes.forEach(function (a, i) {
        var y = a.pos(t);
        if (y === null) { run = 0; return; }
        dpath += (run === 0 ? "M" : "L") + xs[i].toFixed(1) + " " + y.toFixed(1);
        run++;
      });
      var ok = passes(t);
      var path = sv("path", { d: dpath, "class": r === 0 ? "pc-best" : "pc-line" + (ok ? "" : " pc-dim"), "data-trial": t.number });
      if (r !== 0) path.setAttribute("style", "stroke:" + ramp(0.1 + 0.9 * (1 - r / Math.max(1, ranked.length - 1))));
      path.appendChild(sv("title", {}, "trial " + t.number + " · " + d.summary.metric + " " + fmt(t.value)));
      lines.appendChild(path);
    }
    svg.appendChild(lines);
    axes.forEach(function (a, i) {
      var x = xs[i], g = sv("g", { "class": "pc-axis-group", "data-axis": a.name });
      g.appendChild(sv("line", { "class": "pc-axis", x1: x, y1: top, x2: x, y2: bottom }));
      if (a.scale) { axisLeft(g, a.scale, x, x - 6); } else {
        var last = null;
        a.cats.forEach(function (c, k) {
          var y = bottom + (k + 0.5) / a.cats.length * (top - bottom);
          g.appendChild(sv("line", { "class": "axis", x1: x - 4, y1: y, x2: x, y2: y }));
          if (last === null || Math.abs(y - last) >= 13) { g.appendChild(sv("text", { "class": "tick", x: x - 6, y: y, "text-anchor": "end", "dominant-baseline": "middle" }, c.length > 12 ? c.slice(0, 11) + "…" : c)); last = y; }
        });
      }
      var title = a.label.length > 18 ? a.label.split(".").pop() : a.label;
      g.appendChild(sv("text", { "class": "pc-title", x: x, y: top - (i % 2 === 1 && axes.length > 7 ? 26 : 12), "text-anchor": "middle" }, title));
      var b = state.brushes[a.name];
      if (b) g.appendChild(sv("rect", { "class": "pc-brush", x: x - 9, y: b[0], width: 18, height: Math.max(1, b[1] - b[0]) }));
      var hit = sv("rect", { "class": "pc-hit", x: x - 12, y: top - 4, width: 24, height: bottom - top + 8 });
      brushable(hit, svg, a.name, top, bottom);
      g.appendChild(hit);
      svg.appendChild(g);
    });
    box.appendChild(svg);
    var shown = done.filter(passes).length;
    $("pc-note").textContent = Object.keys(state.brushes).length ? shown + " of " + done.length + " complete trials inside the ranges" : "";
  }

  // Drag on an axis to set its range; a click without a drag clears it.
  function brushable(hit, svg, name, top, bottom) {
    hit.addEventListener("mousedown", function (e) {
      e.preventDefault();
      // Each move redraws the plot: measure the svg on the page now, not the one the drag began on.
      var pt = function (ev) { var cur = $("pc") || svg, r = cur.getBoundingClientRect(); return (ev.clientY - r.top) * (cur.viewBox.baseVal.height / r.height); };
      var y0 = pt(e), y1 = y0;
      state.dragging = true;
      function move(ev) {
        y1 = pt(ev);
        var lo = Math.max(top, Math.min(y0, y1)), hi = Math.min(bottom, Math.max(y0, y1));
        state.brushes[name] = [lo, hi];
        drawParallel(state.detail);
      }
      function up(ev) {
        window.removeEventListener("mousemove", move);
        window.removeEventListener("mouseup", up);
        state.dragging = false;
        y1 = pt(ev);
        if (Math.abs(y1 - y0) < 3) delete state.brushes[name];
        else state.brushes[name] = [Math.max(top, Math.min(y0, y1)), Math.min(bottom, Math.max(y0, y1))];
        drawParallel(state.detail);
        drawTable(state.detail);
      }
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    });
  }

  function drawContour(d) {
    var box = $("contour-box"), sx = $("contour-x"), sy = $("contour-y");
    var numeric = d.parameters.filter(function (p) { return p.scale !== "categorical"; });
    if (sx.options.length === 0) {
      numeric.forEach(function (p, i) {
        sx.appendChild(el("option", { value: p.name }, p.name));
        sy.appendChild(el("option", { value: p.name }, p.name));
      });
      if (numeric.length > 1) sy.selectedIndex = 1;
      sx.addEventListener("change", function () { drawContour(state.detail); });
      sy.addEventListener("change", function () { drawContour(state.detail); });
    }
    clear(box);
    var px = numeric.filter(function (p) { return p.name === sx.value; })[0], py = numeric.filter(function (p) { return p.name === sy.value; })[0];
    var pts = complete(d).filter(function (t) { return px && py && num(t.params[px.name]) && num(t.params[py.name]); });
    if (!px || !py || px === py || pts.length < 3) {
      box.appendChild(el("p", { "class": "empty" }, numeric.length < 2 ? "Needs two numeric parameters." : "Needs at least 3 complete trials with both parameters (choose two different ones)."));
      return;
    }
    var W = 560, H = 420, L = 70, R = W - 20, T = 14, B = H - 46;
    var x = scale(px.scale, px.low, px.high, L, R), y = scale(py.scale, py.low, py.high, B, T);
    var svg = svgBox(W, H, "Contour of " + d.summary.metric + " over " + px.name + " and " + py.name);
    svg.id = "contour-svg";
    var values = pts.map(function (t) { return t.value; }).slice().sort(function (a, b) { return a - b; });
    function rank(v) { var i = 0; while (i < values.length && values[i] < v) i++; return values.length > 1 ? i / (values.length - 1) : 0.5; }
    var n = 28, cw = (R - L) / n, ch = (B - T) / n;
    var nx = pts.map(function (t) { return (x(t.params[px.name]) - L) / (R - L); }), ny = pts.map(function (t) { return (y(t.params[py.name]) - T) / (B - T); });
    for (var i = 0; i < n; i++) for (var j = 0; j < n; j++) {
      var cx = (i + 0.5) / n, cy = (j + 0.5) / n, wsum = 0, vsum = 0;
      for (var k = 0; k < pts.length; k++) {
        var dd = (nx[k] - cx) * (nx[k] - cx) + (ny[k] - cy) * (ny[k] - cy) + 1e-4, w = 1 / (dd * dd);
        wsum += w; vsum += w * pts[k].value;
      }
      var f = rank(vsum / wsum);
      if (d.summary.direction === "minimize") f = 1 - f;
      svg.appendChild(sv("rect", { x: (L + i * cw).toFixed(1), y: (T + j * ch).toFixed(1), width: (cw + 0.5).toFixed(1), height: (ch + 0.5).toFixed(1), fill: ramp(f), "class": "cell" }));
    }
    pts.forEach(function (t) {
      var c = sv("circle", { cx: x(t.params[px.name]).toFixed(1), cy: y(t.params[py.name]).toFixed(1), r: 3, "class": "contour-pt" });
      c.appendChild(sv("title", {}, "trial " + t.number + " · " + d.summary.metric + " " + fmt(t.value)));
      svg.appendChild(c);
    });
    axisBottom(svg, x, B, 5);
    axisLeft(svg, y, L, L - 7);
    svg.appendChild(sv("text", { "class": "axis-title", x: (L + R) / 2, y: H - 8, "text-anchor": "middle" }, px.name + (px.scale === "log" ? " (log)" : "")));
    svg.appendChild(sv("text", { "class": "axis-title", x: 14, y: (T + B) / 2, "text-anchor": "middle", transform: "rotate(-90 14 " + (T + B) / 2 + ")" }, py.name + (py.scale === "log" ? " (log)" : "")));
    box.appendChild(svg);
  }

  function drawEDF(d) {
    var box = $("edf-box");
    clear(box);
    var values = complete(d).map(function (t) { return t.value; }).sort(function (a, b) { return a - b; });
    if (values.length === 0) { box.appendChild(el("p", { "class": "empty" }, "No complete trial yet.")); return; }
    var W = 900, H = 280, L = 64, R = W - 20, T = 14, B = H - 44;
    var lo = values[0], hi = values[values.length - 1];
    var x = scale(lo > 0 && hi / lo > 100 ? "log" : "linear", lo, hi, L, R), y = scale("linear", 0, 1, B, T);
    var svg = svgBox(W, H, "Empirical distribution of " + d.summary.metric);
    svg.id = "edf-svg";
    var path = "M" + L + " " + B;
    values.forEach(function (v, i) { path += "L" + x(v).toFixed(1) + " " + y(i / values.length).toFixed(1) + "L" + x(v).toFixed(1) + " " + y((i + 1) / values.length).toFixed(1); });
    path += "L" + R + " " + y(1).toFixed(1);
    svg.appendChild(sv("path", { d: path, "class": "edf-line" }));
    axisBottom(svg, x, B, 8);
    axisLeft(svg, y, L, L - 7);
    svg.appendChild(sv("text", { "class": "axis-title", x: (L + R) / 2, y: H - 8, "text-anchor": "middle" }, d.summary.metric));
    box.appendChild(svg);
  }

  function drawTimeline(d) {
    var box = $("timeline-box");
    clear(box);
    var attempts = d.attempts;
    if (attempts.length === 0) { box.appendChild(el("p", { "class": "empty" }, "No trial has started yet.")); return; }
    var byNumber = {};
    d.trials.forEach(function (t) { byNumber[t.number] = t; });
    var workers = [];
    d.workers.forEach(function (w) { if (workers.indexOf(w.id) < 0) workers.push(w.id); });
    attempts.forEach(function (a) { if (workers.indexOf(a.worker) < 0) workers.push(a.worker); });
    var workerState = {};
    d.workers.forEach(function (w) { workerState[w.id] = w.state; });
    // An attempt without an end runs until now while the study runs; an interrupted study's
    // ends where its coordinator went (its last recorded end), a finished one's at its last.
    var running = d.summary.state === "RUNNING";
    var lastEnd = Math.max.apply(null, attempts.map(function (a) { return a.endedAt || a.startedAt; }));
    var endOf = function (a) { return a.endedAt || (running ? d.now : lastEnd); };
    var t0 = Math.min.apply(null, attempts.map(function (a) { return a.startedAt; }));
    var t1 = Math.max.apply(null, attempts.map(endOf));
    var rowH = 20, L = 190, R = 880, T = 10, H = T + workers.length * rowH + 40, W = 900;
    var x = scale("linear", 0, Math.max(1, t1 - t0), L, R);
    var svg = svgBox(W, H, "Timeline of trials per worker");
    svg.id = "timeline-svg";
    workers.forEach(function (w, i) {
      var y = T + i * rowH, st = workerState[w] || "";
      svg.appendChild(sv("rect", { x: L, y: y + 1, width: R - L, height: rowH - 2, "class": "gantt-row" }));
      var label = (w.length > 22 ? w.slice(0, 21) + "…" : w) + (st && st !== "ALIVE" ? " (" + st.toLowerCase() + ")" : "");
      svg.appendChild(sv("text", { "class": "tick" + (st === "DEAD" ? " dead" : ""), x: L - 6, y: y + rowH / 2, "text-anchor": "end", "dominant-baseline": "middle" }, label));
    });
    attempts.forEach(function (a) {
      var i = workers.indexOf(a.worker), y = T + i * rowH, t = byNumber[a.trial] || {};
      var outcome = a.endedAt ? (a.outcome || t.state || "") : running ? "RUNNING" : "INTERRUPTED";
      var cls = "gantt " + (/STALE|LOST|TIMEOUT/.test(outcome) ? "stale" : /FAIL|ERROR/.test(outcome) ? "fail" : outcome === "RUNNING" ? "running" : /PRUNE/.test(outcome) || (t.state === "PRUNED" && a.attempt === t.attempt) ? "pruned" : /RETURN|INTERRUPTED/.test(outcome) ? "returned" : "done");
      var xa = x(a.startedAt - t0), xb = x(endOf(a) - t0);
      var r = sv("rect", { "class": cls, x: xa.toFixed(1), y: y + 3, width: Math.max(1.5, xb - xa).toFixed(1), height: rowH - 6, "data-trial": a.trial });
      r.appendChild(sv("title", {}, "trial " + a.trial + " attempt " + a.attempt + " · " + outcome.toLowerCase() + " · " + seconds(endOf(a) - a.startedAt)));
      svg.appendChild(r);
    });
    axisBottom(svg, x, T + workers.length * rowH + 2, 8);
    svg.appendChild(sv("text", { "class": "axis-title", x: (L + R) / 2, y: H - 6, "text-anchor": "middle" }, "seconds since the first trial started"));
    box.appendChild(svg);
  }

  function drawTable(d) {
    var table = $("trials-table"), head = table.tHead, tbody = table.tBodies[0];
    var cols = [["number", "#", true], ["state", "state", false], ["value", d.summary.metric, true], ["epochs", "epochs", true], ["duration", "time", true], ["worker", "worker", false]]
      .concat(d.parameters.map(function (p) { return ["param:" + p.name, p.name, p.scale !== "categorical"]; }));
    if (head.rows.length === 0 || head.rows[0].cells.length !== cols.length) {
      clear(head);
      var tr = el("tr");
      cols.forEach(function (c) {
        var th = el("th", { "class": "sortable" + (c[2] ? " num" : ""), "data-key": c[0], title: c[1] }, c[1].length > 24 ? c[1].split(".").pop() : c[1]);
        th.addEventListener("click", function () {
          state.sort = { key: c[0], asc: state.sort.key === c[0] ? !state.sort.asc : true };
          drawTable(state.detail);
        });
        tr.appendChild(th);
      });
      head.appendChild(tr);
    }
    function key(t, k) {
      if (k === "duration") return num(t.duration) ? t.duration : null;
      if (k.indexOf("param:") === 0) { var v = t.params[k.slice(6)]; return v === undefined ? null : v; }
      return t[k] === undefined ? null : t[k];
    }
    var text = ($("trial-filter").value || "").toLowerCase(), st = $("state-filter").value;
    var rows = d.trials.filter(function (t) {
      if (st && t.state !== st) return false;
      if (!passes(t)) return false;
      if (!text) return true;
      var hay = [t.number, t.state, fmt(t.value), t.worker || ""].concat(d.parameters.map(function (p) { var v = t.params[p.name]; return v === undefined ? "inactive" : fmtParam(v); })).join(" ").toLowerCase();
      return hay.indexOf(text) >= 0;
    });
    var s = state.sort;
    rows.sort(function (a, b) {
      var x = key(a, s.key), y = key(b, s.key);
      if (x === null && y === null) return a.number - b.number;
      if (x === null) return 1;
      if (y === null) return -1;
      var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return (s.asc ? c : -c) || a.number - b.number;
    });
    clear(tbody);
    var listed = rows.slice(0, state.tableRows);
    listed.forEach(function (t) {
      var tr = el("tr", { "data-trial": t.number, "data-state": t.state });
      var a = el("a", { href: trialURL(d.summary.name, t.number) }, String(t.number));
      var td = el("td", { "class": "num" }); td.appendChild(a); tr.appendChild(td);
      // RUNNING is what the database says: nobody runs it while the study is interrupted.
      tr.appendChild(el("td", {}, t.state === "RUNNING" && d.summary.state === "INTERRUPTED" ? "interrupted" : t.state.toLowerCase()));
      tr.appendChild(el("td", { "class": "num value", "data-value": num(t.value) ? String(t.value) : "" }, fmt(t.value)));
      tr.appendChild(el("td", { "class": "num" }, String(t.epochs)));
      tr.appendChild(el("td", { "class": "num" }, seconds(key(t, "duration"))));
      tr.appendChild(el("td", {}, t.worker || "-"));
      d.parameters.forEach(function (p) {
        var v = t.params[p.name];
        // Numbers line up under their right-aligned header, as the other numeric columns do.
        tr.appendChild(el("td", { "class": "param" + (p.scale !== "categorical" ? " num" : "") + (v === undefined ? " inactive" : ""), "data-param": p.name }, v === undefined ? "inactive" : fmtParam(v)));
      });
      tbody.appendChild(tr);
    });
    if (listed.length < rows.length) {
      var more = el("button", { type: "button", id: "more-rows" }, "list " + Math.min(500, rows.length - listed.length) + " more (" + (rows.length - listed.length) + " not listed)");
      more.addEventListener("click", function () { state.tableRows += 500; drawTable(state.detail); });
      var cell = el("td", { colspan: String(cols.length) }); cell.appendChild(more);
      var last = el("tr", { "class": "more" }); last.appendChild(cell);
      tbody.appendChild(last);
    }
    $("trials-shown").textContent = rows.length + " of " + d.trials.length + " trials shown" + (listed.length < rows.length ? " (the first " + listed.length + " listed)" : "");
    $("trials-shown").setAttribute("data-value", String(rows.length));
  }

  function drawSummary(d) {
    var s = d.summary, c = s.counts;
    $("study-sub").textContent = s.direction + " " + s.metric + " · " + d.parameters.length + " parameter(s) · " + s.state.toLowerCase();
    var bv = $("best-value"), bt = $("best-trial");
    bv.textContent = fmt(s.best);
    bv.setAttribute("data-value", s.best == null ? "" : String(s.best));
    bt.textContent = s.bestTrial == null ? "–" : String(s.bestTrial);
    if (s.bestTrial == null) bt.removeAttribute("href"); else bt.setAttribute("href", trialURL(s.name, s.bestTrial));
    $("trial-count").textContent = String(s.trials);
    $("trial-count").setAttribute("data-value", String(s.trials));
    $("trial-budget").textContent = s.budgeted ? String(s.budget) : "no budget";
    $("trial-states").textContent = c.COMPLETE + " complete · " + c.PRUNED + " pruned · " + c.FAIL + " failed";
    // An interrupted study's RUNNING trials wait for `sweep resume`; nobody runs them, and
    // its workers' rows are what they were when the coordinator went away.
    var stopped = s.state === "INTERRUPTED";
    $("live-count").textContent = String(c.RUNNING + c.WAITING + c.STALE);
    $("live-states").textContent = c.RUNNING + (stopped ? " interrupted · " : " running · ") + c.WAITING + " waiting · " + c.STALE + " stale";
    var alive = stopped ? 0 : d.workers.filter(function (w) { return w.state === "ALIVE"; }).length;
    var busy = stopped ? 0 : d.workers.filter(function (w) { return w.state === "ALIVE" && w.trial !== null; }).length;
    $("worker-count").textContent = String(alive);
    $("worker-states").textContent = busy + " busy · " + (alive - busy) + " idle · " + (d.workersGone + (stopped ? d.workers.filter(function (w) { return w.state === "ALIVE"; }).length : 0)) + " gone";
    document.title = s.name + " · " + s.trials + " trials · sweep dashboard";
  }

  // The enqueue form: one field per parameter, built once; values go to the server as
  // text, which checks them against the search space and names the field it refuses.
  function drawEnqueue(d) {
    var box = $("enqueue-fields");
    if (!box.firstChild) {
      d.parameters.forEach(function (p) {
        var label = el("label", { "class": "enqueue-field" }, p.name + (p.conditional ? " (if active)" : ""));
        var input;
        if (p.scale === "categorical") {
          input = el("select", { name: p.name });
          input.appendChild(el("option", { value: "" }, p.conditional ? "inactive" : "choose"));
          p.choices.forEach(function (c, i) { input.appendChild(el("option", { value: p.choiceTexts[i] }, fmtParam(c))); });
        } else {
          input = el("input", { name: p.name, type: "text", inputmode: "decimal", autocomplete: "off", placeholder: p.summary });
        }
        input.setAttribute("data-param", p.name);
        label.appendChild(input);
        box.appendChild(label);
      });
    }
    var q = d.enqueued || [];
    $("enqueue-queued").textContent = q.length === 0 ? "" : q.length + " queued, not started yet: " + q.map(function (e) {
      return Object.keys(e.params).sort().map(function (k) { return k + "=" + fmtParam(e.params[k]); }).join(" ");
    }).join(" · ");
  }

  function enqueue(name) {
    var params = {};
    Array.prototype.forEach.call(document.querySelectorAll("#enqueue-fields [data-param]"), function (input) {
      input.classList.remove("bad");
      if (input.value.trim() !== "") params[input.getAttribute("data-param")] = input.value.trim();
    });
    var out = $("enqueue-result");
    fetch("/api/studies/" + encodeURIComponent(name) + "/enqueue", {
      method: "POST", headers: { Authorization: "Bearer " + $("token").value, "Content-Type": "application/json" },
      body: JSON.stringify({ params: params })
    }).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = JSON.parse(t); } catch (e) { j = null; }
        if (r.status === 201 && j) { out.textContent = "queued (#" + j.queued + "): " + j.note; return; }
        if (j && j.field) {
          var bad = document.querySelector("#enqueue-fields [data-param=\"" + j.field.replace(/"/g, "") + "\"]");
          if (bad) bad.classList.add("bad");
          out.textContent = r.status + ": " + j.error;
          return;
        }
        out.textContent = r.status + ": " + t;
      });
    }, function (e) { out.textContent = e.message; });
  }

  // What a page knows of a study: the cursor of its last answer, trials and attempts by number.
  function newStudyState() { return { cursor: null, trials: {}, attempts: {} }; }
  // The study JSON after the first load carries only the trials that changed since the
  // cursor (each with all its attempts); `full` answers replace everything. Resolves to the
  // answer with every trial and attempt the page knows, by number.
  function getStudy(known, name) {
    var since = known.cursor === null ? "" : "&since=" + encodeURIComponent(known.cursor);
    return getJSON("/api/study?name=" + encodeURIComponent(name) + since).then(function (d) { return mergeStudy(known, d); });
  }
  function mergeStudy(known, d) {
    if (d.full) { known.trials = {}; known.attempts = {}; }
    d.trials.forEach(function (t) { known.trials[t.number] = t; known.attempts[t.number] = []; });
    d.attempts.forEach(function (a) { known.attempts[a.trial].push(a); });
    known.cursor = d.cursor;
    var numbers = Object.keys(known.trials).map(Number).sort(function (a, b) { return a - b; });
    d.trials = numbers.map(function (n) { return known.trials[n]; });
    d.attempts = [];
    numbers.forEach(function (n) { known.attempts[n].forEach(function (a) { d.attempts.push(a); }); });
    return d;
  }

  function studyPage() {
    var name = body.getAttribute("data-study");
    ["trial-filter", "state-filter"].forEach(function (id) {
      ["input", "change"].forEach(function (kind) { $(id).addEventListener(kind, function () { if (state.detail) drawTable(state.detail); }); });
    });
    // Only the study this dashboard's coordinator runs can be stopped from here (any study
    // page offered it, and stopped that study, not the one shown).
    // (Asked again at each poll until the coordinator has a study: a page opened before it.)
    var coordinated = null;
    function askCoordinator() {
      return getJSON("/api/coordinator").then(function (c) { coordinated = c.study ? c : null; $("stop-button").hidden = c.study !== name || c.ended; }, function () {});
    }
    askCoordinator();
    $("stop-button").addEventListener("click", function () {
      if (!window.confirm("Stop the sweep of study '" + name + "'? Running trials finish their epoch and are handed back; `sweep resume " + name + "` continues it.")) return;
      fetch("/api/stop?study=" + encodeURIComponent(name), { method: "POST", headers: { Authorization: "Bearer " + $("token").value } })
        .then(function (r) {
          if (r.status === 202) lastSeen.stopAsked = true;
          return r.text().then(function (t) { $("action-result").textContent = r.status + ": " + t; });
        }, function (e) { $("action-result").textContent = e.message; });
    });
    $("enqueue-form").addEventListener("submit", function (e) { e.preventDefault(); enqueue(name); });
    var known = newStudyState();
    poll(function () {
      return getStudy(known, name).then(function (d) {
        state.detail = d;
        lastSeen.state = d.summary.state;
        if (d.summary.state !== "RUNNING") $("stop-button").hidden = true;
        else if (!coordinated) askCoordinator();
        drawSummary(d);
        drawEnqueue(d);
        var sig = JSON.stringify(d.summary.counts) + d.trials.map(function (t) { return t.state + t.epochs; }).join(",") + d.workers.map(function (w) { return w.state + w.trial; }).join(",");
        var changed = sig !== state.signature;
        state.signature = sig;
        var live = d.attempts.some(function (a) { return !a.endedAt; }) && d.summary.state === "RUNNING";
        if (!state.dragging) {
          if (changed) { drawParallel(d); drawContour(d); drawEDF(d); drawTable(d); }
          if (changed || live) drawTimeline(d); // running bars grow; else nothing moved
        }
        // The report's plots, server-drawn: again when a trial started or ended or the study's
        // state changed (the running trials' epochs show on the next), as often as their size
        // allows (4 s, or 1 ms per 20 bytes: ~15 s for the 300 KB of 2,000 trials); at once
        // when the study has ended (a dashboard of `sweep run` stops soon after).
        var now = Date.now(), key = JSON.stringify(d.summary.counts) + d.summary.state;
        if (key !== state.figuresKey && (now - state.figuresAt > state.figuresWait || d.summary.state !== "RUNNING")) {
          state.figuresAt = now;
          return fetch("/api/figures?name=" + encodeURIComponent(name), { cache: "no-store" })
            .then(function (r) { return r.ok ? r.text() : ""; })
            .then(function (html) {
              if (!html) return;
              state.figuresKey = key;
              state.figuresWait = Math.max(4000, html.length / 20);
              $("figures-box").innerHTML = html;
            });
        }
      }).then(function () { return lastSeen.state && lastSeen.state !== "RUNNING" ? "ended" : undefined; });
    }, 1000);
  }

  // ---- the trial page --------------------------------------------------------------------
  function trialPage() {
    var study = body.getAttribute("data-study"), n = body.getAttribute("data-trial");
    var link = $("study-link");
    link.setAttribute("href", studyURL(study));
    var finished = false;
    function load() {
      if (finished) return Promise.resolve("final");
      return getJSON("/api/trial?study=" + encodeURIComponent(study) + "&n=" + n).then(function (d) {
        var t = d.trial;
        finished = ["COMPLETE", "PRUNED", "FAIL"].indexOf(t.state) >= 0;
        var sub = t.state.toLowerCase() + " · " + d.metric + " " + fmt(t.value) + " · " + t.epochs + " epoch(s) · attempt " + t.attempt;
        if (t.pruneReason) sub += " · pruned: " + t.pruneReason;
        if (t.error) sub += " · error: " + t.error;
        $("trial-sub").textContent = sub;
        $("trial-sub").setAttribute("data-state", t.state);
        var pt = $("params-table").tBodies[0];
        clear(pt);
        Object.keys(t.params).sort().forEach(function (k) {
          var tr = el("tr"); tr.appendChild(el("th", {}, k)); tr.appendChild(el("td", { "class": "param" }, fmtParam(t.params[k]))); pt.appendChild(tr);
        });
        var names = [];
        d.reports.forEach(function (r) { Object.keys(r.metrics).forEach(function (k) { if (names.indexOf(k) < 0) names.push(k); }); });
        names.sort();
        var box = $("metric-curves");
        clear(box);
        if (names.length === 0) box.appendChild(el("p", { "class": "empty" }, "No epoch reported yet."));
        names.forEach(function (m, mi) {
          var pts = d.reports.filter(function (r) { return num(r.metrics[m]); });
          var W = 290, H = 210, L = 58, R = W - 12, T = 26, B = H - 36;
          var steps = pts.map(function (r) { return r.step; }), vals = pts.map(function (r) { return r.metrics[m]; });
          // Epochs are whole numbers: at least one epoch wide, ticks only on whole epochs.
          var x0 = Math.min.apply(null, steps), x = scale("linear", x0, Math.max(x0 + 1, Math.max.apply(null, steps)), L, R);
          var allTicks = x.ticks;
          x.ticks = function (k) { return allTicks(k).filter(function (v) { return v === Math.round(v); }); };
          var y = scale("linear", Math.min.apply(null, vals), Math.max.apply(null, vals), B, T);
          var svg = svgBox(W, H, m + " per epoch");
          svg.setAttribute("class", "plot metric-curve");
          svg.setAttribute("data-metric", m);
          svg.appendChild(sv("text", { "class": "slice-title", x: 8, y: 14 }, m));
          var path = "";
          pts.forEach(function (r, i) { path += (i === 0 ? "M" : "L") + x(r.step).toFixed(1) + " " + y(r.metrics[m]).toFixed(1); });
          svg.appendChild(sv("path", { d: path, "class": "metric-line", style: "stroke:" + palette[mi % palette.length] }));
          pts.forEach(function (r) {
            var c = sv("circle", { cx: x(r.step).toFixed(1), cy: y(r.metrics[m]).toFixed(1), r: r.pruned ? 4 : 2.5, "class": r.pruned ? "prune-dot" : "metric-dot", style: "fill:" + palette[mi % palette.length] });
            c.appendChild(sv("title", {}, "epoch " + r.step + " · " + m + " " + fmt(r.metrics[m]) + (r.pruned ? " · pruned" : "")));
            svg.appendChild(c);
          });
          axisBottom(svg, x, B, 4);
          axisLeft(svg, y, L, L - 7);
          box.appendChild(svg);
        });
        // A PBT member: its schedules and exploit steps (values already formatted).
        $("lineage-part").hidden = !d.lineage;
        if (d.lineage) {
          var lt = $("lineage-table").tBodies[0], et = $("exploit-table").tBodies[0];
          clear(lt); clear(et);
          [["as trained", d.lineage.schedule], ["effective", d.lineage.effectiveSchedule]].forEach(function (kind) {
            kind[1].forEach(function (s) {
              var tr = el("tr");
              [[kind[0], ""], [s.firstEpoch + "–" + s.lastEpoch, "num"], [String(s.trial), "num"], [s.params, "param"]].forEach(function (c) { tr.appendChild(el("td", { "class": c[1] }, c[0])); });
              lt.appendChild(tr);
            });
          });
          d.lineage.steps.forEach(function (s) {
            var tr = el("tr");
            [[String(s.epoch), "num"], [String(s.sourceTrial), "num"], [String(s.sourceEpoch), "num"], [s.changes, ""]].forEach(function (c) { tr.appendChild(el("td", { "class": c[1] }, c[0])); });
            et.appendChild(tr);
          });
        }
        var at = $("attempts-table").tBodies[0];
        clear(at);
        $("log-note").hidden = !d.attempts.some(function (a) { return a.log; });
        d.attempts.forEach(function (a) {
          var tr = el("tr");
          [[String(a.attempt), "num"], [a.worker, ""], [time(a.startedAt), ""], [seconds((a.endedAt || Date.now() / 1000) - a.startedAt), "num"],
           [(a.outcome || (a.endedAt ? "" : "running")).toLowerCase(), ""], [a.error || "", ""]].forEach(function (c) { tr.appendChild(el("td", { "class": c[1] }, c[0])); });
          at.appendChild(tr);
          if (a.log) {
            // The program's own output: shown as text, never as markup.
            var row = el("tr", { "class": "log-row" }), td = el("td", { colspan: "6" });
            td.appendChild(el("pre", { "class": "attempt-log", "data-attempt": String(a.attempt) }, a.log));
            row.appendChild(td);
            at.appendChild(row);
          }
        });
      });
    }
    poll(load, 2000);
  }

  // ---- the compare page ------------------------------------------------------------------
  function comparePage() {
    var names = (body.getAttribute("data-studies") || "").split("\n").filter(function (s) { return s.length > 0; });
    if (names.length === 0) { $("compare-sub").textContent = "Choose studies on the studies page, then Compare."; return; }
    var known = names.map(newStudyState);
    poll(function () {
      // A study not found (a typo in the address, one deleted since) is named; the others are
      // compared (one unknown study blanked the whole page).
      return Promise.all(names.map(function (n, i) {
        return getStudy(known[i], n).then(null, function (e) { if (e.notFound) return null; throw e; });
      })).then(function (found) {
        var missing = names.filter(function (n, i) { return !found[i]; });
        $("compare-sub").textContent = "Best value so far against trial number." + (missing.length ? " Not found: " + missing.join(", ") + "." : "");
        var ds = found.filter(function (d) { return d; });
        var W = 900, H = 360, L = 64, R = W - 160, T = 14, B = H - 44;
        var series = ds.map(function (d) {
          var best = null, pts = [];
          d.trials.slice().sort(function (a, b) { return a.number - b.number; }).forEach(function (t) {
            if (t.state !== "COMPLETE" || !num(t.value)) return;
            if (best === null || better(d.summary.direction, t.value, best)) best = t.value;
            pts.push([t.number, best]);
          });
          return pts;
        });
        var all = [].concat.apply([], series);
        var box = $("compare-box");
        clear(box);
        var tb = $("compare-table").tBodies[0];
        clear(tb);
        ds.forEach(function (d, i) {
          var s = d.summary, tr = el("tr", { "data-study": s.name });
          var a = el("a", { href: studyURL(s.name), style: "color:" + palette[i % palette.length] }, s.name);
          var td = el("td"); td.appendChild(a); tr.appendChild(td);
          [[s.metric, ""], [s.direction, ""], [String(s.trials), "num"], [fmt(s.best), "num"], [s.bestTrial == null ? "-" : String(s.bestTrial), "num"]]
            .forEach(function (c) { tr.appendChild(el("td", { "class": c[1] }, c[0])); });
          tb.appendChild(tr);
        });
        if (all.length === 0) { box.appendChild(el("p", { "class": "empty" }, "No complete trial yet.")); return; }
        var xs = all.map(function (p) { return p[0]; }), ys = all.map(function (p) { return p[1]; });
        var ylo = Math.min.apply(null, ys), yhi = Math.max.apply(null, ys);
        var x = scale("linear", 0, Math.max.apply(null, xs), L, R), y = scale(ylo > 0 && yhi / ylo > 100 ? "log" : "linear", ylo, yhi, B, T);
        var svg = svgBox(W, H, "Best value so far per study");
        svg.id = "compare-svg";
        series.forEach(function (pts, i) {
          if (pts.length === 0) return;
          var d = "";
          pts.forEach(function (p, k) { d += (k === 0 ? "M" : "L") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1); if (k + 1 < pts.length) d += "L" + x(pts[k + 1][0]).toFixed(1) + " " + y(p[1]).toFixed(1); });
          svg.appendChild(sv("path", { d: d, "class": "compare-line", style: "stroke:" + palette[i % palette.length] }));
          svg.appendChild(sv("text", { "class": "legend", x: R + 8, y: T + 14 + 16 * i, style: "fill:" + palette[i % palette.length] }, ds[i].summary.name.slice(0, 22)));
        });
        axisBottom(svg, x, B, 8);
        axisLeft(svg, y, L, L - 7);
        svg.appendChild(sv("text", { "class": "axis-title", x: (L + R) / 2, y: H - 8, "text-anchor": "middle" }, "trial number"));
        box.appendChild(svg);
      });
    }, 2000);
  }

  if (page === "studies") studiesPage();
  else if (page === "study") studyPage();
  else if (page === "trial") trialPage();
  else if (page === "compare") comparePage();
})();
"""#
}
