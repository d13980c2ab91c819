/* The report's trace timeline (goescape.report.timeline): puts the SVG that
 * goescape drew (in <template id="ge-timeline">) into its section, names
 * its lanes, and on hover shows a span's fields and rows, or the values of
 * the bucket under the pointer. Everything from the trace goes into the page
 * with textContent only. */
(function () {
"use strict";
var D = JSON.parse(document.getElementById("goescape-data").textContent);
var T = D.timeline, tpl = document.getElementById("ge-timeline");
if (!T || !tpl) return;
var SVGNS = "http://www.w3.org/2000/svg";
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function dur(ns) {
  var a = Math.abs(ns);
  if (a < 1e3) return ns + " ns";
  if (a < 1e6) return (ns / 1e3).toFixed(1) + " \u00b5s";
  if (a < 1e9) return (ns / 1e6).toFixed(2) + " ms";
  return (ns / 1e9).toFixed(3) + " s";
}
function at(ns) { return dur(ns - T.from); }
function bytes(v) {
  var us = ["bytes", "KiB", "MiB", "GiB", "TiB"], i = 0, a = v;
  while (a >= 1024 && i < us.length - 1) { a /= 1024; i++; }
  return (i ? a.toFixed(1) : String(a)) + " " + us[i];
}

var app = document.getElementById("app"), nav = document.getElementById("nav");
var sec = el("section");
sec.id = "timeline";
sec.appendChild(el("h2", null, "Timeline"));
sec.appendChild(el("p", "sub", "From the execution trace" + (D.names && D.names.trace ? " " + D.names.trace : "") +
  ": heap (blue: its range in each of " + T.buckets + " slices of time) and goal (dashed), GC cycles (shaded), " +
  "stop-the-world pauses, goroutines running (green) and runnable (orange), user regions and logs. " +
  "Hover a band or marker for its times, or a chart for its values."));
var cards = el("div", "cards");
function card(k, v) { var c = el("div", "card"); c.appendChild(el("div", "k", k)); c.appendChild(el("div", "v", v)); cards.appendChild(c); }
var tot = T.totals || {};
card("duration", dur(T.to - T.from));
if (tot.peak_heap !== undefined && tot.peak_heap !== null) card("peak heap", bytes(tot.peak_heap));
card("GC cycles", String(tot.gc_cycles || 0));
card("stop-the-world", String(tot.stw || 0));
card("goroutines", String(tot.goroutines || 0));
if (tot.regions) card("regions", String(tot.regions));
if (tot.logs) card("logs", String(tot.logs));
sec.appendChild(cards);
var wrap = el("div", "tl-wrap");
wrap.appendChild(document.importNode(tpl.content, true));
var svg = wrap.querySelector("svg");
var tip = el("div", "tl-tip");
tip.hidden = true;
wrap.appendChild(tip);
sec.appendChild(wrap);
var summary = document.getElementById("summary");
app.insertBefore(sec, summary ? summary.nextSibling : app.firstChild);
var link = el("a", null, "Timeline");
link.setAttribute("href", "#timeline");
nav.insertBefore(link, nav.children[1] || null);

[].forEach.call(svg.querySelectorAll(".tl-name"), function (t) {
  var l = T.lanes[Number(t.getAttribute("data-lane")) - 1];
  if (!l) return;
  t.textContent = l.name.length > 22 ? l.name.slice(0, 21) + "\u2026" : l.name;
  var title = document.createElementNS(SVGNS, "title");
  title.textContent = l.name;
  t.appendChild(title);
});

var cursor = svg.querySelector(".tl-cursor");
var x0 = Number(svg.getAttribute("data-x0")), pw = Number(svg.getAttribute("data-pw"));
function show(lines, rows, e) {
  tip.textContent = "";
  lines.forEach(function (l, i) { tip.appendChild(el("div", i ? null : "tl-head", l)); });
  if (rows && rows.length) {
    var t = el("table");
    rows.forEach(function (r) {
      var tr = el("tr");
      (Array.isArray(r) ? r : [r]).forEach(function (c) { tr.appendChild(el("td", null, c)); });
      t.appendChild(tr);
    });
    tip.appendChild(t);
  }
  tip.hidden = false;
  var b = wrap.getBoundingClientRect();
  var x = e.clientX - b.left + 14, y = e.clientY - b.top + 14;
  if (x + tip.offsetWidth > b.width) x = Math.max(0, e.clientX - b.left - tip.offsetWidth - 14);
  tip.style.left = x + "px";
  tip.style.top = y + "px";
}
function hide() { tip.hidden = true; if (cursor) cursor.setAttribute("visibility", "hidden"); }
function spanLines(s) {
  var l = [s.label];
  l.push(at(s.start) + (s.end !== s.start ? " \u2192 " + at(s.end) + " (" + dur(s.end - s.start) + ")" : ""));
  if (s.n > 1) l.push(s.n + " merged (closer than a slice)" + (s.busy !== undefined ? ", " + dur(s.busy) + " in all" : ""));
  if (s.g !== undefined) l.push("goroutine " + s.g + (s.task ? ", task " + s.task : ""));
  if (s.seq !== undefined) l.push("gc_seq " + s.seq);
  if (s.open_start) l.push("begun before the trace");
  if (s.open_end) l.push("still open at its end");
  return l;
}
// The column position k of bucket i (1-based) in a series, or of the last
// bucket before it with samples: -1 when none.
function find(c, i) {
  var lo = 0, hi = c.i.length - 1, k = -1;
  while (lo <= hi) { var mid = (lo + hi) >> 1; if (c.i[mid] <= i) { k = mid; lo = mid + 1; } else hi = mid - 1; }
  return k;
}
function bucketLines(i) {
  var a = T.edges[i - 1], b = T.edges[i], w = b - a, l = [at(a) + " \u2192 " + at(b)];
  var k = find(T.heap, i);
  if (k >= 0 && T.heap.i[k] === i) l.push("heap " + bytes(T.heap.min[k]) + (T.heap.max[k] !== T.heap.min[k] ? " \u2013 " + bytes(T.heap.max[k]) : "") + " (" + T.heap.n[k] + " samples)");
  else if (k >= 0) l.push("heap " + bytes(T.heap.last[k]) + " (no sample here)");
  var g = find(T.goal, i);
  if (g >= 0) l.push("goal " + bytes(T.goal.last[g]));
  var G = T.goroutines;
  if (w > 0) {
    l.push("running " + (G.running[i - 1] / w).toFixed(2) + " on average, " + G.running_max[i - 1] + " at most");
    l.push("runnable " + (G.runnable[i - 1] / w).toFixed(2) + " on average, " + G.runnable_max[i - 1] + " at most");
  }
  return l;
}
svg.addEventListener("mousemove", function (e) {
  var t = e.target, s = t.getAttribute("data-s");
  if (s) {
    var sp = T.spans[Number(s) - 1];
    if (cursor) cursor.setAttribute("visibility", "hidden");
    if (sp) show(spanLines(sp), sp.rows, e);
    return;
  }
  if (!t.getAttribute("data-area")) { hide(); return; }
  var pt = svg.createSVGPoint();
  pt.x = e.clientX; pt.y = e.clientY;
  var p = pt.matrixTransform(svg.getScreenCTM().inverse());
  var i = Math.min(T.buckets, Math.max(1, Math.floor((p.x - x0) / pw * T.buckets) + 1));
  if (cursor) { cursor.setAttribute("x1", p.x); cursor.setAttribute("x2", p.x); cursor.setAttribute("visibility", "visible"); }
  show(bucketLines(i), null, e);
});
svg.addEventListener("mouseleave", hide);
window.goescapeTimeline = { spanLines: spanLines, bucketLines: bucketLines };
document.body.setAttribute("data-timeline", "1");
})();
