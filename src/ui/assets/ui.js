// queue ui: live counts over server-sent events, and the failed page's "select all".
// Compiled into the binary; no other script, no network but this dashboard.
(function () {
  "use strict";
  var base = document.body.getAttribute("data-base") || "";
  var live = document.getElementById("live");
  var KEYS = ["pending", "delayed", "reserved", "failed"];

  function age(s) {
    if (s === null || s === undefined) return "–";
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  }

  function set(scope, key, value) {
    var cells = scope.querySelectorAll('[data-k="' + key + '"]');
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].textContent !== String(value)) {
        cells[i].textContent = value;
        cells[i].classList.add("changed");
      }
    }
  }

  function queueScopes(name) {
    var all = document.querySelectorAll("[data-queue]");
    var found = [];
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-queue") === name) found.push(all[i]);
    }
    return found;
  }

  function addRow(q) {
    var tpl = document.getElementById("queue-row");
    var body = document.getElementById("queue-rows");
    if (!tpl || !body) return [];
    var row = tpl.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-queue", q.queue);
    var name = row.querySelector('[data-k="name"]');
    if (name) name.textContent = q.queue;
    body.appendChild(row);
    var empty = document.getElementById("no-queues");
    if (empty) empty.remove();
    return [row];
  }

  function apply(s) {
    var totals = { pending: 0, delayed: 0, reserved: 0, failed: 0 };
    s.queues.forEach(function (q) {
      var scopes = queueScopes(q.queue);
      if (scopes.length === 0) scopes = addRow(q);
      scopes.forEach(function (el) {
        KEYS.forEach(function (k) { set(el, k, q[k]); });
        el.setAttribute("data-oldest", q.oldest_pending_age_s === null ? "" : String(q.oldest_pending_age_s));
        set(el, "oldest", age(q.oldest_pending_age_s));
        set(el, "workers", q.workers);
        el.classList.toggle("paused", q.paused);
        var p = el.querySelector('[data-k="state"]');
        if (p) p.textContent = q.paused ? "paused" : "active";
      });
      KEYS.forEach(function (k) { totals[k] += q[k]; });
    });
    // A queue that holds no job any more is not in the snapshot: its counts are zero.
    var listed = {};
    s.queues.forEach(function (q) { listed[q.queue] = true; });
    var shown = document.querySelectorAll("[data-queue]");
    for (var i = 0; i < shown.length; i++) {
      var name = shown[i].getAttribute("data-queue");
      if (name && !listed[name]) {
        KEYS.forEach(function (k) { set(shown[i], k, 0); });
        shown[i].setAttribute("data-oldest", "");
        set(shown[i], "oldest", age(null));
      }
    }
    received = Date.now();
    KEYS.forEach(function (k) { set(document, "total-" + k, totals[k]); });
    set(document, "total-workers", s.workers);
    document.body.setAttribute("data-updates", String(Number(document.body.getAttribute("data-updates") || 0) + 1));
  }

  // Snapshots come when the store's event log moves: between two, the oldest wait grows by
  // the time that passed, counted here.
  var received = 0;
  function ageOldest() {
    if (!received) return;
    var passed = Math.floor((Date.now() - received) / 1000);
    var rows = document.querySelectorAll("[data-oldest]");
    for (var i = 0; i < rows.length; i++) {
      var s = rows[i].getAttribute("data-oldest");
      var cells = rows[i].querySelectorAll('[data-k="oldest"]');
      for (var j = 0; j < cells.length; j++) {
        cells[j].textContent = age(s === "" ? null : Number(s) + passed);
      }
    }
  }

  if (window.EventSource && document.body.hasAttribute("data-live")) {
    setInterval(ageOldest, 1000);
    var es = new EventSource(base + "/api/events");
    es.addEventListener("snapshot", function (e) {
      if (live) { live.className = "live on"; live.textContent = "live"; }
      apply(JSON.parse(e.data));
    });
    // The store's event log as it grows: the newest first, a few kept.
    var feed = document.getElementById("feed");
    es.addEventListener("job", function (e) {
      if (!feed) return;
      var ev = JSON.parse(e.data);
      var empty = document.getElementById("feed-empty");
      if (empty) empty.remove();
      var li = document.createElement("li");
      if (ev.uuid) li.setAttribute("data-uuid", ev.uuid);
      li.setAttribute("data-event", ev.event);
      var when = new Date(ev.at);
      li.textContent = when.toLocaleTimeString() + "  " + ev.event +
        (ev.name ? "  " + ev.name : "") + (ev.queue ? "  [" + ev.queue + "]" : "") +
        (ev.uuid ? "  " + ev.uuid.slice(0, 8) : "");
      feed.insertBefore(li, feed.firstChild);
      var max = Number(feed.getAttribute("data-max") || 15);
      while (feed.children.length > max) feed.removeChild(feed.lastChild);
    });
    es.onerror = function () {
      if (live) { live.className = "live off"; live.textContent = "reconnecting"; }
    };
  }

  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll('input[name="uuid"]');
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
    });
  }
})();
