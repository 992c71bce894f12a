/* Runs inside every widget page (poll, comments) and the archive pages.
 *
 * 1. Tells the embedding page how tall the widget is, on load and on every size
 *    change, so embed.js can size the iframe: postMessage to the parent, and only
 *    when the parent's origin is one of the portal origins listed in
 *    <meta name="widget-parents"> (so no other site learns anything).
 *    Opened at one of its comments (#comment-4), tells the page where that comment is.
 * 2. After an htmx swap the reader caused, copies the new notices into the live
 *    region (a screen reader hears "Ваш голос учтён") and, when the swap took the
 *    focus away (the clicked button is gone), puts it in the new content, where the
 *    reader acted, without scrolling; keeps one reply form open at a time and closes it.
 * 3. Keeps the reader's identity in the frame's own storage, which browsers partition
 *    per portal and keep where they drop third-party cookies (docs/identity.md): sends
 *    it with every htmx request (X-Voter-Id; "new" asks the server for one on the next
 *    POST), stores what the server hands back, remembers where the reader voted or
 *    commented and what they chose, marks their choice in the shared results, and
 *    swaps in their own screen when the page was the one every new reader shares.
 * 4. Shows dates in the reader's own time zone (below).
 */
(function () {
  "use strict";

  var MESSAGE_TYPE = "polls-site:resize";
  var allowed = (document.querySelector('meta[name="widget-parents"]') || {}).content || "";
  allowed = allowed.split(/\s+/).filter(Boolean);

  function parentOrigin() {
    // Chrome and Safari name the embedding page's origin; Firefox gives it as the referrer.
    if (location.ancestorOrigins && location.ancestorOrigins.length) {
      return location.ancestorOrigins[0];
    }
    try {
      return new URL(document.referrer).origin;
    } catch (e) {
      return "";
    }
  }

  var target = window.parent !== window ? parentOrigin() : "";
  var lastHeight = -1;

  function postHeight() {
    // The document's own height: never the viewport's, or the frame could only grow.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: MESSAGE_TYPE, height: height, title: document.title }, target);
  }

  if (target && allowed.indexOf(target) !== -1) {
    if (window.ResizeObserver) {
      new ResizeObserver(postHeight).observe(document.documentElement);
    } else {
      window.addEventListener("resize", postHeight);
      document.addEventListener("htmx:afterSettle", postHeight);
    }
    window.addEventListener("load", postHeight);
    postHeight();
    showLinkedComment();
  }

  function showLinkedComment() {
    // A portal page opened at one of our comments (a feed's link) loads us at it
    // (embed.js): say where it is, after the height, so the page scrolls it into view.
    var match = /^#comment-(\d+)$/.exec(location.hash);
    var comment = match && document.getElementById("comment-" + match[1]);
    if (!comment) return;
    var top = comment.getBoundingClientRect().top + window.pageYOffset;
    window.parent.postMessage({ type: "polls-site:scroll", top: Math.round(top) }, target);
  }

  var VOTER_KEY = "polls-site:voter";
  var SEEN_KEY = "polls-site:seen";
  var SEEN_MAX = 300;
  var HEADER = "X-Voter-Id";

  function openStorage() {
    try {
      var storage = window.localStorage;
      storage.setItem("polls-site:probe", "1");
      storage.removeItem("polls-site:probe");
      return storage;
    } catch (e) {
      return null; // blocked, or no room: the server falls back to what it can see
    }
  }

  var store = openStorage();

  function readSeen() {
    try {
      return JSON.parse(store.getItem(SEEN_KEY)) || {};
    } catch (e) {
      return {};
    }
  }

  function writeSeen(seen) {
    var keys = Object.keys(seen);
    // Oldest first (insertion order): a reader of years keeps the recent ones.
    for (var i = 0; i < keys.length - SEEN_MAX; i++) delete seen[keys[i]];
    try {
      store.setItem(SEEN_KEY, JSON.stringify(seen));
    } catch (e) { /* full: the server still knows */ }
  }

  function pollScope(poll) {
    return "poll:" + poll.getAttribute("data-poll-id");
  }

  function markOwnChoice() {
    var poll = document.getElementById("poll");
    if (!store || !poll) return;
    var own = readSeen()[pollScope(poll)];
    // The reader's own screen comes marked by the server, which knows best (a changed vote).
    if (!own || !own.length || poll.querySelector(".result.own")) return;
    var rows = poll.querySelectorAll(".result[data-option-id]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (own.indexOf(row.getAttribute("data-option-id")) === -1 || row.classList.contains("own")) {
        continue;
      }
      row.classList.add("own");
      var label = document.createElement("span");
      label.className = "own-label";
      label.textContent = poll.getAttribute("data-own-label");
      row.appendChild(label);
    }
  }

  function rememberReader() {
    if (!store) return;
    var seen = readSeen();
    var before = JSON.stringify(seen);
    var poll = document.querySelector("#poll[data-voted]");
    if (poll) {
      var marked = poll.querySelectorAll(".result.own");
      var choice = Array.prototype.map.call(marked, function (row) {
        return row.getAttribute("data-option-id");
      });
      // Hidden results mark nothing: keep the choice known from before, if any.
      if (choice.length || !seen[pollScope(poll)]) seen[pollScope(poll)] = choice;
    }
    var comments = document.getElementById("comments");
    var own = document.querySelector("#own-comments .comment");
    if (comments && own) seen["thread:" + comments.getAttribute("data-thread-key")] = 1;
    if (JSON.stringify(seen) !== before) writeSeen(seen);
  }

  function showReadersOwnScreen() {
    // The page is the one every new reader gets; if this reader voted or commented
    // here, fetch their own and swap in what differs.
    var id = store && store.getItem(VOTER_KEY);
    if (!id || document.body.getAttribute("data-reader") !== "anonymous") return;
    var seen = readSeen();
    var parts = [];
    var poll = document.getElementById("poll");
    if (poll && seen[pollScope(poll)]) parts.push("poll");
    var comments = document.getElementById("comments");
    if (comments && seen["thread:" + comments.getAttribute("data-thread-key")]) {
      parts.push("own-comments");
    }
    if (!parts.length || !window.fetch) return;
    var headers = {};
    headers[HEADER] = id;
    fetch(location.href, { headers: headers, credentials: "same-origin" })
      .then(function (reply) { return reply.ok ? reply.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        parts.forEach(function (partId) {
          var next = fresh.getElementById(partId);
          var current = document.getElementById(partId);
          if (!next || !current) return;
          current.replaceWith(next);
          if (window.htmx) window.htmx.process(next);
        });
        document.body.setAttribute("data-reader", "known");
        rememberReader();
        markOwnChoice();
      })
      .catch(function () { /* the shared page stays: still usable */ });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!store) return;
    event.detail.headers[HEADER] = store.getItem(VOTER_KEY) || "new";
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var id = xhr && xhr.getResponseHeader(HEADER);
    if (id && store) {
      try {
        store.setItem(VOTER_KEY, id);
      } catch (e) { /* full */ }
    }
  });

  // Remember first (what the server marked), then mark a shared partial from storage.
  document.addEventListener("htmx:afterSettle", function () {
    rememberReader();
    markOwnChoice();
  });

  rememberReader();
  markOwnChoice();
  showReadersOwnScreen();

  // Where the focus goes after a swap that took it away: the new content's heading (a vote's
  // results), its notice (a posted comment), the first comment of a page just loaded, else
  // its first control (a like button, a report form). Never the page's first heading: that
  // scrolled the portal back to the top of the widget.
  var CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea";

  function focusTarget(root, notices) {
    if (root.matches(".comment")) return root;
    return root.querySelector("h1, h2, h3") || notices[0] || root.querySelector(".comment") ||
      (root.matches(CONTROLS) ? root : root.querySelector(CONTROLS));
  }

  function noticesIn(root) {
    var found = Array.prototype.slice.call(root.querySelectorAll(".notice"));
    if (root.matches(".notice")) found.unshift(root);
    return found;
  }

  // htmx fires afterSwap once per new element (a page of comments is many), and for what
  // came out of band first (the reader's own comments, elsewhere): the first element of the
  // answer proper is where the reader acted.
  var handled = new WeakSet();
  var aside = new WeakSet();
  document.addEventListener("htmx:oobAfterSwap", function (event) { aside.add(event.target); });

  document.addEventListener("htmx:afterSwap", function (event) {
    // Only what the reader did: polling swaps (no trusted triggering event) must neither
    // speak nor move the focus (which would scroll the portal page to the widget).
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    if (!trigger || !trigger.isTrusted) return;
    if (aside.has(event.target) || handled.has(config)) return;
    handled.add(config);
    // The new element itself (outerHTML swaps), or the target that took it in.
    var root = event.target;
    if (!root || !root.isConnected || !root.matches) return;
    var notices = noticesIn(root);
    var announce = document.getElementById("widget-announce");
    if (notices.length && announce) {
      announce.textContent = notices
        .map(function (n) { return n.textContent.trim(); })
        .join(" ");
    }
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    // htmx focuses an autofocus field of the new content itself, once it has settled.
    if (root.querySelector("[autofocus]")) return;
    var next = focusTarget(root, notices);
    if (!next) return;
    if (!next.matches(CONTROLS)) next.setAttribute("tabindex", "-1");
    // The new content is where the reader acted, on screen: focusing it must not scroll.
    next.focus({ preventScroll: true });
  });

  // One reply form at a time: the one a reader opens replaces one left open elsewhere.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var open = document.getElementById("reply-form");
    if (open && elt && elt.classList.contains("reply-link") && event.detail.shouldSwap) {
      open.remove();
    }
  });

  // «отмена» closes the reply form and gives the focus back to the comment's «Ответить».
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("#reply-form .cancel-reply");
    if (!cancel) return;
    event.preventDefault();
    var form = cancel.closest("#reply-form");
    var parent = form.querySelector("input[name=parent]");
    var link = parent && document.querySelector("#comment-" + parent.value + " .reply-link");
    form.remove();
    if (link) link.focus({ preventScroll: true });
  });

  // A liked button stays focusable (aria-disabled, not disabled) so the focus can stay on it;
  // it must not send again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest('button[aria-disabled="true"]');
    if (button) event.preventDefault();
  }, true);
})();

/* 4. Rewrites each <time datetime="…Z" data-local-time> in the reader's own time zone, in
 * the page's language, in the site's one format ("12 марта 2026, 15:05";
 * polls_site/core/dates.py). The server's text, which names the site's zone
 * ("14:05 (Алматы)"), is what readers without scripts see. Runs again after every htmx swap
 * (new comments, the next page). Here rather than in a file of its own: a widget's first
 * load stays within four requests (bench/RESULTS.md), and the archive pages load this file too.
 */
(function () {
  "use strict";

  var format;
  try {
    format = new Intl.DateTimeFormat(document.documentElement.lang || "ru", {
      day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
  } catch (e) {
    return; // no Intl: the site's zone stays named
  }

  function text(date) {
    var part = {};
    format.formatToParts(date).forEach(function (p) { part[p.type] = p.value; });
    return part.day + " " + part.month + " " + part.year + ", " + part.hour + ":" + part.minute;
  }

  function localise() {
    var times = document.querySelectorAll("time[data-local-time]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (isNaN(date.getTime())) continue;
      times[i].textContent = text(date);
      times[i].removeAttribute("data-local-time");
    }
  }

  document.addEventListener("htmx:afterSettle", localise);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
