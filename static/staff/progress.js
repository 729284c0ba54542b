// The invitation console's progress: asks the server every few seconds while messages are still
// on their way, shows the line and the counts it answers, and stops when none are waiting (no
// page reload, no inline script for the CSP).
(function () {
  "use strict";
  var section = document.getElementById("progress");
  var line = document.getElementById("send-progress");
  if (!section || !line || !window.fetch || section.dataset.waiting === "0") {
    return;
  }
  var delay = 3000;
  function show(progress) {
    line.textContent = progress.text;
    section.dataset.waiting = String(progress.waiting);
    var counts = section.querySelectorAll("[data-count]");
    for (var i = 0; i < counts.length; i++) {
      var value = progress[counts[i].dataset.count];
      if (typeof value === "number") {
        counts[i].textContent = String(value);
      }
    }
  }
  function poll() {
    fetch(section.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (progress) {
        if (!progress) {
          return;
        }
        show(progress);
        if (progress.waiting > 0) {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, delay * 2); });
  }
  window.setTimeout(poll, delay);
})();
