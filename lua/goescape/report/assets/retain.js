/* The report's retention section (goescape.report.retain_html): the heap
 * dump's dominator tree, a node's children drawn only when it is opened
 * (from the page's data: the nodes that retain most, breadth first), the
 * selected node's shortest path from a root as breadcrumbs, and the
 * allocation sites. Everything from the dump goes into the page with
 * textContent only. #retain-open=N opens the tree's first N levels. */
(function () {
"use strict";
var D = JSON.parse(document.getElementById("goescape-data").textContent);
var R = D.retain;
if (!R) return;
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function bytes(v) {
  var us = ["bytes", "KiB", "MiB", "GiB", "TiB"], i = 0, a = v;
  while (a >= 1024 && i < us.length - 1) { a /= 1024; i++; }
  return (i ? a.toFixed(1) : String(a)) + " " + us[i];
}
function base(p) { return String(p || "").replace(/^.*[\/\\]/, ""); }

var nodes = R.nodes || [], kids = {};
nodes.forEach(function (n, i) { (kids[n.p] = kids[n.p] || []).push(i + 1); });

var app = document.getElementById("app"), nav = document.getElementById("nav");
var sec = el("section");
sec.id = "retention";
sec.appendChild(el("h2", null, "Retention"));
sec.appendChild(el("p", "sub", "From the heap dump" + (R.name ? " " + R.name : "") +
  (R.info && R.info.go_version ? " (" + R.info.go_version + ")" : "") +
  ": the dominator tree. An object retains its own bytes and those of every object only it keeps alive. " +
  "Click a row to open its children (the " + nodes.length + " objects that retain most are in this report) " +
  "and to see its shortest path from a root."));
var cards = el("div", "cards");
function card(k, v) { var c = el("div", "card"); c.appendChild(el("div", "k", k)); c.appendChild(el("div", "v", v)); cards.appendChild(c); }
var info = R.info || {};
card("reachable", bytes(info.reachable_bytes || 0));
card("reachable objects", String(info.reachable_objects || 0));
card("objects in the dump", String(info.objects || 0));
card("first level", String(R.ntop || 0));
sec.appendChild(cards);

var crumbs = el("div", "rt-path");
crumbs.id = "retain-path";
crumbs.appendChild(el("span", "sub", "Path from a root: click a row."));
sec.appendChild(crumbs);

function showPath(n) {
  crumbs.textContent = "";
  var p = n.path || [];
  if (!p.length) { crumbs.appendChild(el("span", "sub", "No root reaches it.")); return; }
  p.forEach(function (label, i) {
    if (i) crumbs.appendChild(el("span", "rt-sep", " \u2192 "));
    crumbs.appendChild(el("span", i === 0 ? "rt-step rt-root" : "rt-step", label));
  });
  if (n.why) {
    var w = el("div", "rt-why", n.why);
    w.id = "retain-why";
    crumbs.appendChild(w);
  }
}

var tree = el("div", "rt-tree");
tree.id = "retain-tree";
sec.appendChild(tree);

function label(n) {
  var parts = [];
  if (n.p === 0 && n.path && n.path.length) parts.push("held by " + n.path[0]);
  if (n.t) parts.push(n.t);
  if (n.at) parts.push(n.at + (n.fn ? " " + n.fn : ""));
  if (n.pattern) parts.push(n.pattern.replace(/_/g, " "));
  return parts.join("  \u00b7  ");
}
function more(count, depth) {
  var m = el("div", "rt-more sub", "\u2026 " + count + " more not in this report");
  m.style.paddingLeft = (depth * 18 + 22) + "px";
  return m;
}
function row(i, depth) {
  var n = nodes[i - 1];
  var wrap = el("div", "rt-item");
  var r = el("div", "rt-node");
  r.setAttribute("data-node", String(i));
  r.style.paddingLeft = (depth * 18) + "px";
  var has = (kids[i] || []).length > 0;
  r.appendChild(el("span", "rt-toggle", has ? "\u25b8" : (n.c ? "\u2026" : "\u00b7")));
  r.appendChild(el("span", "rt-ret num", bytes(n.r)));
  r.appendChild(el("span", "rt-size num sub", bytes(n.s)));
  r.appendChild(el("span", "rt-what", label(n)));
  r.appendChild(el("span", "rt-addr mono sub", "0x" + n.a.toString(16)));
  wrap.appendChild(r);
  var box = null;
  function open(yes) {
    if (yes === undefined) yes = !box;
    if (yes && !box && has) {
      box = el("div", "rt-kids");
      kids[i].forEach(function (k) { box.appendChild(row(k, depth + 1)); });
      if (n.c > kids[i].length) box.appendChild(more(n.c - kids[i].length, depth + 1));
      wrap.appendChild(box);
      r.classList.add("open");
      r.firstChild.textContent = "\u25be";
    } else if (!yes && box) {
      wrap.removeChild(box);
      box = null;
      r.classList.remove("open");
      r.firstChild.textContent = "\u25b8";
    }
  }
  wrap.rtOpen = open;
  r.addEventListener("click", function () { open(); showPath(n); });
  return wrap;
}
(kids[0] || []).forEach(function (i) { tree.appendChild(row(i, 0)); });
if ((R.ntop || 0) > (kids[0] || []).length) tree.appendChild(more(R.ntop - (kids[0] || []).length, 0));

if ((R.sites || []).length) {
  sec.appendChild(el("h3", null, "By allocation site"));
  var t = el("table", "rt-sites");
  t.id = "retain-sites";
  var head = el("tr");
  ["retained", "live", "objects", "location", "function", "escape"].forEach(function (k) { head.appendChild(el("th", null, k)); });
  var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
  var tb = el("tbody");
  R.sites.forEach(function (s) {
    var tr = el("tr");
    tr.appendChild(el("td", "num", bytes(s.retained)));
    tr.appendChild(el("td", "num", bytes(s.live_bytes)));
    tr.appendChild(el("td", "num", String(s.live_objects)));
    var loc = el("td", "mono", base(s.file) + ":" + s.line);
    loc.title = s.file;
    tr.appendChild(loc);
    tr.appendChild(el("td", "mono", s.func));
    tr.appendChild(el("td", null, s.escape ? s.escape.message + (s.escape.title ? " (" + s.escape.title + ")" : "") : ""));
    tb.appendChild(tr);
  });
  t.appendChild(tb);
  sec.appendChild(t);
}

var summary = document.getElementById("summary");
app.insertBefore(sec, summary ? summary.nextSibling : app.firstChild);
var link = el("a", null, "Retention");
link.setAttribute("href", "#retention");
nav.insertBefore(link, nav.children[1] || null);

var m = /(?:^|&)retain-open=(\d+)/.exec(decodeURIComponent(location.hash.slice(1)));
if (m) {
  var levels = Number(m[1]);
  var openAll = function (items, level) {
    if (level >= levels) return;
    items.forEach(function (w) {
      w.rtOpen(true);
      var box = w.querySelector(".rt-kids");
      if (box) openAll([].filter.call(box.children, function (c) { return c.rtOpen; }), level + 1);
    });
  };
  openAll([].filter.call(tree.children, function (c) { return c.rtOpen; }), 0);
  if (nodes.length) showPath(nodes[0]);
}
})();
