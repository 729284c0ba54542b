// The invitation console's progress line: asks the server every few seconds while messages are
// still on their way, and stops when none are (no page reload, no inline script for the CSP).
(function () {
  "use strict";
  var line = document.getElementById("send-progress");
  if (!line || !window.fetch || line.dataset.waiting === "0") {
    return;
  }
  var delay = 3000;
  function poll() {
    fetch(line.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (progress) {
        if (!progress) {
          return;
        }
        line.textContent = progress.text;
        if (progress.waiting > 0) {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, delay * 2); });
  }
  window.setTimeout(poll, delay);
})();
