// harvest serve: the little the pages do with JavaScript. Every page works
// without it. It refreshes the crawl progress on the overview, and "/"
// moves the focus to the search box.
"use strict";

(function () {
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var box = document.querySelector("[data-focus-key='/']");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });

  var live = document.getElementById("live");
  var body = document.getElementById("live-body");
  if (!live || !body || !window.fetch) return;
  var url = live.getAttribute("data-poll");

  function n(x) { return Number(x).toLocaleString("en"); }
  function ago(iso) {
    if (!iso || iso.indexOf("0001-") === 0) return "never";
    var s = (Date.now() - Date.parse(iso)) / 1000;
    if (s < 60) return "just now";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 172800) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " days ago";
  }
  // Text only: nothing from the server is parsed as HTML.
  function show(runs) {
    body.textContent = "";
    if (!runs.length) {
      var p = document.createElement("p");
      p.textContent = "No crawl is running.";
      body.appendChild(p);
      return;
    }
    var ul = document.createElement("ul");
    ul.className = "progress";
    runs.forEach(function (r) {
      var li = document.createElement("li");
      li.textContent = "Run " + r.run_id + " (" + r.mode + ") of " + r.start_url +
        ", started " + r.started_at.replace("T", " ").replace(/:\d\dZ$/, " UTC") + ": " +
        n(r.pages_done) + " pages done, " + n(r.pages_pending) + " to fetch, " + n(r.pages_failed) + " failed; " +
        n(r.records) + " records seen" + (r.listing_total ? " of " + n(r.listing_total) + " listed" : "") +
        "; last activity " + ago(r.last_activity) + ".";
      ul.appendChild(li);
    });
    body.appendChild(ul);
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(show)
      .catch(function () { /* keep what is shown; try again */ })
      .finally(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
})();
