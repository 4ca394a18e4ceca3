/* Art35 pages: small progressive enhancements. Every page works without this script. */
(function () {
  "use strict";
  var root = document.documentElement;
  var csrf = root.getAttribute("data-csrf") || "";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  /* Tell the server the browser's time zone, so times can be shown in it. */
  function reportZone() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    var url = root.getAttribute("data-tz-url");
    if (!zone || !url || zone === root.getAttribute("data-viewer-tz")) { return; }
    var body = new FormData();
    body.append("tz", zone);
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function (resp) {
        if (!resp.ok) { return; }
        if (new URLSearchParams(location.search).get("tz") === "viewer") { location.reload(); return; }
        /* The page was drawn before the server knew the zone: name the right one now. */
        var known = root.getAttribute("data-viewer-tz");
        root.setAttribute("data-viewer-tz", zone);
        document.querySelectorAll("label[for='tz-viewer']").forEach(function (label) {
          label.textContent = label.textContent.replace("(" + known + ")", "(" + zone + ")");
        });
      })
      .catch(function () {});
  }

  /* The duty board: filter as you type (here, then on the server for a compact answer), refresh
     every minute while the tab is visible, keep focus and scroll, and say plainly when stale. */
  function board() {
    var form = document.getElementById("board-filters");
    var rows = document.getElementById("board-rows");
    var status = document.getElementById("board-status");
    if (!form || !rows || !status) { return; }
    var q = form.querySelector("#q");
    var updatedEl = document.getElementById("board-updated-at");
    var staleEl = document.getElementById("board-stale");
    var refreshButton = document.getElementById("board-refresh");
    var EVERY = 60000;
    var lastOk = Date.now();
    var lastTime = "";
    var timer = null;
    var inFlight = null;
    /* The rows on the page were drawn for this query ("" = every Party): typing more letters
       only narrows them here; anything else asks the server for the rows that match. */
    var loaded = fold(new URLSearchParams(location.search).get("q") || "");
    var ended = false;

    function applyFilter() {
      var wanted = fold(q.value);
      var shown = 0;
      rows.querySelectorAll("[data-search]").forEach(function (el) {
        var names = el.getAttribute("data-search").split("|");
        var hit = !wanted || names.some(function (name) { return name.indexOf(wanted) !== -1; });
        el.hidden = !hit;
        if (hit && el.id) { shown++; }
      });
      rows.querySelectorAll("table.board").forEach(function (table) {
        table.hidden = !table.querySelector("tbody tr[id]:not([hidden])");
      });
      var none = document.getElementById("board-no-match");
      if (none) { none.hidden = shown > 0 || !rows.querySelector("[data-search]"); }
    }

    function readFresh() {
      var fresh = document.getElementById("board-fresh");
      if (!fresh) { return; }
      lastTime = fresh.getAttribute("data-time") || lastTime;
      if (updatedEl) { updatedEl.textContent = fresh.getAttribute("data-updated"); }
    }

    function setStale(kind) {
      var text = kind ? (status.getAttribute("data-" + kind) || "").replace("%(time)s", lastTime) : "";
      staleEl.textContent = text;
      staleEl.hidden = !kind;
      status.classList.toggle("is-stale", !!kind);
    }

    function params() {
      var p = new URLSearchParams(new FormData(form));
      ["q", "speaks"].forEach(function (k) { if (!p.get(k)) { p.delete(k); } });
      return p;
    }

    /* `background`: the timer's own refreshes, which must not keep a session alive. */
    function refresh(background) {
      if (inFlight) { inFlight.abort(); }
      var controller = window.AbortController ? new AbortController() : null;
      inFlight = controller;
      var p = params();
      var asked = fold(p.get("q") || "");
      return fetch(form.getAttribute("data-rows-url") + "?" + p.toString(), {
        credentials: "same-origin", cache: "no-store", signal: controller ? controller.signal : undefined,
        headers: background === true ? { "X-Art35-Background": "1" } : {}
      })
        .then(function (resp) {
          if (resp.status === 401 || (resp.redirected && resp.url.indexOf("/login") !== -1)) {
            /* The session ended: show no stale names and numbers, say so, stop refreshing. */
            rows.innerHTML = "";
            ended = true;
            clearInterval(timer);
            timer = null;
            setStale("ended");
            throw new Error("ended");
          }
          if (!resp.ok || resp.redirected) { throw new Error("refresh failed"); }
          return resp.text();
        })
        .then(function (html) {
          /* Keep the reader where they were: the focused control and the scroll position. */
          var active = document.activeElement;
          var row = active && rows.contains(active) ? active.closest("tr[id]") : null;
          var nth = row ? Array.prototype.indexOf.call(row.querySelectorAll("a, button, input"), active) : -1;
          var y = window.scrollY;
          rows.innerHTML = html;
          loaded = asked;
          applyFilter();
          var back = row ? document.getElementById(row.id) : null;
          if (back && nth >= 0) {
            var again = back.querySelectorAll("a, button, input")[nth];
            if (again) { again.focus({ preventScroll: true }); }
          }
          window.scrollTo(0, y);
          readFresh();
          lastOk = Date.now();
          setStale(null);
          wirePins();
        })
        .catch(function (err) {
          if (err && (err.name === "AbortError" || err.message === "ended")) { return; }
          setStale(navigator.onLine === false ? "offline" : "stale");
        })
        .then(function () { if (inFlight === controller) { inFlight = null; } });
    }

    function schedule() {
      clearInterval(timer);
      timer = null;
      if (ended || document.visibilityState === "hidden") { return; }
      timer = setInterval(function () {
        refresh(true);
        if (Date.now() - lastOk > 2.5 * EVERY) { setStale(navigator.onLine === false ? "offline" : "stale"); }
      }, EVERY);
    }

    /* A pin is a form that works without this script; here it is sent in place. */
    function wirePins() {
      rows.querySelectorAll("form.pin").forEach(function (pin) {
        if (pin.dataset.wired) { return; }
        pin.dataset.wired = "1";
        pin.addEventListener("submit", function (event) {
          event.preventDefault();
          var button = pin.querySelector("button");
          var body = new FormData(pin);
          body.set("pin", button.value);
          fetch(pin.action, {
            method: "POST", body: body, credentials: "same-origin",
            headers: { "X-CSRF-Token": csrf, "X-Fragment": "1" }
          }).then(function (resp) {
            if (!resp.ok) { throw new Error("pin failed"); }
            button.focus();
            return refresh();
          }).catch(function () { pin.submit(); });
        });
      });
    }

    var keepInAddress = debounce(function () {
      var p = params();
      history.replaceState(null, "", location.pathname + (p.toString() ? "?" + p.toString() : ""));
    }, 300);
    var serverFilter = debounce(refresh, 150);
    q.addEventListener("input", function () {
      applyFilter();
      keepInAddress();
      if (fold(q.value).indexOf(loaded) === -1) { serverFilter(); }
    });
    form.addEventListener("submit", function (event) {
      if (form.querySelector("#speaks").value === (new URLSearchParams(location.search).get("speaks") || "")) {
        event.preventDefault();
        keepInAddress();
        refresh();
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && Date.now() - lastOk > EVERY) { refresh(true); }
      schedule();
    });
    window.addEventListener("offline", function () { setStale("offline"); });
    window.addEventListener("online", function () { refresh(true); });
    if (refreshButton) {
      refreshButton.hidden = false;
      refreshButton.addEventListener("click", refresh);
    }
    readFresh();
    applyFilter();
    wirePins();
    schedule();
  }

  /* Repeated rows (phones, languages, members, windows): add one more from its template. */
  function repeatedRows() {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      var name = button.getAttribute("data-add-row");
      var tpl = document.getElementById("tpl-" + name);
      if (!tpl) { button.hidden = true; return; }
      button.addEventListener("click", function () {
        var existing = document.querySelectorAll('.row-group[data-row="' + name + '"]');
        var next = 0;
        existing.forEach(function (row) {
          var i = parseInt(row.getAttribute("data-index"), 10);
          if (!isNaN(i) && i >= next) { next = i + 1; }
        });
        var html = tpl.innerHTML.split("__i__").join(String(next)).split("__n__").join(String(existing.length + 1));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        button.parentNode.insertBefore(row, button);
        var first = row.querySelector("input, select");
        if (first) { first.focus(); }
        wirePhones(row);
      });
    });
  }

  /* Phone numbers checked as you type, by the same rule the save applies. */
  function wirePhones(scope) {
    scope.querySelectorAll("input[data-phone]").forEach(function (input) {
      var form = input.closest("[data-phone-check]");
      if (!form || input.dataset.wired) { return; }
      input.dataset.wired = "1";
      var note = document.createElement("p");
      note.className = "phone-check";
      note.id = input.id + "-check";
      note.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", note);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.push(note.id);
      input.setAttribute("aria-describedby", described.join(" "));
      var check = debounce(function () {
        var value = input.value.trim();
        if (!value) { note.textContent = ""; note.className = "phone-check"; return; }
        var url = form.getAttribute("data-phone-check") + "&number=" + encodeURIComponent(value);
        fetch(url, { credentials: "same-origin" })
          .then(function (resp) { return resp.json(); })
          .then(function (answer) {
            if (input.value.trim() !== value) { return; }
            if (answer.ok) {
              note.textContent = "✓ " + answer.international + " (" + answer.kind_name + ")";
              note.className = "phone-check ok";
            } else {
              note.textContent = "✗ " + answer.reason;
              note.className = "phone-check bad";
            }
          })
          .catch(function () {});
      }, 400);
      input.addEventListener("input", check);
    });
  }

  /* Live preview of a rota change: the server draws the next 14 days as they would be. */
  function previews() {
    document.querySelectorAll("form[data-preview]").forEach(function (form) {
      var target = document.querySelector(form.getAttribute("data-preview"));
      if (!target) { return; }
      var seq = 0;
      var update = debounce(function () {
        var body = new FormData(form);
        body.set("_action", "preview");
        var mine = ++seq;
        fetch(form.getAttribute("action") || location.href, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-Preview": "1", "X-CSRF-Token": csrf }
        })
          .then(function (resp) { return resp.text(); })
          .then(function (html) { if (mine === seq) { target.innerHTML = html; } })
          .catch(function () {});
      }, 500);
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      if (form.hasAttribute("data-preview-now")) { update(); }
      /* Where the form and its preview are not side by side, the preview follows the part of
         the form being edited, just below it (its place after the form without this script). */
      var section = target.closest("section") || target;
      var narrow = window.matchMedia("(max-width: 69.99rem)");
      var home = section.parentNode, homeNext = section.nextSibling;
      form.addEventListener("focusin", function (event) {
        if (!narrow.matches) { return; }
        var part = event.target.closest(".row-group, fieldset, .field");
        while (part && part.parentNode !== form && part.parentNode.closest("form") === form &&
               part.parentNode.closest(".row-group, fieldset, .field")) {
          part = part.parentNode.closest(".row-group, fieldset, .field");
        }
        if (part && part.nextSibling !== section) {
          part.insertAdjacentElement("afterend", section);
          section.classList.add("is-inline");
        }
      });
      narrow.addEventListener("change", function () {
        if (!narrow.matches && section.classList.contains("is-inline")) {
          home.insertBefore(section, homeNext);
          section.classList.remove("is-inline");
        }
      });
    });
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    reportZone();
    board();
    repeatedRows();
    wirePhones(document);
    previews();
    focusErrors();
  });
})();

