// graphkit report: records script errors and blocked fetches into #gk-status for checks.
// SPDX-License-Identifier: GPL-3.0-or-later
window.__gkErrors = [];
(function () {
  "use strict";
  function save() {
    var el = document.getElementById("gk-status");
    if (el) { el.setAttribute("data-errors", JSON.stringify(window.__gkErrors)); }
  }
  function note(text) { window.__gkErrors.push(String(text)); save(); }
  window.addEventListener("error", function (ev) { note(ev.message || ev); });
  window.addEventListener("unhandledrejection", function (ev) {
    note("unhandled rejection: " + ev.reason);
  });
  document.addEventListener("securitypolicyviolation", function (ev) {
    note("blocked by the page policy: " + ev.blockedURI);
  });
  var original = console.error;
  console.error = function () {
    note(Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", save);
})();
