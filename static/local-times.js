/* Rewrites each <time datetime="…Z" data-local-time> in the reader's own time zone, in the
 * page's language, in the site's one format ("12 марта 2026, 15:05"; polls_site/core/dates.py).
 * The server's text, which names the site's zone ("14:05 (Алматы)"), is what readers
 * without scripts see. Runs again after every htmx swap (new comments, the next page).
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