/* Calendars and reachability: copy a feed link, follow a test call and a campaign by reading
   the JSON API with the session (reads need no CSRF header; the test-call POST sends it). */
(function () {
  "use strict";
  var csrf = document.documentElement.getAttribute("data-csrf") || "";

  function labelsOf(el) {
    try { return JSON.parse(el.getAttribute("data-labels") || "{}"); } catch (e) { return {}; }
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      });
  }

  /* A test call's state, read every few seconds until it is over. */
  function followCall(box) {
    if (box.dataset.following || box.getAttribute("data-state") === "done") { return; }
    box.dataset.following = "1";
    var labels = labelsOf(box);
    var stateEl = box.querySelector(".call-state");
    var reasonEl = box.querySelector(".call-reason");
    var every = parseInt(box.getAttribute("data-poll-ms"), 10) || 1500;
    var left = Math.ceil(300000 / every);  /* a call is over within minutes: stop after five */
    function poll() {
      getJSON(box.getAttribute("data-attempt-url")).then(function (call) {
        box.setAttribute("data-state", call.state);
        if (call.state === "done") {
          stateEl.textContent = (labels.outcomes || {})[call.outcome] || call.outcome;
          reasonEl.textContent = call.reason ? ((labels.reasons || {})[call.reason] || call.reason) : "";
          box.classList.add(call.outcome === "confirmed" ? "is-ok" : "is-bad");
          return;
        }
        stateEl.textContent = (labels.states || {})[call.state] || call.state;
        if (--left > 0) { setTimeout(poll, every); }
      }).catch(function () { if (--left > 0) { setTimeout(poll, every * 2); } });
    }
    setTimeout(poll, every);
  }

  /* "Test call" buttons: ask without leaving the page, then follow the call in place. */
  function testCallForms() {
    document.querySelectorAll("form[data-test-call]").forEach(function (form) {
      var out = document.querySelector(form.getAttribute("data-test-call"));
      if (!out) { return; }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf, "X-Fragment": "1" }
        })
          .then(function (resp) {
            /* Only answers of this form are shown in place; anything else as a whole page. */
            if (resp.redirected || [201, 403, 422, 429, 503].indexOf(resp.status) === -1) { throw new Error("page"); }
            return resp.text();
          })
          .then(function (html) {
            out.innerHTML = html;
            out.querySelectorAll("[data-attempt-url]").forEach(followCall);
          })
          .catch(function () { form.submit(); })
          .then(function () { button.disabled = false; });
      });
    });
    document.querySelectorAll("[data-attempt-url]").forEach(followCall);
  }

  /* A campaign's progress, Party by Party, until it is over. */
  function campaignProgress() {
    var box = document.getElementById("campaign-live");
    if (!box || box.getAttribute("data-status") === "done") { return; }
    var labels = labelsOf(box);
    var every = parseInt(box.getAttribute("data-poll-ms"), 10) || 5000;
    function text(sel, value) {
      var el = box.querySelector(sel);
      if (el) { el.textContent = value; }
    }
    function poll() {
      getJSON(box.getAttribute("data-campaign-url")).then(function (c) {
        var p = c.progress;
        text("[data-field=status]", (labels.statuses || {})[c.status] || c.status);
        ["done", "calling", "planned"].forEach(function (k) { text("[data-count=" + k + "]", p[k]); });
        var bar = box.querySelector("progress");
        if (bar) { bar.value = p.done; bar.textContent = p.done + " / " + p.parties; }
        (c.slots || []).forEach(function (slot) {
          var row = document.querySelector('tr[data-party="' + slot.party + '"]');
          if (!row) { return; }
          row.querySelector(".slot-state").textContent = (labels.slots || {})[slot.state] || slot.state;
          row.querySelector(".slot-outcome").textContent = slot.outcome ? ((labels.outcomes || {})[slot.outcome] || slot.outcome) : "—";
          row.querySelector(".slot-attempts").textContent = slot.attempts;
        });
        box.setAttribute("data-status", c.status);
        if (c.status !== "done") { setTimeout(poll, every); }
      }).catch(function () { setTimeout(poll, every * 2); });
    }
    setTimeout(poll, every);
  }

  /* "Copy" next to a feed address (hidden without this script). */
  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var input = document.querySelector(button.getAttribute("data-copy"));
      var done = button.parentNode.querySelector(".copy-done");
      if (!input || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          if (done) { done.textContent = done.getAttribute("data-copied"); }
        }).catch(function () { input.select(); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    testCallForms();
    campaignProgress();
    copyButtons();
  });
})();
