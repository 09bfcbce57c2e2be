"""Reports: JSON round trip and schema, SARIF 2.1.0 validity, Markdown content, HTML safety."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from analysis.engine.facts import AnalysisResult, FileFacts
from analysis.engine.model import Category, Finding, Severity, compute_fingerprint
from analysis.engine.reports import (
    MARKDOWN_TOP_FINDINGS,
    load_json_report,
    parse_json_report,
    render,
    report_dict,
)
from analysis.engine.scoring import compute_score

SCHEMAS = Path(__file__).resolve().parents[2] / "analysis" / "engine" / "schemas"
XSS = "<script>alert('pwned')</script>"


def finding(
    detector: str,
    category: str,
    severity: str,
    path: str,
    line: int,
    message: str = "something is wrong",
    **extra,
) -> Finding:
    data = {
        "column": 4,
        "end_line": line,
        "end_column": 20,
        "symbol": "pkg.mod.func",
        "snippet": "x = eval(data)",
        "confidence": 0.9,
        "effort_minutes": 10,
    }
    data.update(extra)
    f = Finding(
        detector=detector,
        category=category,
        severity=severity,
        title=detector.replace("-", " ").capitalize(),
        message=message,
        path=path,
        line=line,
        **data,
    )
    f.fingerprint = compute_fingerprint(detector, path, f.symbol, f.snippet, str(line))
    return f


DETECTORS = [
    {
        "id": "code-injection",
        "category": "security",
        "severity": "critical",
        "title": "Code injection",
        "description": "eval/exec of a non-constant.",
        "cwe": "CWE-95",
        "effort_minutes": 30,
        "thresholds": {},
    },
    {
        "id": "bare-or-swallowed-except",
        "category": "bug_risk",
        "severity": "medium",
        "title": "Bare or swallowed except",
        "description": "An except that hides errors.",
        "cwe": "CWE-396",
        "effort_minutes": 10,
        "thresholds": {},
    },
    {
        "id": "high-cyclomatic-complexity",
        "category": "complexity",
        "severity": "medium",
        "title": "High cyclomatic complexity",
        "description": "Too many paths.",
        "cwe": None,
        "effort_minutes": 30,
        "thresholds": {"max": 10},
    },
]


def make_result(findings: list[Finding] | None = None) -> AnalysisResult:
    if findings is None:
        findings = [
            finding("code-injection", "security", "critical", "pkg/mod.py", 12, message=f"eval of {XSS}"),
            finding("bare-or-swallowed-except", "bug_risk", "medium", "pkg/other module.py", 3, message="a | b"),
            finding(
                "high-cyclomatic-complexity",
                "complexity",
                "low",
                "pkg/mod.py",
                40,
                message="Complexity 14 > 10 in `func`",
                metadata={"value": 14, "threshold": 10, "names": {"b", "a"}, "span": (40, 90)},
                snippet="</pre><img src=x onerror=alert(1)>",
            ),
            finding("parse-error", "bug_risk", "high", "pkg/broken.py", 0, column=0, end_line=0, end_column=0),
            finding("todo-comment", "documentation", "info", "pkg/mod.py", 7, message="TODO: ünïcode ✓"),
        ]
    files = {
        "pkg/mod.py": FileFacts(path="pkg/mod.py", module="pkg.mod", content_hash="1", lines=300, code_lines=240),
        "pkg/other module.py": FileFacts(path="pkg/other module.py", module="pkg.other", content_hash="2", code_lines=60),
    }
    metrics = {"duplicated_lines_percent": 2.5, "graph": {"nodes": 12, "edges": 30}}
    return AnalysisResult(
        root="/srv/checkouts/demo",
        commit="0123abcd",
        files_analyzed=2,
        lines_analyzed=300,
        findings=findings,
        score=compute_score(findings, files, metrics),
        files=files,
        skipped={"binary": 2, "too_large": 1},
        metrics=metrics,
        timings={"parse": 0.5, "detectors": 1.25},
        detectors=DETECTORS,
    )


def html_data(text: str) -> dict:
    """The findings an HTML report carries (its JSON data block)."""
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.DOTALL)
    assert block, "no data block"
    return json.loads(block.group(1))


# --- JSON ---


def test_json_report_has_the_documented_shape():
    data = json.loads(render(make_result(), "json"))
    schema = json.loads((SCHEMAS / "report-1.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["schema_version"].startswith("1.")
    assert data["summary"]["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 1}
    assert data["skipped"] == {"binary": 2, "too_large": 1}
    assert [d["id"] for d in data["detectors"]] == sorted(d["id"] for d in DETECTORS)
    assert data["score"]["grade"] in "ABCDF"
    assert set(data["score"]["pillars"]) == {"security", "reliability", "maintainability", "architecture"}


def test_json_findings_are_sorted_and_output_is_deterministic():
    result = make_result()
    text = render(result, "json")
    result.findings.reverse()
    assert render(result, "json") == text
    keys = [(f["path"], f["line"]) for f in json.loads(text)["findings"]]
    assert keys == sorted(keys)


def test_json_round_trips():
    result = make_result()
    text = render(result, "json")
    loaded = load_json_report(text)
    assert render(loaded, "json") == text
    assert sorted(f.fingerprint for f in loaded.findings) == sorted(f.fingerprint for f in result.findings)
    assert loaded.score.overall == result.score.overall
    assert loaded.score.pillars == result.score.pillars


def test_json_metadata_sets_and_tuples_become_sorted_lists():
    data = json.loads(render(make_result(), "json"))
    meta = next(f for f in data["findings"] if f["detector"] == "high-cyclomatic-complexity")["metadata"]
    assert meta == {"value": 14, "threshold": 10, "names": ["a", "b"], "span": [40, 90]}


def test_enum_category_and_severity_are_written_as_plain_strings():
    f = finding("code-injection", "security", "high", "a.py", 1)
    f.category = Category.SECURITY
    f.severity = Severity.HIGH
    data = json.loads(render(make_result([f]), "json"))
    assert data["findings"][0]["category"] == "security"
    assert data["findings"][0]["severity"] == "high"


def test_baseline_fingerprints_from_json_and_sarif_reports():
    result = make_result()
    expected = sorted({f.fingerprint for f in result.findings})
    assert parse_json_report(render(result, "json")) == expected
    assert parse_json_report(render(result, "sarif")) == expected


@pytest.mark.parametrize("text", ["not json", "[]", '{"findings": []}', '{"schema_version": "2.0", "findings": []}'])
def test_baseline_refuses_what_is_not_a_report(text):
    with pytest.raises(ValueError):
        parse_json_report(text)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown report format"):
        render(make_result(), "pdf")


# --- SARIF ---


def sarif_schema_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


def test_sarif_is_valid_against_the_oasis_schema():
    data = json.loads(render(make_result(), "sarif"))
    errors = sorted(sarif_schema_validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert data["version"] == "2.1.0"
    assert "sarif" in data["$schema"]


def test_sarif_schema_check_can_fail():
    data = json.loads(render(make_result(), "sarif"))
    data["runs"][0]["results"][0]["level"] = "fatal"
    data["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(list(sarif_schema_validator().iter_errors(data))) >= 2


def test_sarif_rules_and_results():
    result = make_result()
    run = json.loads(render(result, "sarif"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "Repotoire"
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids)
    assert "parse-error" in ids and "todo-comment" in ids  # findings of unlisted detectors still get a rule
    injection = rules[ids.index("code-injection")]
    assert injection["defaultConfiguration"]["level"] == "error"
    assert injection["shortDescription"]["text"] == "Code injection"
    assert injection["fullDescription"]["text"] == "eval/exec of a non-constant."
    assert injection["properties"]["category"] == "security"
    assert "external/cwe/cwe-95" in injection["properties"]["tags"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {
        "code-injection": "error",
        "parse-error": "error",
        "bare-or-swallowed-except": "warning",
        "high-cyclomatic-complexity": "note",
        "todo-comment": "note",
    }
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        assert len(item["partialFingerprints"]["repotoire/v1"]) == 32


def test_sarif_locations_are_relative_and_one_based():
    run = json.loads(render(make_result(), "sarif"))["runs"][0]
    by_rule = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in run["results"]}
    injection = by_rule["code-injection"]
    assert injection["artifactLocation"]["uri"] == "pkg/mod.py"
    assert injection["region"]["startLine"] == 12
    assert injection["region"]["startColumn"] == 5
    assert injection["region"]["endLine"] == 12
    assert injection["region"]["endColumn"] == 21
    assert by_rule["bare-or-swallowed-except"]["artifactLocation"]["uri"] == "pkg/other%20module.py"
    whole_file = by_rule["parse-error"]["region"]
    assert whole_file["startLine"] == 1 and whole_file["startColumn"] == 1 and "endLine" not in whole_file
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///srv/checkouts/demo/"


def test_sarif_of_a_clean_run_is_valid():
    data = json.loads(render(make_result([]), "sarif"))
    assert not list(sarif_schema_validator().iter_errors(data))
    assert data["runs"][0]["results"] == []


# --- Markdown ---


def test_markdown_has_grade_pillars_and_counts():
    result = make_result()
    text = render(result, "markdown")
    assert f"**Grade {result.score.grade}**" in text
    assert f"{result.score.overall:.1f}" in text
    for pillar in ("Security", "Reliability", "Maintainability", "Architecture"):
        assert f"| {pillar} | {result.score.pillars[pillar.lower()]:.1f} |" in text
    for severity in ("critical", "high", "medium", "low", "info"):
        assert f"| {severity} | 1 |" in text
    assert "| bug\\_risk | 2 |" in text
    assert "Files skipped: 3" in text


def test_markdown_escapes_cells_and_raw_html():
    text = render(make_result(), "markdown")
    assert not re.search(r"(?<!\\)<", text)  # every "<" backslash-escaped: no tag can open
    assert "\\<script>" in text
    assert "a \\| b" in text
    top = text.split("## Top findings", 1)[1].splitlines()
    assert top[4].startswith("| critical | issue | code-injection |")  # worst first


def test_markdown_truncates_the_findings_table_with_a_count():
    many = [finding("todo-comment", "documentation", "info", f"f{i:03}.py", i + 1) for i in range(MARKDOWN_TOP_FINDINGS + 7)]
    text = render(make_result(many), "markdown")
    rows = [line for line in text.split("## Top findings", 1)[1].splitlines() if line.startswith("| info |")]
    assert len(rows) == MARKDOWN_TOP_FINDINGS
    assert "and 7 more findings not shown" in text


# --- HTML ---


def test_markdown_prints_arrows_and_ampersands_as_written():
    f = finding("import-cycle", "architecture", "medium", "a.py", 1, message="a -> b -> a & c; x &amp; y")
    text = render(make_result([f]), "markdown")
    assert "a -> b -> a & c; x \\&amp; y" in text
    assert "&gt;" not in text


def test_html_escapes_everything_from_the_analysed_code():
    text = render(make_result(), "html")
    assert XSS not in text
    assert "<img src=x" not in text and "</pre><img" not in text
    assert text.count("<script>") == 1  # our filter script only; the data block is not executable
    messages = [item["msg"] for item in html_data(text)["findings"]]
    assert f"eval of {XSS}" in messages  # intact in the data, escaped by the script that shows it


def test_html_is_self_contained():
    text = render(make_result(), "html")
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
    assert "@import" not in text and "url(" not in text
    assert "http://" not in text and "https://" not in text
    assert "default-src 'none'" in text


def test_html_script_is_pinned_by_its_hash_in_the_csp():
    import base64
    import hashlib

    text = render(make_result(), "html")
    script = re.search(r"<script>(.*?)</script>", text, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in text


def test_html_has_summary_charts_and_filters():
    result = make_result()
    text = render(result, "html")
    assert f"<b>{result.score.grade}</b>" in text
    assert text.count("<svg") == 3  # pillar bars, severity bars, category donut
    assert len(html_data(text)["findings"]) == 5
    for control in ("f-q", "f-sev", "f-cat", "f-det", "f-group"):
        assert f'id="{control}"' in text
    assert '<option value="bug_risk">bug_risk (2)</option>' in text


def test_report_dict_keeps_every_finding():
    result = make_result()
    assert len(report_dict(result)["findings"]) == len(result.findings)


def test_reports_of_a_real_analysis_are_valid():
    from analysis.engine import analyze

    result = analyze(str(Path(__file__).parent / "samples" / "bad_project"))
    assert result.findings
    sarif = json.loads(render(result, "sarif"))
    assert not list(sarif_schema_validator().iter_errors(sarif))
    report = json.loads(render(result, "json", scope="all", min_confidence=0.0))
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "report-1.json").read_text())).validate(report)
    assert len(report["findings"]) == len(result.findings)
    html_text = render(result, "html", scope="all", min_confidence=0.0)
    assert len(html_data(html_text)["findings"]) == len(result.findings)
    assert f"**Grade {result.score.grade}**" in render(result, "markdown")
