/* Runs inside every widget page (poll, comments).
 *
 * 1. Tells the embedding page how tall the widget is, on load and on every size
 *    change, so embed.js can size the iframe: postMessage to the parent, and only
 *    when the parent's origin is one of the portal origins listed in
 *    <meta name="widget-parents"> (so no other site learns anything).
 * 2. After an htmx swap the reader caused, copies the new notices into the live
 *    region (a screen reader hears "Ваш голос учтён") and, when the swap took the
 *    focus away (the clicked button is gone), puts it on the new content's heading.
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
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    // Only what the reader did: polling swaps (no trusted triggering event) must neither
    // speak nor move the focus (which would scroll the portal page to the widget).
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    if (!trigger || !trigger.isTrusted) return;
    var root = event.detail.target;
    if (!root || !root.isConnected) {
      root = document.getElementById(root && root.id) || document.body;
    }
    var notices = root.querySelectorAll(".notice");
    var announce = document.getElementById("widget-announce");
    if (notices.length && announce) {
      announce.textContent = Array.prototype.map
        .call(notices, function (n) { return n.textContent.trim(); })
        .join(" ");
    }
    var active = document.activeElement;
    if (!active || active === document.body || !active.isConnected) {
      var focusTarget = root.querySelector("h1, h2, h3") || notices[0];
      if (focusTarget) {
        focusTarget.setAttribute("tabindex", "-1");
        focusTarget.focus();
      }
    }
  });
})();
