/* polls_site embed script: include it once on a portal page.
 *
 *   <script src="https://WIDGETS/embed.js" defer></script>
 *   <div data-poll="42"></div>                 a poll ("current": the sidebar poll)
 *   <div data-poll="current" data-section="sport"></div>   a section's current poll
 *   <div data-comments="article-key" data-title="…" data-url="…"></div>
 *     (and data-signature="…": the portal's HMAC of key, title and URL, docs/embedding.md)
 *   <a data-comment-count="article-key">0</a>  replaced by the thread's comment count
 *     (inside an element marked data-count-box, hidden for readers without scripts:
 *     that element is shown once the count is in)
 *
 * Each snippet may hold a <noscript><iframe …></noscript> for readers without scripts.
 * A page opened at one of our comments (#comment-4, or #polls-site-comment-4 where the
 * portal has ids of its own like that, as feeds link) loads its comment widget at once at
 * that comment; the widget tells where it is, and the page scrolls there.
 *
 * Optional on the divs: data-theme="dark", data-accent="#0a6", data-font="serif",
 * data-lang="en". Changing them (or data-section) later reloads the widget.
 * Each widget becomes a lazily loaded iframe with a title; the widget reports its
 * height with postMessage and we accept that only from the widget origin and from
 * the iframe's own window. All counts on a page come from one request.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var BASE = new URL(script.src).origin;
  var MESSAGE_TYPE = "polls-site:resize";
  var SCROLL_TYPE = "polls-site:scroll";
  var COMMENT_ANCHOR = /^#(?:polls-site-)?comment-(\d{1,18})$/;
  var FRAME_CLASS = "polls-site-frame";
  var MAX_HEIGHT = 10000;
  var MAX_KEYS = 50;
  var WATCHED_ATTRS = ["data-theme", "data-accent", "data-font", "data-lang", "data-section"];

  function query(params) {
    var parts = [];
    for (var name in params) {
      if (params[name]) parts.push(name + "=" + encodeURIComponent(params[name]));
    }
    return parts.length ? "?" + parts.join("&") : "";
  }

  function frameSrc(el) {
    var look = {
      theme: el.getAttribute("data-theme"),
      accent: el.getAttribute("data-accent"),
      font: el.getAttribute("data-font"),
      lang: el.getAttribute("data-lang")
    };
    var poll = el.getAttribute("data-poll");
    if (poll !== null) {
      if (!/^(\d+|current)$/.test(poll)) return null;
      if (poll === "current") look.section = el.getAttribute("data-section");
      return BASE + "/w/poll/" + poll + query(look);
    }
    var key = el.getAttribute("data-comments");
    if (!key) return null;
    look.title = el.getAttribute("data-title") || document.title;
    look.url = el.getAttribute("data-url") || location.href.split("#")[0];
    look.sig = el.getAttribute("data-signature");
    return BASE + "/w/comments/" + encodeURIComponent(key) + query(look);
  }

  function commentAnchor(el) {
    var match = el.hasAttribute("data-comments") && COMMENT_ANCHOR.exec(location.hash);
    return match ? "#comment-" + match[1] : "";
  }

  function embed(el) {
    var src = frameSrc(el);
    if (!src) return;
    var frame = el.querySelector("iframe." + FRAME_CLASS);
    var anchor = "";
    if (!frame) {
      anchor = commentAnchor(el);
      frame = document.createElement("iframe");
      frame.className = FRAME_CLASS;
      // A title until the widget tells its own (its <title>, in its language).
      frame.title = el.hasAttribute("data-poll") ? "Опрос" : "Комментарии";
      if (anchor) {
        // Loaded now, not when scrolled to: the reader came for that comment.
        frame.setAttribute("data-scroll-once", "");
      } else {
        frame.setAttribute("loading", "lazy");
      }
      frame.style.border = "0";
      frame.style.width = "100%";
      frame.style.display = "block";
      frame.style.height = el.hasAttribute("data-poll") ? "420px" : "520px";
      el.appendChild(frame);
    }
    // The anchor is for the first load only; a later scan or a new theme changes the rest.
    if (frame.src.split("#")[0] !== src) frame.src = src + anchor;
  }

  function scrollToComment(frame, offset) {
    // Only where this page asked for a comment, and once: no widget scrolls a page at will.
    if (!frame.hasAttribute("data-scroll-once") || !(offset >= 0)) return;
    frame.removeAttribute("data-scroll-once");
    var top = frame.getBoundingClientRect().top + window.pageYOffset + Math.min(offset, MAX_HEIGHT);
    window.scrollTo(0, Math.max(0, top - window.innerHeight / 4));
  }

  function onMessage(event) {
    var data = event.data;
    if (event.origin !== BASE || !data) return;
    if (data.type !== MESSAGE_TYPE && data.type !== SCROLL_TYPE) return;
    var frames = document.querySelectorAll("iframe." + FRAME_CLASS);
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow !== event.source) continue;
      if (data.type === SCROLL_TYPE) {
        scrollToComment(frames[i], Number(data.top));
        return;
      }
      var height = Number(data.height);
      if (height > 0) frames[i].style.height = Math.min(Math.ceil(height), MAX_HEIGHT) + "px";
      if (typeof data.title === "string" && data.title) frames[i].title = data.title.slice(0, 300);
      return;
    }
  }

  function showCounts(links) {
    var keys = [];
    links.forEach(function (link) {
      var key = link.getAttribute("data-comment-count");
      if (key && keys.indexOf(key) === -1) keys.push(key);
    });
    // One request per page (per MAX_KEYS threads, the most the counts API takes).
    for (var i = 0; i < keys.length && window.fetch; i += MAX_KEYS) {
      fetchCounts(keys.slice(i, i + MAX_KEYS), links);
    }
  }

  function fetchCounts(keys, links) {
    var url = BASE + "/api/comments/count?" + keys.map(function (key) {
      return "key=" + encodeURIComponent(key);
    }).join("&");
    fetch(url, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (counts) {
        links.forEach(function (link) {
          var count = counts[link.getAttribute("data-comment-count")];
          if (typeof count !== "number") return;
          link.textContent = String(count);
          var box = link.closest("[data-count-box]");
          if (box) box.hidden = false;
        });
      })
      .catch(function () { /* the portal's own text stays */ });
  }

  function scan(root) {
    root = root || document;
    var widgets = root.querySelectorAll("[data-poll], [data-comments]");
    Array.prototype.forEach.call(widgets, function (el) {
      embed(el);
      if (!el.hasAttribute("data-embed-watched")) {
        el.setAttribute("data-embed-watched", "");
        watcher.observe(el, { attributes: true, attributeFilter: WATCHED_ATTRS });
      }
    });
    showCounts(Array.prototype.slice.call(root.querySelectorAll("[data-comment-count]")));
  }

  var watcher = new MutationObserver(function (changes) {
    changes.forEach(function (change) { embed(change.target); });
  });

  window.addEventListener("message", onMessage);
  window.PollsSiteEmbed = { scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(); });
  } else {
    scan();
  }
})();
