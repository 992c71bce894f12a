// The moderation queue by keyboard: j/k move, a approve, r reject (type the reason,
// Enter), s spam, b ban, x select, ? help. Keys are read by their place (event.code),
// not the letter they type, so they work the same with the Russian layout (о/л, ф, к,
// ы, и, ч, Shift+,). After an htmx action removes a row, the row that took its place
// gets the focus.
(function () {
  "use strict";
  var current = -1;
  var pendingIndex = null;

  function list() { return document.getElementById("list"); }
  function rows() {
    var l = list();
    return l ? Array.prototype.slice.call(l.querySelectorAll("article.item")) : [];
  }

  function select(index) {
    var all = rows();
    if (!all.length) { current = -1; return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    all[current].focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  }

  function row() {
    var all = rows();
    return current >= 0 && current < all.length ? all[current] : null;
  }

  function press(action) {
    var r = row();
    var button = r && r.querySelector('.actions button[data-action="' + action + '"]');
    if (button) { button.click(); }
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); select(current); }
      return;
    }
    var help = document.getElementById("keys-help");
    var r = row();
    // "?" is Shift and the Slash key on the US layout (Shift+, on the Russian one).
    var asked = event.key === "?" || (event.shiftKey && event.code === "Slash");
    var key = asked ? "?" : event.code;
    switch (key) {
      case "KeyJ": select(current + 1); break;
      case "KeyK": select(current - 1); break;
      case "KeyA": press("approve"); break;
      case "KeyS": press("spam"); break;
      case "KeyR": {
        var reason = r && r.querySelector('input.reason[data-action="reject"], input.reason[data-action="hide"]');
        if (reason) { reason.focus(); }
        break;
      }
      case "KeyB": {
        var ban = r && r.querySelector("details.ban");
        if (ban) { ban.open = true; var first = ban.querySelector("input, select"); if (first) { first.focus(); } }
        break;
      }
      case "KeyX": {
        var box = r && r.querySelector("input.select");
        if (box) { box.checked = !box.checked; }
        break;
      }
      case "?":
        if (help) { if (help.open) { help.close(); } else { help.showModal(); } }
        break;
      default: return;
    }
    event.preventDefault();
  });

  // Remember which row acted, so the next one gets the focus when it is gone.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var item = event.target.closest && event.target.closest("article.item");
    if (item) { pendingIndex = rows().indexOf(item); }
  });

  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest("article.item");
    if (item) { current = rows().indexOf(item); rows().forEach(function (r, i) { r.classList.toggle("current", i === current); }); }
  });

  function watch() {
    var l = list();
    if (!l) { return; }
    new MutationObserver(function () {
      if (pendingIndex !== null) { var i = pendingIndex; pendingIndex = null; select(i); }
    }).observe(l, { childList: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    watch();
    if (rows().length) { select(0); }
  });

  // A filter change swaps the whole list: watch the new one and start at its top.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "list") { watch(); select(0); }
  });
})();
