// The idle warning: shown two minutes before the session would time out without activity.
// Background refreshes do not count as activity, so the timer starts when the page loads.
(function () {
  "use strict";
  var minutes = Number(document.body.dataset.idleMinutes || 0);
  var warning = document.getElementById("idle-warning");
  if (!minutes || !warning) { return; }
  var lead = Math.min(2, minutes / 2);
  window.setTimeout(function () { warning.hidden = false; }, (minutes - lead) * 60 * 1000);
})();
