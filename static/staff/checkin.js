// Check-in by QR code: where the browser can read barcodes (BarcodeDetector) and has a camera,
// a "Scan" button fills the code field from the camera and sends the form. Elsewhere the code is
// typed; nothing here is needed for that.
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("checkin-scan");
    var video = document.getElementById("checkin-camera");
    var field = document.getElementById("id_code");
    if (!button || !video || !field || !("BarcodeDetector" in window)) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    button.hidden = false;
    var stream = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
    }

    button.addEventListener("click", function () {
      if (stream) { stop(); return; }
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" } })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          return video.play();
        })
        .then(function look() {
          if (!stream) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              field.value = codes[0].rawValue;
              stop();
              field.form.requestSubmit();
            } else {
              window.setTimeout(look, 250);
            }
          }, function () { window.setTimeout(look, 500); });
        })
        .catch(function () { stop(); field.focus(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
