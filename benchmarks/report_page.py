"""The HTML report in Debian's Chromium at Django scale: size, load, and the time one filter takes.

    .venv/bin/python -m benchmarks.report_page                  # Django 5.2 analysed, then the page
    .venv/bin/python -m benchmarks.report_page --synthetic 20000  # a generated result of that size
    .venv/bin/python -m benchmarks.report_page --html report.html # a page saved from the platform

For each width (1,400 and 390 px) it prints the time until the list is drawn, then the in-page time
of each filter (from the control's change event to the next frame after layout: filtering every
finding, rendering the page of rows, layout), median and worst of five, and whether the page
scrolls sideways. Nothing is asserted; tests/browser/test_report_page.py checks the behaviour.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from analysis.engine.reports import ReportContext, render

_FILTER_JS = """([id, value]) => new Promise(resolve => {
    const start = performance.now(), control = document.getElementById(id);
    if (control.type === "checkbox") { control.checked = value === "1"; } else { control.value = value; }
    control.dispatchEvent(new Event(id === "f-q" ? "input" : "change"));
    requestAnimationFrame(() => { document.body.offsetHeight; resolve(performance.now() - start); });
})"""

STEPS = [
    ("f-sev", "info"),
    ("f-sev", "high"),
    ("f-sev", ""),
    ("f-q", "models"),
    ("f-q", ""),
    ("f-group", "file"),
    ("f-group", "detector"),
    ("f-group", ""),
]


def _result(synthetic: int | None):  # type: ignore[no-untyped-def]
    if synthetic:
        from tests.engine.report_helpers import synthetic_result

        return synthetic_result(synthetic), f"synthetic ({synthetic:,} findings)"
    from analysis.engine.pipeline import analyze
    from benchmarks._cache import project_source

    return analyze(str(project_source("django"))), "Django 5.2 package"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, help="use a generated result with this many findings")
    parser.add_argument("--html", help="measure this saved report page instead of rendering one")
    args = parser.parse_args(argv)
    path = Path(tempfile.mkdtemp(prefix="report-page-")) / "report.html"
    if args.html:
        shutil.copyfile(args.html, path)
        print(f"{args.html}: page {path.stat().st_size / 1e6:.1f} MB")
    else:
        result, label = _result(args.synthetic)
        started = time.perf_counter()
        page_html = render(result, "html", ReportContext(name="django/django", branch="main", commit=result.commit or ""))
        rendered = time.perf_counter() - started
        path.write_text(page_html, encoding="utf-8")
        size = len(page_html.encode()) / 1e6
        print(f"{label}: {len(result.findings):,} findings, page {size:.1f} MB, rendered in {rendered:.2f} s")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        for width in (1400, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            started = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-ready]")
            loaded = time.perf_counter() - started
            times: dict[str, list[float]] = {}
            for _ in range(5):
                for control, value in STEPS:
                    times.setdefault(f"{control}={value or '(all)'}", []).append(page.evaluate(_FILTER_JS, [control, value]))
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            print(f"\n{width} px: list drawn {loaded:.2f} s after navigation; sideways scroll: {'YES' if wide else 'no'}")
            for step, values in times.items():
                print(f"  {step:22} median {statistics.median(values):6.1f} ms   worst {max(values):6.1f} ms")
            page.close()
        browser.close()
    shutil.rmtree(path.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
