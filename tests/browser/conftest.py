"""Browser tests: Playwright for Python driving Debian's headless chromium against live_server.

Browser downloads are not possible, so Playwright launches the system chromium by path
(`.ci/run` installs it with apt when it is missing). Outside CI the module is skipped with the
reason when chromium or Playwright is missing; in CI (CI=true) that is a failure instead.
"""

import os
import shutil
import warnings
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def _missing() -> str:
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    return ""


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
    thread with a running loop unless told they are safe, and here they are (one test at a
    time). Only while these tests run: anywhere else the variable would leak into subprocesses
    (`check --deploy` refuses it) and hide real async-safety errors."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_orm_beside_playwright):
    # Module-scoped, so the event loop stops before the tests of other modules run.
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Asia/Hong_Kong"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot of a page now: var/screenshots/<test>/NN-<step>.png."""
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0

    def take(page, step: str) -> Path:
        nonlocal count
        count += 1
        path = folder / f"{count:02d}-{step}.png"
        # A picture for people to look at, not a check: on a machine too busy to draw one in
        # time (fonts for a full page of CJK), say so and go on with the test.
        try:
            page.screenshot(path=str(path), full_page=True, timeout=30_000)
        except PlaywrightTimeoutError:
            warnings.warn(f"screenshot {path.name} not taken: too slow", stacklevel=2)
        return path

    take.folder = folder
    return take
