// The board on the day: asks the server for the board again every few seconds and puts the
// answer in place (no page reload, no inline script for the CSP).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) {
    return;
  }
  var delay = 1000 * (parseInt(board.dataset.seconds, 10) || 5);
  function poll() {
    fetch(board.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html) {
          board.innerHTML = html;
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, delay * 2); });
  }
  window.setTimeout(poll, delay);
})();
