"""Reports of an analysis: JSON, SARIF 2.1.0, Markdown and a self-contained HTML page.

``render(result, fmt)`` is the one entry point. The JSON report has a stable, versioned schema
(``schemas/report-1.json``; additions keep ``schema_version`` 1.x, removals or renames bump the
major number) and is the only format that can be read back: ``load_json_report`` rebuilds the
``AnalysisResult`` (without per-file facts) and ``parse_json_report`` returns the fingerprints of
a JSON or SARIF report for the command line's ``--baseline``.

Everything that comes from the analysed code (paths, messages, snippets, symbols) is untrusted:
the HTML report escapes it and forbids any script but its own through a Content-Security-Policy
hash, and loads nothing from the network.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import hashlib
import html
import json
import math
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from analysis.engine import __version__
from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE, visible
from analysis.engine.facts import AnalysisResult, HealthScore
from analysis.engine.model import Category, Finding, Kind, Severity
from analysis.engine.scoring import PILLARS, grade_for

JSON_SCHEMA_VERSION = "1.1"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_FINGERPRINT_KEY = "repotoire/v1"
TOOL_NAME = "Repotoire"
FORMATS: tuple[str, ...] = ("json", "sarif", "markdown", "html")
SCOPES: tuple[str, ...] = ("source", "all")
MARKDOWN_TOP_FINDINGS = 50
HTML_MAX_ROWS = 5000

_FORMAT_ALIASES = {"md": "markdown", "htm": "html", "sarif-json": "sarif"}
_SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: s.rank, reverse=True)]
_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning sorts security alerts by this CVSS-like number.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def render(result: AnalysisResult, fmt: str, *, scope: str = "source", min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> str:
    """The report of ``result`` in ``fmt`` (json, sarif, markdown or html).

    Like the finding list, a report shows the findings of source files at or above the default
    confidence floor unless asked otherwise (``scope="all"``, ``min_confidence=0``); the JSON
    report says what it left out in ``view``."""
    name = _FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    renderers = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown, "html": render_html}
    if name not in renderers:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    shown = [f for f in result.findings if visible(f, scope=scope, min_confidence=min_confidence)]
    view = {"scope": scope, "min_confidence": min_confidence, "hidden": len(result.findings) - len(shown)}
    if name == "json":
        return render_json(dataclasses.replace(result, findings=shown), view=view)
    return renderers[name](dataclasses.replace(result, findings=shown))


def tool_version() -> str:
    return __version__


# --- helpers ---------------------------------------------------------------------------------


def _value(value: Any) -> str:
    return value.value if isinstance(value, enum.Enum) else str(value)


def _severity(finding: Finding) -> str:
    try:
        return Severity.parse(finding.severity).value
    except ValueError:
        return Severity.MEDIUM.value


def _rank(finding: Finding) -> int:
    return Severity(_severity(finding)).rank


def _jsonable(value: Any) -> Any:
    """Builtins only, deterministic (sets sorted), no NaN/Infinity (invalid JSON)."""
    kind = type(value)
    # exact-type fast path: reports of big projects hold hundreds of thousands of scalars
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k if type(k) is str else str(_jsonable(k)): _jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return _jsonable(dict(value))
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, PurePath):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)


_COMPACT_CHARS = 2000


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _fits(value: Any, budget: int) -> bool:
    """Whether ``value`` encodes to about ``budget`` characters or fewer; gives up as soon as
    the budget is spent, so checking a huge container costs no more than a small one."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            budget -= len(item) + 4
        elif isinstance(item, dict):
            budget -= 2 + 4 * len(item) + sum(len(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            budget -= 2 + 2 * len(item)
            stack.extend(item)
        else:
            budget -= 8
        if budget < 0:
            return False
    return True


def _pretty(value: Any, indent: str = "") -> str:
    """Indented JSON whose small containers (a finding, a rule, a SARIF result) stay on one
    line: readable, diff-friendly, and written by the C encoder (``indent=`` would force
    the pure-Python one, several seconds for Django's report)."""
    if not isinstance(value, dict | list) or not value or _fits(value, _COMPACT_CHARS):
        return _compact(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{_compact(key)}: {_pretty(value[key], inner)}" for key in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    items = [f"{inner}{_pretty(item, inner)}" for item in value]
    return "[\n" + ",\n".join(items) + "\n" + indent + "]"


def _dumps(data: Any) -> str:
    return _pretty(_jsonable(data)) + "\n"


def _finding_dict(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    data["category"] = _value(finding.category)
    data["severity"] = _severity(finding)
    return data


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Deterministic order for machine formats: by file, position, detector, fingerprint."""
    return sorted(
        findings,
        key=lambda f: (f.path, f.line, f.column, f.detector, f.fingerprint, f.message, f.end_line, f.end_column),
    )


def ranked_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Display order for people: worst first, then most certain, then by file and line."""
    return sorted(findings, key=lambda f: (-_rank(f), -float(f.confidence or 0), f.path, f.line, f.detector))


def summarize(findings: Iterable[Finding]) -> dict[str, Any]:
    findings = list(findings)
    by_severity = Counter(_severity(f) for f in findings)
    return {
        "findings": len(findings),
        "by_severity": {s: by_severity.get(s, 0) for s in _SEVERITIES},
        "by_category": dict(sorted(Counter(_value(f.category) for f in findings).items())),
        "by_detector": dict(sorted(Counter(f.detector for f in findings).items())),
        "by_kind": dict(sorted(Counter(f.kind for f in findings).items())),
        "by_role": dict(sorted(Counter(f.role for f in findings).items())),
        "effort_minutes": sum(int(f.effort_minutes or 0) for f in findings),
    }


def _score_dict(score: HealthScore) -> dict[str, Any]:
    return {"overall": score.overall, "grade": score.grade, "pillars": score.pillars, "details": score.details}


def _detector_dicts(result: AnalysisResult) -> list[dict[str, Any]]:
    return sorted((dict(d) for d in result.detectors), key=lambda d: str(d.get("id", "")))


# --- JSON ------------------------------------------------------------------------------------


def report_dict(result: AnalysisResult, view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON report as a dict (see ``schemas/report-1.json``); ``view`` says which findings
    ``result`` holds (default: all of them)."""
    return {
        "view": view or {"scope": "all", "min_confidence": 0.0, "hidden": 0},
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "root": result.root,
        "commit": result.commit,
        "files_analyzed": result.files_analyzed,
        "lines_analyzed": result.lines_analyzed,
        "score": _score_dict(result.score),
        "summary": summarize(result.findings),
        "metrics": result.metrics,
        "skipped": dict(sorted(result.skipped.items())),
        "timings": result.timings,
        "detectors": _detector_dicts(result),
        "findings": [_finding_dict(f) for f in sorted_findings(result.findings)],
    }


def render_json(result: AnalysisResult, view: dict[str, Any] | None = None) -> str:
    """Every finding of ``result`` (the stored form), unless ``view`` says they were filtered."""
    return _dumps(report_dict(result, view))


def load_json_report(text: str) -> AnalysisResult:
    """Rebuild an ``AnalysisResult`` from a JSON report (per-file facts are not in the report)."""
    data = json.loads(text)
    _check_json_report(data)
    score = data["score"]
    return AnalysisResult(
        root=data["root"],
        commit=data.get("commit"),
        files_analyzed=data["files_analyzed"],
        lines_analyzed=data["lines_analyzed"],
        findings=[Finding.from_dict(f) for f in data["findings"]],
        score=HealthScore(
            overall=score["overall"],
            grade=score["grade"],
            pillars=dict(score.get("pillars", {})),
            details=dict(score.get("details", {})),
        ),
        files={},
        skipped=dict(data.get("skipped", {})),
        metrics=dict(data.get("metrics", {})),
        timings=dict(data.get("timings", {})),
        detectors=list(data.get("detectors", [])),
    )


def _check_json_report(data: Any) -> None:
    if not isinstance(data, dict) or "schema_version" not in data or "findings" not in data:
        raise ValueError("not a Repotoire JSON report")
    major = str(data["schema_version"]).split(".", 1)[0]
    if major != JSON_SCHEMA_VERSION.split(".", 1)[0]:
        raise ValueError(f"unsupported report schema_version {data['schema_version']!r}")


def parse_json_report(text: str) -> list[str]:
    """Fingerprints of the findings in a previous report (JSON, or SARIF from this tool), sorted
    and unique: the command line's ``--baseline`` hides findings whose fingerprint is listed."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"baseline is not valid JSON: {exc}") from exc
    fingerprints: set[str] = set()
    if isinstance(data, dict) and "runs" in data and "schema_version" not in data:
        for run in data.get("runs") or []:
            for item in run.get("results") or []:
                fingerprint = (item.get("partialFingerprints") or {}).get(SARIF_FINGERPRINT_KEY)
                if fingerprint:
                    fingerprints.add(str(fingerprint))
    else:
        _check_json_report(data)
        fingerprints = {str(f["fingerprint"]) for f in data["findings"] if f.get("fingerprint")}
    return sorted(fingerprints)


# --- SARIF -----------------------------------------------------------------------------------


def _cwe_number(cwe: Any) -> str | None:
    digits = "".join(ch for ch in str(cwe or "") if ch.isdigit())
    return str(int(digits)) if digits else None


def _rule_name(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-") if part)


def _sarif_rule(spec: dict[str, Any]) -> dict[str, Any]:
    rule_id = str(spec["id"])
    category = _value(spec.get("category", "")) or "uncategorised"
    severity = str(_value(spec.get("severity", "medium"))).lower()
    title = str(spec.get("title") or rule_id)
    description = str(spec.get("description") or title)
    tags = [category]
    properties: dict[str, Any] = {"category": category, "severity": severity}
    if category == Category.SECURITY.value:
        tags.append("security")
        properties["security-severity"] = _SECURITY_SEVERITY.get(severity, "5.5")
    cwe = _cwe_number(spec.get("cwe"))
    if cwe:
        properties["cwe"] = f"CWE-{cwe}"
        tags.append(f"external/cwe/cwe-{cwe}")
    if spec.get("effort_minutes") is not None:
        properties["effort_minutes"] = spec["effort_minutes"]
    properties["tags"] = list(dict.fromkeys(tags))  # SARIF requires unique tags
    return {
        "id": rule_id,
        "name": _rule_name(rule_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": description},
        "defaultConfiguration": {"level": _SARIF_LEVEL.get(severity, "warning")},
        "properties": properties,
    }


def _sarif_rules(result: AnalysisResult) -> list[dict[str, Any]]:
    specs: dict[str, dict[str, Any]] = {str(d["id"]): d for d in result.detectors if d.get("id")}
    for finding in result.findings:
        # A finding of a detector missing from the run's list (e.g. parse-error) still needs a rule.
        specs.setdefault(
            finding.detector,
            {
                "id": finding.detector,
                "category": _value(finding.category),
                "severity": _severity(finding),
                "title": finding.title or finding.detector,
                "description": finding.title or finding.detector,
                "cwe": finding.cwe,
            },
        )
    return [_sarif_rule(specs[rule_id]) for rule_id in sorted(specs)]


def _artifact_uri(path: str) -> str:
    return quote(path.replace(os.sep, "/").replace("\\", "/").lstrip("/"), safe="/")


def _region(finding: Finding) -> dict[str, Any]:
    start_line = max(1, int(finding.line or 0))
    start_column = max(0, int(finding.column or 0)) + 1
    region: dict[str, Any] = {"startLine": start_line, "startColumn": start_column}
    end_line = int(finding.end_line or 0)
    if end_line >= start_line:
        region["endLine"] = end_line
        # Finding columns are 0-based like ast's offsets; SARIF's endColumn is 1-based and
        # exclusive, so both shift by one.
        end_column = int(finding.end_column or 0) + 1
        if end_column > 1 and (end_line > start_line or end_column > start_column):
            region["endColumn"] = end_column
    if finding.snippet:
        region["snippet"] = {"text": finding.snippet}
    return region


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    severity = _severity(finding)
    message = finding.message or finding.title or finding.detector
    properties: dict[str, Any] = {
        "category": _value(finding.category),
        "severity": severity,
        "confidence": finding.confidence,
        "effort_minutes": finding.effort_minutes,
    }
    if finding.symbol:
        properties["symbol"] = finding.symbol
    if finding.cwe:
        properties["cwe"] = finding.cwe
    if finding.metadata:
        properties["metadata"] = finding.metadata
    properties["kind"] = finding.kind
    properties["role"] = finding.role
    # SARIF: a result that is not a failure ("review": a hotspot to look at once) has level none
    hotspot = finding.kind == Kind.HOTSPOT
    item: dict[str, Any] = {
        "ruleId": finding.detector,
        "ruleIndex": rule_index,
        "kind": "review" if hotspot else "fail",
        "level": "none" if hotspot else _SARIF_LEVEL[severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                    "region": _region(finding),
                }
            }
        ],
        "properties": properties,
    }
    if finding.symbol:
        item["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": finding.symbol}]
    if finding.fingerprint:
        item["partialFingerprints"] = {SARIF_FINGERPRINT_KEY: finding.fingerprint}
    if finding.taint_path:
        item["codeFlows"] = [{"threadFlows": [{"locations": [_flow_location(step) for step in finding.taint_path]}]}]
    return item


def _flow_location(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "location": {
            "physicalLocation": {
                "artifactLocation": {"uri": _artifact_uri(str(step.get("path", ""))), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(1, int(step.get("line") or 0))},
            },
            "message": {"text": str(step.get("note") or "")},
        }
    }


def sarif_dict(result: AnalysisResult) -> dict[str, Any]:
    rules = _sarif_rules(result)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version(),
                "semanticVersion": tool_version(),
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True}],
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(f, index[f.detector]) for f in sorted_findings(result.findings)],
        "properties": {
            "repotoire": {
                "schema_version": JSON_SCHEMA_VERSION,
                "commit": result.commit,
                "files_analyzed": result.files_analyzed,
                "lines_analyzed": result.lines_analyzed,
                "score": {"overall": result.score.overall, "grade": result.score.grade, "pillars": result.score.pillars},
                "skipped": dict(sorted(result.skipped.items())),
            }
        },
    }
    if result.root and os.path.isabs(result.root):
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path(result.root).as_uri().rstrip("/") + "/"}}
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(result: AnalysisResult) -> str:
    return _dumps(sarif_dict(result))


