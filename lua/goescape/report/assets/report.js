/* The report page's script (goescape.report.html). It reads the JSON data
 * block and builds the page with createElement, textContent and
 * setAttribute only: no input is ever parsed as markup. */
(function () {
"use strict";
var errs = [];
function showError(msg) {
  errs.push(String(msg));
  var el = document.getElementById("ge-errors");
  if (el) { el.hidden = false; el.textContent = errs.join("\n"); }
}
window.addEventListener("error", function (e) { showError("error: " + e.message); });

var SVGNS = "http://www.w3.org/2000/svg";
function add(el, kids) {
  for (var i = 0; i < kids.length; i++) {
    var k = kids[i];
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) { add(el, k); continue; }
    el.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
  }
  return el;
}
function setAttrs(el, a) {
  if (!a) return el;
  for (var k in a) {
    if (!Object.prototype.hasOwnProperty.call(a, k)) continue;
    var v = a[k];
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  return el;
}
function h(tag, a) { return add(setAttrs(document.createElement(tag), a), [].slice.call(arguments, 2)); }
function s(tag, a) { return add(setAttrs(document.createElementNS(SVGNS, tag), a), [].slice.call(arguments, 2)); }
function list(x) { return Array.isArray(x) ? x : []; }

var D = JSON.parse(document.getElementById("goescape-data").textContent);
var unit = D.sample ? D.sample.unit : "count";

function human(v, u) {
  if (v === null || v === undefined) return "";
  u = u || unit;
  var a = Math.abs(v), sign = v < 0 ? "-" : "";
  if (u === "bytes") {
    var us = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (a >= 1024 && i < us.length - 1) { a /= 1024; i++; }
    return sign + (i === 0 ? a.toFixed(0) : a.toFixed(1)) + " " + us[i];
  }
  if (u === "nanoseconds") return a >= 1e9 ? sign + (a / 1e9).toFixed(2) + " s" : sign + (a / 1e6).toFixed(2) + " ms";
  if (a >= 1e6) return sign + (a / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return sign + (a / 1e3).toFixed(1) + "k";
  return sign + String(Math.round(a));
}
function pct(v, t) { return t ? (v * 100 / t) : 0; }
function base(p) { var m = String(p || "").match(/[^\/\\]*$/); return m ? m[0] : ""; }
function family(kind) {
  if (/^(moved_to_heap|escapes_to_heap|does_not_escape|leaking_|param_leaks|too_large|non_constant|closure_capture|unsafe_uintptr|escaping_uintptr|self_assignment|zero_copy)/.test(kind)) return "escape";
  if (/inlin|devirtualized/.test(kind)) return "inline";
  return "other";
}
function badge(kind, title) { return h("span", { "class": "badge " + family(kind), title: title }, kind); }
function hash(str) {
  var x = 5381;
  for (var i = 0; i < str.length; i++) x = (x * 33 + (str.charCodeAt(i) & 255)) % 4294967296;
  return x;
}
function frameColor(name) {
  var x = hash(name);
  if (/^runtime[.\/]/.test(name)) return "hsl(" + (200 + x % 20) + ",28%," + (68 + x % 10) + "%)";
  return "hsl(" + (10 + x % 35) + "," + (70 + x % 20) + "%," + (58 + Math.floor(x / 64) % 12) + "%)";
}
function bar(frac, cls) {
  return h("div", { "class": "bar " + (cls || "") },
    h("span", { style: "width:" + Math.max(0, Math.min(100, frac * 100)).toFixed(1) + "%" }));
}

var app = document.getElementById("app");
app.textContent = "";
document.getElementById("title").textContent = D.title + (D.names && D.names.profile ? " \u2014 " + D.names.profile : "");
var nav = document.getElementById("nav");
function section(id, title, sub) {
  var sec = h("section", { id: id }, h("h2", null, title), sub ? h("p", { "class": "sub" }, sub) : null);
  app.appendChild(sec);
  nav.appendChild(h("a", { href: "#" + id }, title));
  return sec;
}

/* ---------- summary ---------- */
function barTable(rows, cols) {
  var max = 0;
  rows.forEach(function (r) { max = Math.max(max, Math.abs(cols.value(r))); });
  var t = h("table", { "class": "bars" });
  rows.forEach(function (r) {
    t.appendChild(h("tr", null,
      h("td", { "class": "mono", title: cols.label(r) }, cols.label(r)),
      h("td", { style: "width:38%" }, bar(max ? Math.abs(cols.value(r)) / max : 0, cols.cls)),
      list(cols.extra).map(function (f) { return h("td", { "class": "num" }, f(r)); })));
  });
  return t;
}
(function summary() {
  var inputs = [];
  if (D.names) ["escape", "profile", "binary", "base", "trace"].forEach(function (k) {
    if (D.names[k]) inputs.push(k + ": " + D.names[k]);
  });
  var sec = section("summary", "Summary", inputs.join("   \u00b7   ") + (D.generated ? "   \u00b7   " + D.generated : ""));
  var cards = h("div", { "class": "cards" });
  function card(k, v, title) { cards.appendChild(h("div", { "class": "card", title: title }, h("div", { "class": "k" }, k), h("div", { "class": "v" }, v))); }
  if (D.sample) card(D.sample.type, human(D.total), "total of the profile");
  if (D.objects) card(D.objects.type, human(D.objects.total, "count"));
  if (D.nrows !== undefined) card(D.sample ? "costed lines" : "lines with escapes", String(D.nrows));
  if (D.log) {
    card("heap diagnostics", String(D.log.heap), "moved_to_heap + escapes_to_heap");
    card("log records", String(D.log.total), D.log.npackages + " packages");
  }
  sec.appendChild(cards);
  var grid = h("div", { "class": "grid" });
  sec.appendChild(grid);
  var extra = [function (r) { return human(r.flat); }];
  if (D.objects) extra.push(function (r) { return human(r.objects, "count") + " obj"; });
  extra.push(function (r) { return r.lines + " lines"; });
  if (list(D.by_reason).length) grid.appendChild(h("div", null, h("h3", null, "Heap by reason (" + (D.sample ? D.sample.type : "") + ")"),
    barTable(D.by_reason, { label: function (r) { return r.key; }, value: function (r) { return r.flat; }, extra: extra })));
  if (list(D.by_package).length) grid.appendChild(h("div", null, h("h3", null, "Heap by package"),
    barTable(D.by_package, { label: function (r) { return r.key; }, value: function (r) { return r.flat; }, extra: extra, cls: "blue" })));
  if (D.log) {
    grid.appendChild(h("div", null, h("h3", null, "Compiler diagnostics by kind"),
      barTable(list(D.log.kinds), { label: function (r) { return r.kind; }, value: function (r) { return r.count; },
        extra: [function (r) { return String(r.count); }, function (r) { return r.family; }], cls: "blue" })));
    grid.appendChild(h("div", null, h("h3", null, "Packages with the most heap diagnostics"),
      barTable(list(D.log.packages).slice(0, 20), { label: function (r) { return r.package || "(none)"; }, value: function (r) { return r.heap; },
        extra: [function (r) { return r.heap + " heap"; }, function (r) { return r.count + " all"; }] })));
  }
})();

/* ---------- flow graph of one diagnostic ---------- */
function hops(flow) {
  var out = [], cur = null;
  list(flow).forEach(function (st) {
    if (st.type === "flow") {
      var m = /^([&*]*)(.*)$/.exec(st.src || "");
      cur = { src: m[2], derefs: m[1], dst: String(st.dst || "").replace(/^[&*]*/, ""), from: [] };
      out.push(cur);
    } else if (st.type === "from" && cur) cur.from.push(st);
  });
  return out;
}
var graphSeq = 0;
function flowGraph(d) {
  var hs = hops(d.flow);
  if (!hs.length) return null;
  var names = [], index = {}, edges = [];
  function node(n) { if (!(n in index)) { index[n] = names.length; names.push(n); } return index[n]; }
  hs.forEach(function (x) {
    var reasons = [];
    x.from.forEach(function (f) { if (f.reason && reasons.indexOf(f.reason) < 0) reasons.push(f.reason); });
    edges.push({ a: node(x.src), b: node(x.dst), label: (x.derefs ? x.derefs + " " : "") + reasons.join(", "),
      tip: x.from.map(function (f) { return (f.expr || "") + " (" + (f.reason || "") + ") at " + base(f.file) + ":" + (f.line || 0); }).join("\n") });
  });
  var layer = names.map(function () { return 0; });
  for (var it = 0; it < names.length; it++) {
    var changed = false;
    edges.forEach(function (e) { if (e.a !== e.b && layer[e.b] < layer[e.a] + 1 && layer[e.a] + 1 < names.length) { layer[e.b] = layer[e.a] + 1; changed = true; } });
    if (!changed) break;
  }
  var cols = [], pos = [];
  names.forEach(function (n, i) { var l = layer[i]; cols[l] = cols[l] || []; pos[i] = { col: l, row: cols[l].length }; cols[l].push(i); });
  function label(n) { return n.length > 34 ? n.slice(0, 32) + "\u2026" : n; }
  var NW = 0;
  names.forEach(function (n) { NW = Math.max(NW, label(n).length * 7 + 20); });
  NW = Math.max(NW, 70);
  var LW = 0;
  edges.forEach(function (e) { LW = Math.max(LW, Math.min(e.label.length, 26)); });
  var GAP = Math.max(90, LW * 6.8 + 36), RH = 54, NH = 28, PAD = 14;
  var W = PAD * 2 + cols.length * NW + (cols.length - 1) * GAP;
  var maxRows = 0; cols.forEach(function (c) { maxRows = Math.max(maxRows, c.length); });
  var H = PAD * 2 + maxRows * RH;
  var id = "arrow" + (++graphSeq);
  var g = s("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "escape flow graph" },
    s("defs", null, s("marker", { id: id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#6b7280" }))));
  function xy(i) { return { x: PAD + pos[i].col * (NW + GAP), y: PAD + pos[i].row * RH + (maxRows - cols[pos[i].col].length) * RH / 2 }; }
  edges.forEach(function (e) {
    var a = xy(e.a), b = xy(e.b), x1 = a.x + NW, y1 = a.y + NH / 2, x2 = b.x, y2 = b.y + NH / 2, d;
    if (e.a === e.b) d = "M" + (a.x + NW / 2) + "," + a.y + " c 30,-30 60,-10 " + (NW / 2 - 4) + "," + 10;
    else if (x2 <= x1) { x2 = b.x + NW / 2; y2 = b.y + NH; d = "M" + (a.x + NW / 2) + "," + (a.y + NH) + " C" + (a.x + NW / 2) + "," + (a.y + NH + 40) + " " + x2 + "," + (y2 + 40) + " " + x2 + "," + y2; }
    else d = "M" + x1 + "," + y1 + " C" + (x1 + GAP / 2) + "," + y1 + " " + (x2 - GAP / 2) + "," + y2 + " " + x2 + "," + y2;
    g.appendChild(s("g", null, s("title", { text: e.tip }),
      s("path", { d: d, fill: "none", stroke: "#6b7280", "stroke-width": 1.4, "marker-end": "url(#" + id + ")" }),
      s("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 5, "text-anchor": "middle", fill: "#8e2a17", text: e.label.length > 26 ? e.label.slice(0, 25) + "\u2026" : e.label })));
  });
  names.forEach(function (n, i) {
    var p = xy(i), heap = n === "{heap}", res = /^~[rR]\d+$/.test(n), store = n.charAt(0) === "{" && !heap;
    g.appendChild(s("g", { "class": "fnode" }, s("title", { text: n }),
      s("rect", { x: p.x, y: p.y, width: NW, height: NH, rx: heap ? 12 : 6,
        fill: heap ? "#f8d3ca" : res ? "#d9ead3" : store ? "#fff" : "#eef3f9",
        stroke: heap ? "#c2412d" : "#8193a8", "stroke-dasharray": store ? "4 3" : null }),
      s("text", { x: p.x + NW / 2, y: p.y + NH / 2 + 4, "text-anchor": "middle", fill: "#1d2330", text: label(n) })));
  });
  return h("div", { "class": "flowgraph" }, g);
}
function flowChain(d) {
  var ol = h("ol", { "class": "flowchain" });
  list(d.flow).forEach(function (st) {
    if (st.type === "flow") ol.appendChild(h("li", { "class": "hop" }, (st.dst || "") + " \u2190 " + (st.src || "")));
    else if (st.type === "from") ol.appendChild(h("li", { "class": "from" }, "from " + (st.expr || "") + " ",
      h("span", { "class": "why" }, "(" + (st.reason || "") + ")"), st.file ? " at " + base(st.file) + ":" + st.line + ":" + st.col : ""));
    else ol.appendChild(h("li", { "class": "from" }, st.expr || ""));
  });
  return ol;
}
function adviceBox(a) {
  if (!a) return null;
  return h("div", { "class": "advice" }, h("div", null, h("b", null, a.title || "")),
    h("div", null, h("b", null, "Why: "), a.why || ""), h("div", null, h("b", null, "Fix: "), a.fix || ""));
}

/* ---------- hotspots ---------- */
var rowsByRank = {};
var srcIndex = {};
list(D.sources).forEach(function (f, i) { srcIndex[f.file] = i; });
function detail(r) {
  var td = h("td", { colspan: 9 });
  if (!list(r.diags).length) td.appendChild(h("p", { "class": "empty" }, "No compiler diagnostic on this line (runtime or library code, or a log from another build)."));
  list(r.diags).forEach(function (d) {
    var heap = d.kind === "moved_to_heap" || d.kind === "escapes_to_heap";
    var box = h("div", { "class": "diag" + (heap ? " heap" : "") },
      h("div", null, badge(d.kind), " ", h("span", { "class": "msg" }, d.message || ""), " ",
        h("span", { "class": "sub" }, base(d.file) + ":" + d.line + ":" + d.col + (d.func ? "  in " + d.func : ""))));
    if (list(d.flow).length) {
      box.appendChild(h("div", { "class": "sub" }, "-m=2 flow:"));
      box.appendChild(flowChain(d));
      var gr = flowGraph(d);
      if (gr) box.appendChild(gr);
    }
    if (d.advice && !r.advice) box.appendChild(adviceBox(d.advice));
    td.appendChild(box);
  });
  if (r.advice) td.appendChild(adviceBox(r.advice));
  if (r.file in srcIndex) td.appendChild(h("p", null, h("a", { href: "#src-" + srcIndex[r.file] + "-" + r.line }, "Show in annotated source")));
  return h("tr", { "class": "detail", id: "detail-" + r.rank }, td);
}
function toggle(r, open) {
  var tr = rowsByRank[r.rank];
  if (!tr) return;
  var next = tr.nextSibling, isOpen = next && next.classList && next.classList.contains("detail");
  if (open === undefined) open = !isOpen;
  if (open && !isOpen) { tr.parentNode.insertBefore(detail(r), next); tr.classList.add("open"); }
  if (!open && isOpen) { next.parentNode.removeChild(next); tr.classList.remove("open"); }
}
if (D.rows !== undefined || (!D.timeline && !D.retain)) (function hot() {
  var rows = list(D.rows);
  var costed = !!D.sample;
  var sec = section("hotspots", costed ? "Hotspots" : "Heap diagnostics by line",
    costed ? "Allocating lines by " + D.sample.type + " (as go tool pprof -top -lines), top " + rows.length + " of " + D.nrows + ". Click a row for the compiler's reasons, the -m=2 flow and advice; click a heading to sort."
      : "Lines with escape diagnostics, most first (no profile given).");
  var filter = h("input", { type: "search", id: "filter", placeholder: "filter: file, function, kind, message\u2026" });
  var onlyDiag = h("input", { type: "checkbox", id: "onlydiag" });
  var count = h("span", { "class": "sub", id: "hotcount" });
  sec.appendChild(h("div", { "class": "toolbar" }, filter, h("label", null, onlyDiag, " only lines with heap diagnostics"), count));
  var cols = costed ? [["rank", "#", 1], ["flat", "flat", 1], ["flatp", "flat %", 1], ["cum", "cum", 1], ["objects", "objects", 1], ["loc", "location", 0], ["func", "function", 0], ["reason", "reason", 0], ["ndiag", "diags", 1]]
    : [["rank", "#", 1], ["count", "escapes", 1], ["loc", "location", 0], ["reason", "reason", 0], ["ndiag", "diags", 1]];
  var thead = h("tr");
  var table = h("table", { id: "hot" }, h("thead", null, thead));
  var tbody = h("tbody");
  table.appendChild(tbody);
  sec.appendChild(table);
  var sortKey = "rank", asc = true;
  function val(r, k) {
    if (k === "flatp") return r.flat;
    if (k === "loc") return base(r.file) + ":" + ("0000000" + r.line).slice(-7);
    if (k === "ndiag") return list(r.diags).length;
    if (k === "func") return r.func || "";
    if (k === "reason") return r.reason || "";
    return r[k] === undefined ? -Infinity : r[k];
  }
  cols.forEach(function (c) {
    thead.appendChild(h("th", { "data-key": c[0], "class": c[2] ? "num" : "", onclick: function () {
      if (sortKey === c[0]) asc = !asc; else { sortKey = c[0]; asc = c[0] === "rank" || !c[2]; }
      draw();
    } }, c[1]));
  });
  function text(r) {
    var t = [r.file, r.func, r.reason, r.line];
    list(r.diags).forEach(function (d) { t.push(d.kind, d.message, d.subject); });
    return t.join(" ").toLowerCase();
  }
  rows.forEach(function (r) { r._text = text(r); });
  function draw() {
    var q = filter.value.toLowerCase().trim(), only = onlyDiag.checked;
    var shown = rows.filter(function (r) { return (!q || r._text.indexOf(q) >= 0) && (!only || r.heap); });
    shown.sort(function (a, b) {
      var x = val(a, sortKey), y = val(b, sortKey);
      var c = x < y ? -1 : x > y ? 1 : a.rank - b.rank;
      return asc ? c : -c;
    });
    [].forEach.call(thead.children, function (th) {
      th.classList.toggle("sorted", th.getAttribute("data-key") === sortKey);
      th.classList.toggle("asc", asc);
    });
    tbody.textContent = "";
    rowsByRank = {};
    shown.forEach(function (r) {
      var loc = h("td", { "class": "loc", title: r.file + ":" + r.line }, base(r.file) + ":" + r.line);
      var reason = h("td", null, r.reason ? h("span", { "class": "badge " + (r.heap ? "reason" : "") }, r.reason) : "");
      var tds = costed ? [
        h("td", { "class": "num" }, r.rank), h("td", { "class": "num" }, human(r.flat)),
        h("td", { "class": "num" }, pct(r.flat, D.total).toFixed(1) + "%", h("span", { "class": "pct" }, h("span", { style: "width:" + Math.min(100, Math.abs(pct(r.flat, D.total)) * 4).toFixed(1) + "%" }))),
        h("td", { "class": "num" }, human(r.cum)), h("td", { "class": "num" }, r.objects === undefined ? "" : human(r.objects, "count")),
        loc, h("td", { "class": "fn", title: r.func || "" }, r.func || ""), reason, h("td", { "class": "num" }, list(r.diags).length)]
        : [h("td", { "class": "num" }, r.rank), h("td", { "class": "num" }, r.count), loc, reason, h("td", { "class": "num" }, list(r.diags).length)];
      var tr = h("tr", { "class": "row", "data-rank": r.rank, onclick: function () { toggle(r); } }, tds);
      rowsByRank[r.rank] = tr;
      tbody.appendChild(tr);
    });
    count.textContent = shown.length + " of " + rows.length + " rows";
  }
  filter.addEventListener("input", draw);
  onlyDiag.addEventListener("change", draw);
  draw();
  hot.rows = rows;
  window.goescape = { expand: function (rank) { rows.forEach(function (r) { if (r.rank === rank) toggle(r, true); }); } };
})();

/* ---------- annotated source ---------- */
if (list(D.sources).length) (function () {
  var sec = section("source", "Annotated source", "The costliest files: each costed line with its context, its cost and the compiler's diagnostics (like go tool pprof -list and the editor's compiler details).");
  list(D.sources).forEach(function (f, fi) {
    var t = h("table", { "class": "src" });
    var prev = 0;
    list(f.lines).forEach(function (l) {
      if (prev && l.line > prev + 1) t.appendChild(h("tr", { "class": "gap" }, h("td", { colspan: 5 }, "\u22ee")));
      prev = l.line;
      var ann = h("td", { "class": "ann" });
      list(l.diags).forEach(function (d) { ann.appendChild(badge(d.kind, d.message)); ann.appendChild(h("span", { "class": "sub" }, " " + (d.message || "") + " ")); });
      t.appendChild(h("tr", { id: "src-" + fi + "-" + l.line, "class": l.flat ? "hotline" : "" },
        h("td", { "class": "cost" }, l.flat ? human(l.flat) : ""),
        h("td", { "class": "cost sub" }, l.objects ? human(l.objects, "count") : ""),
        h("td", { "class": "ln" }, l.line), h("td", null, l.text === undefined ? "" : l.text), ann));
    });
    sec.appendChild(h("details", { "class": "src", open: fi < 2 ? "" : null },
      h("summary", null, f.file + "  \u2014  " + human(f.flat)), t));
  });
})();

/* ---------- flame graph (icicle) ---------- */
if (D.flame) (function () {
  var F = D.flame, names = list(F.names);
  function build(a, parent) {
    var n = { name: names[a[0]], v: a[1], p: parent, c: [] };
    list(a[2]).forEach(function (k) { n.c.push(build(k, n)); });
    return n;
  }
  var root = build(F.root, null);
  var sec = section("flame", "Flame graph", "Call stacks of the profile (" + (D.sample ? D.sample.type : "") + "), root on top; width = share of the total. Frames under " + ((F.min || 0) * 100).toFixed(2) + "% left out (" + (F.dropped || 0) + "). Click to zoom, search to highlight.");
  var search = h("input", { type: "search", id: "flamesearch", placeholder: "highlight frames matching\u2026" });
  var reset = h("button", { type: "button" }, "Reset zoom");
  var info = h("div", { id: "flameinfo" });
  sec.appendChild(h("div", { "class": "toolbar" }, search, reset));
  sec.appendChild(info);
  var holder = h("div", { id: "flamegraph" });
  sec.appendChild(holder);
  var W = 1280, FH = 18, zoom = root;
  function depth(n) { var d = 0; n.c.forEach(function (k) { d = Math.max(d, depth(k)); }); return d + 1; }
  function draw() {
    var q = search.value.trim().toLowerCase();
    var anc = [], a = zoom;
    while (a) { anc.unshift(a); a = a.p; }
    var H = (anc.length - 1 + depth(zoom)) * FH + 4;
    var g = s("svg", { viewBox: "0 0 " + W + " " + H, height: H, preserveAspectRatio: "none" });
    var tot = Math.abs(zoom.v) || 1, rootTot = Math.abs(root.v) || 1;
    function frame(n, x, w, d, faded) {
      var label = n.name + " (" + human(n.v) + ", " + pct(Math.abs(n.v), rootTot).toFixed(2) + "%)";
      var match = q && n.name.toLowerCase().indexOf(q) >= 0;
      var el = s("g", { "class": "frame" }, s("title", { text: label }),
        s("rect", { x: x.toFixed(2), y: d * FH, width: Math.max(w - 0.5, 0.5).toFixed(2), height: FH - 1, rx: 2,
          fill: n === root ? "#d6d2c4" : frameColor(n.name), "class": match ? "match" : null, opacity: faded ? 0.55 : 1 }));
      var chars = Math.floor((w - 6) / 6.7);
      if (chars >= 3) el.appendChild(s("text", { x: (x + 3).toFixed(2), y: d * FH + FH - 5,
        text: n.name.length > chars ? n.name.slice(0, chars - 1) + "\u2026" : n.name }));
      el.addEventListener("click", function () { zoom = n; draw(); });
      el.addEventListener("mouseover", function () { info.textContent = label; });
      g.appendChild(el);
    }
    anc.forEach(function (n, i) { if (n !== zoom) frame(n, 0, W, i, true); });
    (function walk(n, x, d) {
      var w = Math.abs(n.v) / tot * W;
      if (w < 0.3) return;
      frame(n, x, w, d, false);
      var cx = x;
      n.c.forEach(function (k) { walk(k, cx, d + 1); cx += Math.abs(k.v) / tot * W; });
    })(zoom, 0, anc.length - 1);
    holder.textContent = "";
    holder.appendChild(g);
  }
  reset.addEventListener("click", function () { zoom = root; draw(); });
  search.addEventListener("input", draw);
  draw();
})();

/* ---------- uncosted ---------- */
if (list(D.uncosted).length) (function () {
  var sec = section("uncosted", "Heap diagnostics with no cost", D.nuncosted + " heap diagnostics in the profiled files whose lines cost nothing in this profile" + (D.nuncosted > D.uncosted.length ? " (first " + D.uncosted.length + ")" : "") + ".");
  var t = h("table", null, h("thead", null, h("tr", null, h("th", null, "location"), h("th", null, "kind"), h("th", null, "message"), h("th", null, "reason"))));
  var tb = h("tbody");
  D.uncosted.forEach(function (d) {
    tb.appendChild(h("tr", null, h("td", { "class": "mono", title: d.file }, base(d.file) + ":" + d.line), h("td", null, badge(d.kind)),
      h("td", { "class": "mono" }, d.message || ""), h("td", null, d.advice || "")));
  });
  t.appendChild(tb);
  sec.appendChild(h("details", null, h("summary", null, "Show " + D.uncosted.length + " diagnostics"), t));
})();

/* ---------- diff ---------- */
if (D.diff) (function () {
  var sec = section("diff", "Diff", "Against the base " + (D.names && D.names.base ? D.names.base : "") + ".");
  var E = D.diff.escape;
  if (E) {
    var cards = h("div", { "class": "cards" });
    [["new heap", "new_heap"], ["gone heap", "gone_heap"], ["new escapes", "new_escapes"], ["lost inlining", "lost_inline"], ["added", "added"], ["removed", "removed"], ["changed", "changed"]].forEach(function (c) {
      cards.appendChild(h("div", { "class": "card" }, h("div", { "class": "k" }, c[0]), h("div", { "class": "v" }, String(E.summary[c[1]] || 0))));
    });
    sec.appendChild(h("h3", null, "Escape logs"));
    sec.appendChild(cards);
    [["added", "plus"], ["removed", "minus"], ["changed", ""]].forEach(function (k) {
      var rows = list(E[k[0]]);
      if (!rows.length) return;
      var t = h("table", { id: "diff-" + k[0] }, h("thead", null, h("tr", null, h("th", null, "category"), h("th", null, "kind"), h("th", null, "location"), h("th", null, "message"), h("th", null, "before"))));
      rows.forEach(function (e) {
        t.appendChild(h("tr", { "class": k[1] }, h("td", null, e.category), h("td", null, badge(e.kind)),
          h("td", { "class": "mono", title: e.file }, base(e.file) + ":" + e.line), h("td", { "class": "mono" }, e.message || ""), h("td", { "class": "mono sub" }, e.before || "")));
      });
      sec.appendChild(h("details", { open: k[0] !== "changed" ? "" : null }, h("summary", null, k[0] + " (" + E.more[k[0]] + ")"), t));
    });
  }
  var P = D.diff.profile;
  if (P) {
    sec.appendChild(h("h3", null, "Profiles: lines that changed most"));
    sec.appendChild(h("p", { "class": "sub" }, "base total " + human(P.base_total) + ", change " + (P.total >= 0 ? "+" : "") + human(P.total)));
    var max = 0;
    list(P.rows).forEach(function (r) { max = Math.max(max, Math.abs(r.flat)); });
    var t = h("table", { id: "diff-profile" }, h("thead", null, h("tr", null, h("th", { "class": "num" }, "change"), h("th", null, ""), h("th", null, "location"), h("th", null, "function"))));
    list(P.rows).forEach(function (r) {
      t.appendChild(h("tr", null, h("td", { "class": "num " + (r.flat > 0 ? "plus" : "minus") }, (r.flat > 0 ? "+" : "") + human(r.flat)),
        h("td", { style: "width:22%" }, bar(max ? Math.abs(r.flat) / max : 0, r.flat < 0 ? "neg" : "")),
        h("td", { "class": "mono", title: r.file }, base(r.file) + ":" + r.line), h("td", { "class": "mono" }, r.func || "")));
    });
    sec.appendChild(t);
  }
})();

/* ---------- fragment: #expand=N[,M] opens rows; #src-F-L marks a line ---------- */
function onHash() {
  var hs = decodeURIComponent(location.hash.slice(1));
  var m = /(?:^|&)expand=([0-9,]+|all)/.exec(hs);
  if (m) {
    var want = m[1] === "all" ? list(D.rows).map(function (r) { return r.rank; }) : m[1].split(",").map(Number);
    if (window.goescape) want.forEach(function (n) { window.goescape.expand(n); });
    var first = document.getElementById("detail-" + want[0]);
    if (!/noscroll/.test(hs) && first && first.previousSibling) first.previousSibling.scrollIntoView();
  }
  var t = /^src-\d+-\d+$/.test(hs) ? document.getElementById(hs) : null;
  if (t) {
    var det = t.closest("details"); if (det) det.open = true;
    [].forEach.call(document.querySelectorAll("tr.target"), function (e) { e.classList.remove("target"); });
    t.classList.add("target"); t.scrollIntoView({ block: "center" });
  }
}
window.addEventListener("hashchange", onHash);
onHash();
document.body.setAttribute("data-ready", "1");
app.appendChild(h("div", { id: "ge-ready", hidden: "" }));
})();
