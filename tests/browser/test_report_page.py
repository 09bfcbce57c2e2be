"""The HTML report of a Django-size analysis (10,000 findings) in Debian's Chromium: it fits
1,400 px and 390 px without horizontal scrolling, a severity filter completes in under a second,
the header names the repository, anchors and grouping work, nothing from the analysed code runs.

The page is a file: the engine writes it and the platform serves the same bytes
(tests/analysis/test_report_page.py covers what the platform passes in)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from analysis.engine.reports import ReportContext, render
from tests.engine.report_helpers import synthetic_result

XSS = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
WIDTHS = (1400, 390)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium, never a downloaded build."""
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed (apt-get install -y chromium)"
    return {
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = synthetic_result(10_000)
    result.findings[0].message = f"injected {XSS}"
    result.findings[0].severity = "critical"
    context = ReportContext(name="django/django", branch="main", commit=result.commit or "")
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render(result, "html", context), encoding="utf-8")
    return path


def open_report(browser: Browser, report: Path, width: int, fragment: str = "") -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri() + fragment)
    page.wait_for_selector("body[data-ready]")
    page.errors, page.requests = errors, requests  # type: ignore[attr-defined]
    return page


def fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_report_fits_the_width_and_filters_fast(browser: Browser, report_file: Path, width: int, tmp_path: Path):
    page = open_report(browser, report_file, width)
    try:
        assert page.inner_text("h1") == "Repotoire report: django/django"
        assert "Branch main" in page.inner_text("header")
        assert "All 10,000 findings are listed" in page.inner_text("#notice")
        assert page.locator("#list tbody tr").count() == 100
        assert fits(page)
        right = page.evaluate("Math.max(...[...document.querySelectorAll('#list tr')].map(r => r.getBoundingClientRect().right))")
        assert right <= width

        # one filter: event, filtering 10,000 findings, rendering, and the layout that follows
        elapsed = page.evaluate(
            """() => new Promise(resolve => {
                const start = performance.now(), select = document.getElementById("f-sev");
                select.value = "medium";
                select.dispatchEvent(new Event("change"));
                requestAnimationFrame(() => { document.body.offsetHeight; resolve(performance.now() - start); });
            })"""
        )
        assert elapsed < 1000, f"filtering took {elapsed:.0f} ms"
        severities = page.locator("#list .sev").all_inner_texts()
        assert severities and set(severities) == {"medium"}
        assert "of " in page.inner_text("#status") and "matching findings (10,000 in the report)" in page.inner_text("#status")
        assert fits(page)

        page.select_option("#f-group", "file")
        page.locator("details.grp summary").first.click()
        page.wait_for_selector("details.grp[open] tbody tr")  # rendered when opened (the toggle event)
        assert fits(page)
        assert not page.errors  # type: ignore[attr-defined]
        assert all(url.startswith("file://") for url in page.requests)  # type: ignore[attr-defined]
    finally:
        page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=False)
        page.close()


def test_the_analysed_code_cannot_run_script_in_the_report(browser: Browser, report_file: Path):
    page = open_report(browser, report_file, 1400)
    try:
        first = page.locator("#list tbody tr").first
        assert XSS in first.inner_text()  # shown as text
        assert page.locator("#list img").count() == 0
        assert page.evaluate("document.body.dataset.pwned") is None
    finally:
        page.close()


def test_a_finding_anchor_opens_its_page_and_highlights_it(browser: Browser, report_file: Path):
    page = open_report(browser, report_file, 1400)
    try:
        # the last finding of the list, 100 pages away from the first
        page.click(".pager [data-step='1']")
        anchor = page.evaluate("JSON.parse(document.getElementById('report-data').textContent).findings.at(-1).id")
    finally:
        page.close()
    page = open_report(browser, report_file, 390, f"#{anchor}")
    try:
        row = page.locator(f"#{anchor}")
        assert row.is_visible()
        assert "hl" in (row.get_attribute("class") or "")
        assert "Page 100 of 100" in page.inner_text(".pager")
        assert fits(page)
    finally:
        page.close()