# --- Markdown --------------------------------------------------------------------------------


def _md(text: Any) -> str:
    """Safe inside a Markdown table cell: no raw HTML, no cell breaks, no line breaks."""
    escaped = html.escape(str(text), quote=False)
    for raw, safe in (("\\", "\\\\"), ("|", "\\|"), ("`", "\\`"), ("*", "\\*"), ("_", "\\_"), ("[", "\\[")):
        escaped = escaped.replace(raw, safe)
    return " ".join(escaped.split())


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _project_name(result: AnalysisResult) -> str:
    return PurePath(result.root).name or result.root or "project"


def _location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def taint_path_text(finding: Finding) -> str:
    """`` — path: a.py:3 request.GET → a.py:9 os.system`` for a finding with a taint path."""
    if not finding.taint_path:
        return ""
    steps = " → ".join(f"{s.get('path')}:{s.get('line')} {s.get('note')}".strip() for s in finding.taint_path)
    return f" — path: {steps}"


def render_markdown(result: AnalysisResult) -> str:
    score = result.score
    summary = summarize(result.findings)
    details = score.details or {}
    lines = [
        f"# Repotoire report: {_md(_project_name(result))}",
        "",
        (
            f"**Grade {_md(score.grade)}** · health score **{score.overall:.1f}**/100 · "
            f"{result.files_analyzed:,} files · {result.lines_analyzed:,} code lines · "
            f"{summary['findings']:,} findings"
        ),
    ]
    if result.commit:
        lines.append(f"Commit {_md(result.commit)}")
    lines += ["", "## Pillars", "", "| Pillar | Score | Grade | Findings |", "|---|---:|:---:|---:|"]
    pillar_details = details.get("pillars", {})
    for pillar in PILLARS:
        if pillar in score.pillars:
            value = score.pillars[pillar]
            count = pillar_details.get(pillar, {}).get("findings", "")
            lines.append(f"| {pillar.capitalize()} | {value:.1f} | {grade_for(value)} | {count} |")
    lines += ["", "## Findings by severity", "", "| Severity | Count |", "|---|---:|"]
    lines += [f"| {sev} | {count} |" for sev, count in summary["by_severity"].items()]
    lines += ["", "## Findings by category", "", "| Category | Count |", "|---|---:|"]
    if summary["by_category"]:
        lines += [f"| {_md(cat)} | {count} |" for cat, count in summary["by_category"].items()]
    else:
        lines.append("| (none) | 0 |")
    maintainability = pillar_details.get("maintainability", {})
    metrics = []
    if "debt_ratio" in maintainability:
        metrics.append(
            f"- Technical-debt ratio: {maintainability['debt_ratio'] * 100:.2f} % "
            f"(rating {maintainability.get('debt_rating', '?')})"
        )
    duplicated = result.metrics.get("duplicated_lines_percent")
    if isinstance(duplicated, int | float):
        metrics.append(f"- Duplicated lines: {duplicated:.1f} %")
    metrics.append(f"- Remediation effort: {summary['effort_minutes']:,} minutes")
    skipped = sum(result.skipped.values())
    if skipped:
        reasons = ", ".join(f"{_md(k)} {v}" for k, v in sorted(result.skipped.items()))
        metrics.append(f"- Files skipped: {skipped} ({reasons})")
    lines += ["", "## Metrics", "", *metrics]

    ranked = ranked_findings(result.findings)
    shown = ranked[:MARKDOWN_TOP_FINDINGS]
    lines += ["", "## Top findings", ""]
    if shown:
        lines += ["| Severity | Kind | Rule | Location | Message |", "|---|---|---|---|---|"]
        for f in shown:
            lines.append(
                f"| {_severity(f)} | {_md(f.kind)} | {_md(f.detector)} | {_md(_location(f))} | "
                f"{_md(_short(f.message or f.title, 200))}{_md(_short(taint_path_text(f), 300))} |"
            )
        if len(ranked) > len(shown):
            lines += ["", f"_… and {len(ranked) - len(shown):,} more findings not shown (see the JSON or HTML report)._"]
    else:
        lines.append("No findings.")
    return "\n".join(lines) + "\n"


