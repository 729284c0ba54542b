"""axe-core (Deque's accessibility engine, pinned in package.json) run on a page in the browser.

The project's CSP allows no inline or eval'd script, and it does not need to: Playwright's
``page.evaluate`` runs in the page through the DevTools protocol, which the page's CSP does not
govern, so axe's source is evaluated there as it is, and then ``axe.run()``.

Outside CI the caller is skipped with the reason when node_modules has no axe-core (run
`npm ci`; `make test` does); under CI=true that is a failure, as for the ical.js checks.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")

# The rules of WCAG 2.x A and AA plus axe's best practices, as axe runs them by default.
RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        targets: violation.nodes.map((node) => node.target.join(" ")),
        summaries: violation.nodes.map((node) => node.failureSummary),
    }));
}"""


def axe_source() -> str:
    if AXE.exists():
        return AXE.read_text(encoding="utf-8")
    reason = "node_modules/axe-core is missing: run `npm ci` (make test does)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the accessibility checks must run)")
    pytest.skip(reason)


def axe_violations(page, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """The page's axe-core violations of those impacts: id, impact, help, targets (CSS
    selectors of the offending elements) and what axe says would fix each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found = page.evaluate(RUN)
    return [violation for violation in found if violation["impact"] in impacts]


def readable(violations: list[dict]) -> str:
    """The violations as lines to read in a failed assertion."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            lines.append(f"    {target}: {' '.join(summary.split())[:300]}")
    return "\n".join(lines)
