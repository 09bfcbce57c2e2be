"""The HTML report on a real repository's scale: every finding, where it came from without a
server path, the measured time, triage and "new" from the platform, anchors. The page's
behaviour in a browser (filters, widths) is in tests/browser/test_report_page.py."""

from __future__ import annotations

import re

from analysis.engine.model import Finding
from analysis.engine.reports import ReportContext, render
from tests.engine.report_helpers import synthetic_result
from tests.engine.test_reports import finding, html_data, make_result


def test_every_finding_of_a_django_size_run_is_in_the_page_and_the_top_says_so():
    result = synthetic_result(10_000)
    text = render(result, "html")
    items = html_data(text)["findings"]
    assert len(items) == 10_000
    assert sorted(i["id"] for i in items) == sorted({i["id"] for i in items})  # one anchor each
    notice = re.search(r'<p class="notice" id="notice">(.*?)</p>', text).group(1)
    assert "10,000 findings are listed" in notice
    assert "longer than 8 lines are cut" in notice  # the only thing left out, said where it shows
    assert text.index('id="notice"') < text.index('id="findings"')


def test_snippets_are_clipped_and_dedented():
    f = finding("god-class", "design", "medium", "a.py", 3, snippet="\n".join(f"    x{n} = {n}" for n in range(20)))
    (item,) = html_data(render(make_result([f]), "html"))["findings"]
    assert item["snip"].splitlines()[:2] == ["x0 = 0", "x1 = 1"]
    assert item["snip"].endswith("\n…") and "x8" not in item["snip"]


def test_header_names_the_directory_not_the_server_path():
    text = render(make_result(), "html")  # root is /srv/checkouts/demo
    assert "/srv/checkouts" not in text
    assert "<h1>Repotoire report: demo</h1>" in text
    assert "<p>Commit 0123abcd</p>" in text


def test_header_names_the_repository_branch_and_commit_the_platform_passes():
    context = ReportContext(name="acme/shop", branch="main", commit="9f1c2ab34d5e")
    text = render(make_result(), "html", context)
    assert "<h1>Repotoire report: acme/shop</h1>" in text
    assert "<p>Branch main</p><p>Commit 9f1c2ab34d5e</p>" in text
    assert ">demo<" not in text and "/srv/" not in text
    markdown = render(make_result(), "markdown", context)
    assert markdown.startswith("# Repotoire report: acme/shop\n")
    assert "Branch main · Commit 9f1c2ab34d5e" in markdown


def test_analysis_time_is_the_measured_total_not_the_sum_of_stages():
    text = render(synthetic_result(50), "html")
    assert "<dt>Analysis time</dt><dd>49.80 s</dd>" in text  # stages and detector CPU sum to 111.6


def test_triage_status_and_new_findings_from_the_platform():
    result = make_result()
    first, second = result.findings[0], result.findings[1]
    context = ReportContext(
        triage={first.fingerprint: "false_positive", second.fingerprint: "open"}, new=frozenset({second.fingerprint})
    )
    text = render(result, "html", context)
    items = {i["det"]: i for i in html_data(text)["findings"]}
    assert items[first.detector]["status"] == "false_positive" and "new" not in items[first.detector]
    assert items[second.detector]["status"] == "open" and items[second.detector]["new"] == 1
    assert 'id="f-status"' in text and 'id="f-fresh"' in text
    plain = render(result, "html")
    assert 'id="f-status"' not in plain and 'id="f-fresh"' not in plain
    assert all("status" not in i and "new" not in i for i in html_data(plain)["findings"])


class _TrustedFinding(Finding):
    """A finding as the trust and language work report it (kind, role, language, taint path)."""

    def to_dict(self) -> dict:
        return {
            **super().to_dict(),
            "kind": "vulnerability",
            "role": "test" if self.path.startswith("tests/") else "source",
            "language": "python",
            "taint_path": [{"path": self.path, "line": 1, "note": "request.args"}],
        }


def test_kind_role_language_and_taint_path_are_shown_when_the_findings_carry_them():
    findings = [
        _TrustedFinding(**{**finding("sql-injection", "security", "high", p, 4).to_dict()}) for p in ("a.py", "tests/b.py")
    ]
    text = render(make_result(findings), "html")
    items = html_data(text)["findings"]
    assert {i["role"] for i in items} == {"source", "test"}
    assert all(i["kind"] == "vulnerability" and i["lang"] == "python" for i in items)
    assert items[0]["taint"] == [{"path": items[0]["path"], "line": 1, "note": "request.args"}]
    assert 'id="f-role"' in text  # two roles: a filter; one kind, one language: no filter
    assert 'id="f-kind"' not in text and 'id="f-lang"' not in text


def test_anchors_are_stable_from_one_report_to_the_next():
    result = synthetic_result(300)
    first = [i["id"] for i in html_data(render(result, "html"))["findings"]]
    result.findings.reverse()
    again = [i["id"] for i in html_data(render(result, "html"))["findings"]]
    assert sorted(first) == sorted(again)
    assert all(re.fullmatch(r"f-[0-9a-f]{16}", anchor) for anchor in first)


def test_the_top_says_which_findings_the_view_leaves_out_and_how_to_list_them():
    result = synthetic_result(400)
    for f in result.findings[:30]:
        f.role = "test"
    for f in result.findings[30:35]:
        f.confidence = 0.2
    text = render(result, "html")
    notice = re.search(r'<p class="notice" id="notice">(.*?)</p>', text).group(1)
    assert "365 findings are listed" in notice
    assert "Not listed: 30 in tests, examples, vendored or generated files and 5 below confidence 0.5" in notice
    assert "?scope=all&amp;min_confidence=0" in notice and "--scope all --min-confidence 0" in notice
    assert len(html_data(text)["findings"]) == 365
    everything = render(result, "html", scope="all", min_confidence=0)
    assert "Not listed" not in everything and len(html_data(everything)["findings"]) == 400
    assert "Not listed: 30 in tests" in render(result, "markdown")
