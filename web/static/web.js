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
        if (resp.ok && new URLSearchParams(location.search).get("tz") === "viewer") { location.reload(); }
      })
      .catch(function () {});
  }

  /* The duty board: filter as you type, refresh every minute without reloading the page. */
  function board() {
    var form = document.getElementById("board-filters");
    var rows = document.getElementById("board-rows");
    if (!form || !rows) { return; }
    var q = form.querySelector("#q");
    function applyFilter() {
      var wanted = fold(q.value);
      rows.querySelectorAll("[data-search]").forEach(function (el) {
        var names = el.getAttribute("data-search").split("|");
        var hit = !wanted || names.some(function (name) { return name.indexOf(wanted) !== -1; });
        el.hidden = !hit;
      });
    }
    q.addEventListener("input", applyFilter);
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      params.delete("q");  /* the text filter is applied here, so refreshed rows keep every Party */
      fetch(form.getAttribute("data-rows-url") + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (resp) {
          if (!resp.ok || resp.redirected) { throw new Error("stale session"); }
          return resp.text();
        })
        .then(function (html) { rows.innerHTML = html; applyFilter(); })
        .catch(function () {});
    }
    setInterval(refresh, 60000);
    if (q.value) {
      /* The server filtered by ?q=; fetch every row once so editing the box finds any Party. */
      refresh();
    }
    applyFilter();
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
