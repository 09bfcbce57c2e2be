"""The HTML report in Debian's Chromium.

A Django-size report (10,000 generated findings, long dotted symbols, deep paths) opened as a
file: it fits 1,400 px and 390 px without horizontal scrolling, a severity filter completes in
under a second, the header names the repository, anchors and grouping work, nothing from the
analysed code runs. Then a real analysis through the running platform: the report it serves names
the repository, branch and commit, fits a phone, and loads nothing from anywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from analysis.engine.reports import ReportContext, render
from tests.browser.conftest import assert_all_local
from tests.engine.report_helpers import synthetic_result
from tests.gitrepo import commit_files, git

XSS = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"

# one filter as a person sees it: the change event, filtering every finding, rendering the rows,
# and the layout of the next frame
FILTER_JS = """([id, value]) => new Promise(resolve => {
    const start = performance.now(), control = document.getElementById(id);
    control.value = value;
    control.dispatchEvent(new Event("change"));
    requestAnimationFrame(() => { document.body.offsetHeight; resolve(performance.now() - start); });
})"""


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = synthetic_result(10_000)
    result.findings[0].message = f"injected {XSS}"
    result.findings[0].severity = "critical"
    context = ReportContext(name="django/django", branch="main", commit=result.commit or "")
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render(result, "html", context), encoding="utf-8")
    return path


class ReportPage:
    """A page on the report file, with the errors and requests it produced."""

    def __init__(self, browser: Browser, report: Path, width: int, fragment: str = "") -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(report.as_uri() + fragment)
        self.page.wait_for_selector("body[data-ready]")


@pytest.fixture
def open_report(browser: Browser, report_file: Path, tmp_path: Path) -> Iterator:
    """``open_report(width, fragment="")``; a failed test leaves screenshots in its tmp_path."""
    pages: list[ReportPage] = []

    def open_(width: int, fragment: str = "") -> ReportPage:
        pages.append(ReportPage(browser, report_file, width, fragment))
        return pages[-1]

    failed = True
    try:
        yield open_
        failed = False
    finally:
        for i, report in enumerate(pages):
            if failed:
                report.page.screenshot(path=str(tmp_path / f"report-{i}.png"), full_page=True)
            report.page.close()


def fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1400, 390])
def test_a_django_size_report_fits_the_width_and_filters_in_under_a_second(open_report, width: int):
    report = open_report(width)
    page = report.page
    assert page.inner_text("h1") == "Repotoire report: django/django"
    assert "Branch main" in page.inner_text("header")
    assert "10,000 findings are listed" in page.inner_text("#notice")
    assert page.locator("#list tbody tr").count() == 100
    assert fits(page)
    right = page.evaluate("Math.max(...[...document.querySelectorAll('#list tr')].map(r => r.getBoundingClientRect().right))")
    assert right <= width

    elapsed = page.evaluate(FILTER_JS, ["f-sev", "medium"])
    assert elapsed < 1000, f"filtering took {elapsed:.0f} ms"
    severities = page.locator("#list .sev").all_inner_texts()
    assert severities and set(severities) == {"medium"}
    assert "matching findings (10,000 in the report)" in page.inner_text("#status")
    assert fits(page)

    page.select_option("#f-group", "file")
    page.locator("details.grp summary").first.click()
    page.wait_for_selector("details.grp[open] tbody tr")  # rendered when opened
    assert fits(page)
    assert not report.errors
    assert all(url.startswith("file://") for url in report.requests)


def test_the_analysed_code_cannot_run_script_in_the_report(open_report):
    page = open_report(1400).page
    first = page.locator("#list tbody tr").first
    assert XSS in first.inner_text()  # shown as text
    assert page.locator("#list img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None


def test_a_finding_anchor_opens_its_page_and_highlights_it(open_report):
    page = open_report(1400).page
    anchor = page.evaluate("JSON.parse(document.getElementById('report-data').textContent).findings.at(-1).id")
    page = open_report(390, f"#{anchor}").page  # the last finding, 100 pages from the first
    row = page.locator(f"#{anchor}")
    assert row.is_visible()
    assert "hl" in (row.get_attribute("class") or "")
    assert "Page 100 of 100" in page.inner_text(".pager")
    assert fits(page)


def test_the_platform_serves_a_report_that_names_the_repository(browser_db, page: Page, network_log, base_url, tmp_path):
    from accounts import services as accounts
    from analysis import services as analysis
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(name="Report Org", slug="report-org")
    _, key = accounts.apikey_create(organization=org, created_by=accounts.service_user_for(org), name="r", role="owner")
    source = tmp_path / "checkout-folder"
    source.mkdir()
    git(source, "init", "-q", "-b", "main")
    commit_files(source, {"shop/__init__.py": "", "shop/views.py": "def run(x):\n    return eval(x)\n"}, "one")
    repo = analysis.repository_create(organization=org, name="acme-shop", clone_url=str(source))
    headers = {"X-API-Key": key}
    run = httpx.post(
        f"{base_url}/api/v1/analysis/trigger", json={"repository_id": str(repo.pk), "branch": "main"}, headers=headers
    ).json()
    deadline = time.monotonic() + 120
    status = run
    while status["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
        status = httpx.get(f"{base_url}/api/v1/analysis/{run['id']}/status", headers=headers).json()
    assert status["status"] == "completed", status

    page.set_extra_http_headers(headers)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/api/v1/analysis/{run['id']}/report?format=html")
    expect(page.locator("h1")).to_have_text("Repotoire report: acme-shop")
    header = page.inner_text("header")
    assert "Branch main" in header and f"Commit {git(source, 'rev-parse', 'HEAD')}" in header
    assert "checkout-folder" not in page.content() and "workspaces" not in page.content()
    expect(page.locator("#list tbody tr").first).to_be_visible()
    assert page.locator("#list .tag.new").count() >= 1  # a first analysis found everything first
    assert fits(page)
    assert_all_local(network_log)