# --- HTML ------------------------------------------------------------------------------------

_SEVERITY_COLOUR = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "info": "#9ca3af",
}
_CATEGORY_COLOUR = {
    "security": "#b91c1c",
    "bug_risk": "#ea580c",
    "performance": "#ca8a04",
    "complexity": "#7c3aed",
    "design": "#2563eb",
    "architecture": "#0f766e",
    "dead_code": "#64748b",
    "duplication": "#db2777",
    "documentation": "#16a34a",
    "testing": "#0891b2",
}
_GRADE_COLOUR = {"A": "#15803d", "B": "#65a30d", "C": "#ca8a04", "D": "#ea580c", "F": "#b91c1c"}
_OTHER_COLOURS = ("#a16207", "#4d7c0f", "#9333ea", "#be123c", "#155e75")

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2937;background:#f3f4f6}
header{background:#111827;color:#f9fafb;padding:18px 28px;display:flex;align-items:center;gap:22px}
header h1{font-size:20px;margin:0}
header p{margin:2px 0;color:#d1d5db}
main{padding:20px 28px;max-width:1400px;margin:auto}
.badge{width:76px;height:76px;border-radius:50%;display:flex;flex-direction:column;align-items:center;
justify-content:center;color:#fff;font-weight:700;flex:none}
.badge b{font-size:34px;line-height:1}
.badge span{font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px;margin-bottom:16px}
.card{background:#fff;border-radius:8px;padding:14px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card h2{font-size:15px;margin:0 0 10px}
dl{display:grid;grid-template-columns:auto 1fr;gap:3px 14px;margin:0}
dt{color:#6b7280}dd{margin:0}
svg text{font:12px system-ui,sans-serif;fill:#374151}
.legend{list-style:none;padding:0;margin:0;columns:2}
.legend li{margin:2px 0}
.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.filters{display:flex;gap:10px;flex-wrap:wrap;margin-bottom:10px;align-items:center}
.filters input,.filters select{padding:5px 8px;border:1px solid #d1d5db;border-radius:5px}
.filters input{min-width:260px}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f9fafb;position:sticky;top:0}
td.msg{max-width:520px}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{margin:4px 0 0;white-space:pre-wrap;background:#f9fafb;padding:4px 6px;border-radius:4px;max-height:9em;overflow:auto}
.sev{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px;white-space:nowrap}
.note{color:#6b7280}
"""

# Static: it never contains report data, so its hash can be pinned in the page's CSP.
_JS = """
(function () {
  var q = document.getElementById("q"), sev = document.getElementById("sev"), cat = document.getElementById("cat");
  var rows = document.querySelectorAll("#findings tbody tr"), shown = document.getElementById("shown");
  function apply() {
    var text = q.value.toLowerCase(), s = sev.value, c = cat.value, n = 0;
    rows.forEach(function (row) {
      var ok = (!s || row.dataset.sev === s) && (!c || row.dataset.cat === c) &&
        (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  [q, sev, cat].forEach(function (el) { el.addEventListener("input", apply); });
}());
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"


def _bar_chart(items: list[tuple[str, float, str]], max_value: float | None = None, suffix: str = "") -> str:
    """Horizontal bars: (label, value, colour)."""
    width, bar_x, bar_w, row_h = 380, 110, 210, 24
    top = max_value if max_value is not None else max((v for _, v, _ in items), default=0) or 1
    parts = [f'<svg viewBox="0 0 {width} {row_h * len(items) + 4}" width="100%" role="img">']
    for i, (label, value, colour) in enumerate(items):
        y = i * row_h + 2
        length = 0 if top <= 0 else bar_w * min(value, top) / top
        shown = f"{value:.1f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:g}"
        parts.append(
            f'<text x="0" y="{y + 15}">{_e(label)}</text>'
            f'<rect x="{bar_x}" y="{y + 3}" width="{bar_w}" height="16" rx="3" fill="#eef0f3"/>'
            f'<rect x="{bar_x}" y="{y + 3}" width="{length:.1f}" height="16" rx="3" fill="{_e(colour)}"/>'
            f'<text x="{bar_x + bar_w + 8}" y="{y + 15}">{_e(shown)}{_e(suffix)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _donut(items: list[tuple[str, int, str]]) -> str:
    total = sum(v for _, v, _ in items)
    radius, stroke = 60, 26
    circumference = 2 * math.pi * radius
    parts = ['<svg viewBox="0 0 180 180" width="180" height="180" role="img">']
    parts.append(f'<circle cx="90" cy="90" r="{radius}" fill="none" stroke="#eef0f3" stroke-width="{stroke}"/>')
    offset = 0.0
    for label, value, colour in items:
        if value <= 0 or total <= 0:
            continue
        length = circumference * value / total
        parts.append(
            f'<circle cx="90" cy="90" r="{radius}" fill="none" stroke="{_e(colour)}" stroke-width="{stroke}" '
            f'stroke-dasharray="{length:.3f} {circumference - length:.3f}" stroke-dashoffset="{-offset:.3f}" '
            f'transform="rotate(-90 90 90)"><title>{_e(label)}: {value}</title></circle>'
        )
        offset += length
    parts.append(f'<text x="90" y="96" text-anchor="middle" style="font-size:18px;font-weight:700">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _category_colours(categories: Iterable[str]) -> dict[str, str]:
    colours = {}
    spare = iter(_OTHER_COLOURS * 20)
    for category in categories:
        colours[category] = _CATEGORY_COLOUR.get(category) or next(spare)
    return colours


def _finding_row(finding: Finding) -> str:
    severity = _severity(finding)
    category = _value(finding.category)
    snippet = f"<pre>{_e(_short_block(finding.snippet))}</pre>" if finding.snippet else ""
    snippet += f'<br><span class="note">{_e(taint_path_text(finding))}</span>' if finding.taint_path else ""
    cwe = f" · {_e(finding.cwe)}" if finding.cwe else ""
    cwe += f" · {_e(finding.kind)}" if finding.kind != Kind.ISSUE else ""
    return (
        f'<tr data-sev="{_e(severity)}" data-cat="{_e(category)}">'
        f'<td><span class="sev" style="background:{_SEVERITY_COLOUR[severity]}">{_e(severity)}</span></td>'
        f'<td><code>{_e(finding.detector)}</code><br><span class="note">{_e(category)}{cwe}</span></td>'
        f'<td><code>{_e(_location(finding))}</code><br><span class="note">{_e(finding.symbol)}</span></td>'
        f'<td class="msg">{_e(finding.message or finding.title)}{snippet}</td>'
        f"<td>{_e(f'{float(finding.confidence or 0):.2f}')}</td>"
        "</tr>"
    )


def _short_block(text: str, max_lines: int = 8, max_chars: int = 800) -> str:
    lines = str(text).splitlines()
    clipped = "\n".join(lines[:max_lines])
    if len(clipped) > max_chars:
        clipped = clipped[:max_chars]
    return clipped + ("\n…" if clipped != str(text).rstrip("\n") else "")


def render_html(result: AnalysisResult) -> str:
    score = result.score
    summary = summarize(result.findings)
    details = score.details or {}
    pillar_details = details.get("pillars", {})
    grade_colour = _GRADE_COLOUR.get(score.grade, "#374151")
    name = _project_name(result)

    pillar_chart = _bar_chart(
        [
            (p.capitalize(), float(score.pillars.get(p, 0.0)), _GRADE_COLOUR[grade_for(score.pillars.get(p, 0.0))])
            for p in PILLARS
            if p in score.pillars
        ],
        max_value=100.0,
    )
    severity_chart = _bar_chart([(s, summary["by_severity"][s], _SEVERITY_COLOUR[s]) for s in _SEVERITIES])
    colours = _category_colours(summary["by_category"])
    category_items = [(c, n, colours[c]) for c, n in summary["by_category"].items()]
    legend = (
        "".join(
            f'<li><span class="dot" style="background:{_e(colour)}"></span>{_e(cat)} ({n})</li>'
            for cat, n, colour in category_items
        )
        or "<li>No findings</li>"
    )

    maintainability = pillar_details.get("maintainability", {})
    facts = [
        ("Files analysed", f"{result.files_analyzed:,}"),
        ("Code lines", f"{result.lines_analyzed:,}"),
        ("Findings", f"{summary['findings']:,}"),
        ("Remediation effort", f"{summary['effort_minutes']:,} min"),
    ]
    if "debt_ratio" in maintainability:
        facts.append(("Debt ratio", f"{maintainability['debt_ratio'] * 100:.2f} % ({maintainability.get('debt_rating', '?')})"))
    duplicated = result.metrics.get("duplicated_lines_percent")
    if isinstance(duplicated, int | float):
        facts.append(("Duplicated lines", f"{duplicated:.1f} %"))
    if result.skipped:
        facts.append(("Skipped files", ", ".join(f"{k}: {v}" for k, v in sorted(result.skipped.items()))))
    if result.timings:
        total = sum(v for v in result.timings.values() if isinstance(v, int | float))
        facts.append(("Analysis time", f"{total:.2f} s"))
    facts_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)

    ranked = ranked_findings(result.findings)
    rows = "".join(_finding_row(f) for f in ranked[:HTML_MAX_ROWS])
    hidden = len(ranked) - min(len(ranked), HTML_MAX_ROWS)
    truncated = (
        f'<p class="note">{hidden:,} more findings are not listed here; the JSON report has them all.</p>' if hidden else ""
    )
    severity_options = "".join(f'<option value="{s}">{s}</option>' for s in _SEVERITIES if summary["by_severity"][s])
    category_options = "".join(f'<option value="{_e(c)}">{_e(c)}</option>' for c in summary["by_category"])
    commit = f"<p>Commit <code>{_e(result.commit)}</code></p>" if result.commit else ""

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_csp()}">
<meta name="generator" content="{_e(TOOL_NAME)} {_e(tool_version())}">
<title>Repotoire report: {_e(name)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<div class="badge" style="background:{grade_colour}" title="Health grade"><b>{_e(score.grade)}</b><span>{score.overall:.1f}</span></div>
<div><h1>Repotoire report: {_e(name)}</h1><p>{_e(result.root)}</p>{commit}</div>
</header>
<main>
<div class="cards">
<section class="card"><h2>Summary</h2><dl>{facts_html}</dl></section>
<section class="card"><h2>Pillar scores</h2>{pillar_chart}</section>
<section class="card"><h2>Findings by severity</h2>{severity_chart}</section>
<section class="card"><h2>Findings by category</h2><div style="display:flex;gap:12px;align-items:center">{_donut(category_items)}<ul class="legend">{legend}</ul></div></section>
</div>
<section class="card">
<h2>Findings (<span id="shown">{min(len(ranked), HTML_MAX_ROWS)}</span> shown of {len(ranked):,})</h2>
<div class="filters">
<input id="q" type="search" placeholder="Filter by text, file, rule…" aria-label="Filter findings">
<select id="sev" aria-label="Severity"><option value="">All severities</option>{severity_options}</select>
<select id="cat" aria-label="Category"><option value="">All categories</option>{category_options}</select>
</div>
<table id="findings">
<thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Message</th><th>Confidence</th></tr></thead>
<tbody>{rows}</tbody>
</table>
{truncated}
</section>
</main>
<script>{_JS}</script>
</body>
</html>
"""
