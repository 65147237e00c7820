// Live refresh: fetch this page's live part (?fragment=1) every
// data-refresh milliseconds and swap it in, keeping open <details> open.
// Without JavaScript the page is the same, refreshed by its Refresh link.
(function () {
  "use strict";
  var every = Number(document.body.getAttribute("data-refresh")) || 0;
  var box = document.getElementById("live");
  var text = document.getElementById("live-text");
  var pause = document.getElementById("pause");
  var current = function () { return document.querySelector("main[data-live]"); };
  if (!box || !current()) { return; }
  if (!every || current().getAttribute("data-live") !== "on") {
    box.setAttribute("data-state", "static");
    return;
  }
  var paused = false, timer = 0;
  function show(state, label) {
    box.setAttribute("data-state", state);
    text.textContent = label;
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(tick, every);
  }
  function busy(main) {
    var el = document.activeElement;
    return el && main.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }
  function tick() {
    var main = current();
    if (paused) { return; }
    if (document.hidden || busy(main)) { schedule(); return; }
    var url = new URL(location.href);
    url.searchParams.set("fragment", "1");
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        return res.text().then(function (html) { return { ok: res.ok, html: html }; });
      })
      .then(function (r) {
        var next = new DOMParser().parseFromString(r.html, "text/html").querySelector("main[data-live]");
        if (!next) { throw new Error("no content"); }
        var state = {};
        main.querySelectorAll("details[id]").forEach(function (d) { state[d.id] = d.open; });
        next = document.importNode(next, true);
        next.querySelectorAll("details[id]").forEach(function (d) {
          if (Object.prototype.hasOwnProperty.call(state, d.id)) { d.open = state[d.id]; }
        });
        main.replaceWith(next);
        var when = next.getAttribute("data-updated");
        if (next.getAttribute("data-live") !== "on") {
          pause.hidden = true;
          show("static", "Final · " + when);
          return;
        }
        show(r.ok ? "on" : "error", (r.ok ? "Live · " : "Errors · ") + when);
        schedule();
      })
      .catch(function () {
        show("error", "Stack not answering · retrying");
        schedule();
      });
  }
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    if (paused) {
      clearTimeout(timer);
      show("paused", "Paused");
    } else {
      show("on", "Live");
      tick();
    }
  });
  show("on", "Live · " + current().getAttribute("data-updated"));
  schedule();
})();
