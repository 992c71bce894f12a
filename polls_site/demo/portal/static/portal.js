/* The demo portal's light/dark switch: the page's colours, and the widgets' through
   their data-theme attribute (embed.js reloads a widget when it changes). */
(function () {
  "use strict";
  var button = document.getElementById("theme-toggle");

  function apply(theme) {
    document.documentElement.setAttribute("data-theme", theme);
    document.querySelectorAll("[data-poll], [data-comments]").forEach(function (el) {
      el.setAttribute("data-theme", theme);
    });
    button.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    try { localStorage.setItem("portal-theme", theme); } catch (e) { /* private mode */ }
  }

  var saved = null;
  try { saved = localStorage.getItem("portal-theme"); } catch (e) { /* private mode */ }
  if (saved === "dark") apply("dark");
  button.addEventListener("click", function () {
    apply(document.documentElement.getAttribute("data-theme") === "dark" ? "light" : "dark");
  });
})();
