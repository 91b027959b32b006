/* copart site search: runs in the browser over window.COPART_SEARCH (static/search-index.js).
   No server, no fetch (browsers refuse fetch() on file://). Results are built with
   textContent only, so nothing from the index is ever parsed as HTML. */
(function () {
  "use strict";
  var index = window.COPART_SEARCH || { fields: [], docs: [] };
  var box = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("search-status");
  if (!box || !list) { return; }
  var docs = index.docs.map(function (d) {
    return { title: d[0], url: d[1], kind: d[2], author: d[3], labels: d[4], words: d[5], summary: d[6],
             hay: " " + d[0].toLowerCase() + " ", lab: " " + d[4] + " ", wds: " " + d[5] + " ",
             who: (d[3] || "").toLowerCase() };
  });

  function terms(q) {
    return q.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(function (t) { return t.length > 1; });
  }

  function score(doc, ts) {
    var total = 0, matched = 0;
    for (var i = 0; i < ts.length; i++) {
      var t = ts[i], s = 0;
      if (doc.hay.indexOf(" " + t) >= 0) { s += 10; } else if (doc.hay.indexOf(t) >= 0) { s += 4; }
      if (doc.lab.indexOf(" " + t) >= 0) { s += 6; }
      if (doc.who.indexOf(t) >= 0) { s += 3; }
      if (doc.wds.indexOf(" " + t) >= 0) { s += 2; }
      if (s > 0) { matched++; total += s; }
    }
    return { total: total, all: matched === ts.length };
  }

  function search(q) {
    var ts = terms(q);
    if (!ts.length) { return []; }
    var all = [], some = [];
    for (var i = 0; i < docs.length; i++) {
      var r = score(docs[i], ts);
      if (r.total > 0) { (r.all ? all : some).push({ doc: docs[i], score: r.total }); }
    }
    var hits = all.length ? all : some;
    hits.sort(function (a, b) { return b.score - a.score || (a.doc.title < b.doc.title ? -1 : 1); });
    return hits.slice(0, 50);
  }

  function show(q) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var hits = search(q);
    if (!q.trim()) { status.textContent = "Type a few words: titles, topics, tags, people and text are searched."; return; }
    status.textContent = hits.length ? hits.length + (hits.length === 50 ? "+" : "") + " result" + (hits.length === 1 ? "" : "s") : "Nothing found for \u201c" + q + "\u201d.";
    hits.forEach(function (h) {
      var li = document.createElement("li");
      li.className = "card kind-" + h.doc.kind;
      var a = document.createElement("a");
      a.className = "title";
      a.href = h.doc.url;
      a.textContent = h.doc.title;
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = " " + h.doc.kind + (h.doc.author ? " \u00b7 " + h.doc.author : "");
      li.appendChild(meta);
      if (h.doc.summary) {
        var p = document.createElement("p");
        p.className = "summary";
        p.textContent = h.doc.summary;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
  }

  var params = new URLSearchParams(window.location.search);
  if (params.get("q")) { box.value = params.get("q"); }
  box.addEventListener("input", function () { show(box.value); });
  document.getElementById("search-form").addEventListener("submit", function (ev) { ev.preventDefault(); show(box.value); });
  show(box.value);
})();
