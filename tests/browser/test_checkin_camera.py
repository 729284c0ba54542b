"""Check-in by camera on a phone (390 × 844): where the browser has BarcodeDetector, "Scan a QR
code" opens the back camera, and the code the detector reads checks its attendee in; where it
has none, the button stays hidden and the code is typed (test_checkin_phone).

Chromium on Linux has no BarcodeDetector, and the test machine no camera, so an init script
stands in for both: a detector that sees nothing for its first looks (a phone being pointed at
the code), then the attendee's QR code as segno writes it ("K7QM-3XHP"), and a camera whose
stream is a canvas's. What they were asked for is kept in sessionStorage, which outlives the
form's submission.
"""

import json

import pytest
from playwright.sync_api import expect

from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory
from visitors.arrivals.codes import shown
from visitors.arrivals.models import Arrival

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

CAMERA = """
(() => {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const paint = canvas.getContext("2d");
  let frame = 0;
  const draw = () => {
    paint.fillStyle = frame++ % 2 ? "#fff" : "#eee";
    paint.fillRect(0, 0, canvas.width, canvas.height);
  };
  const asked = (key, value) => {
    const seen = JSON.parse(sessionStorage.getItem("scan") || "{}");
    (seen[key] = seen[key] || []).push(value);
    sessionStorage.setItem("scan", JSON.stringify(seen));
  };
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: {
      getUserMedia(constraints) {
        asked("camera", constraints);
        draw();
        const stream = canvas.captureStream(10);
        window.setInterval(draw, 100);
        return Promise.resolve(stream);
      },
    },
  });
})();
"""

DETECTOR = """
(() => {
  const code = %s;
  let looks = 0;
  window.BarcodeDetector = class {
    constructor(options) {
      const seen = JSON.parse(sessionStorage.getItem("scan") || "{}");
      seen.formats = options.formats;
      sessionStorage.setItem("scan", JSON.stringify(seen));
    }
    static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
    detect(source) {
      // A real detector reads frames: none until the camera plays in the video element.
      const playing = source instanceof HTMLVideoElement && source.srcObject
        && !source.hidden && source.readyState >= 2;
      looks += 1;
      if (!playing || looks < 3) return Promise.resolve([]);
      return Promise.resolve([{ format: "qr_code", rawValue: code }]);
    }
  };
})();
"""

NO_DETECTOR = "delete window.BarcodeDetector;"


@pytest.fixture
def door():
    """A confirmed ceremony on 4 March 2030 with three on the list."""
    event = EventFactory(title="Opening of the Data Centre", status=Event.Status.CONFIRMED)
    return [AttendanceFactory(event=event) for _ in range(3)]


def _phone_at_the_door(browser, live_server, officer, *scripts: str):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB", timezone_id="Asia/Hong_Kong"
    )
    context.set_default_timeout(10_000)
    for script in scripts:
        context.add_init_script(script)
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login/?next=/staff/check-in/%3Fdate%3D2030-03-04")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/check-in/**")
    return context, page


def test_checkin_by_camera_checks_in_the_attendee_whose_code_is_read(
    browser, live_server, officer, door, screenshot
):
    second = door[1]
    detector = DETECTOR % json.dumps(shown(second.checkin_code))
    context, page = _phone_at_the_door(browser, live_server, officer, CAMERA, detector)

    page.get_by_role("button", name="Scan a QR code").tap()

    page.wait_for_selector(f"#attendee-{second.pk} .arrived")
    expect(page.locator("#arrived-count")).to_have_text("1")
    expect(page.locator(".messages")).to_contain_text(f"{second.person} has arrived.")
    expect(page.locator(f"#attendee-{second.pk} .arrival-record")).to_contain_text("by officer")
    expect(page.locator("#checkin-camera")).to_be_hidden()
    screenshot(page, "checked-in-by-camera")
    asked = json.loads(page.evaluate("() => sessionStorage.getItem('scan')"))
    assert asked == {
        "camera": [{"video": {"facingMode": "environment"}}],
        "formats": ["qr_code"],
    }
    arrivals = Arrival.objects.filter(undone_at__isnull=True)
    assert [(a.attendance_id, a.by) for a in arrivals] == [(second.pk, officer)]
    second.refresh_from_db()
    assert second.checked_in_at is not None
    context.close()


def test_checkin_without_barcode_detector_has_no_scan_button(browser, live_server, officer, door):
    context, page = _phone_at_the_door(browser, live_server, officer, CAMERA, NO_DETECTOR)

    has_detector = page.evaluate("() => 'BarcodeDetector' in window")

    assert not has_detector
    expect(page.locator("#checkin-scan")).to_be_hidden()
    expect(page.get_by_role("button", name="Scan a QR code")).to_have_count(0)
    expect(page.get_by_role("button", name="Check in by code")).to_be_visible()
    assert not Arrival.objects.exists()
    context.close()
