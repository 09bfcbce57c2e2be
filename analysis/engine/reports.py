"""Reports of an analysis: JSON, SARIF 2.1.0, Markdown and a self-contained HTML page.

``render(result, fmt)`` is the one entry point. The JSON report has a stable, versioned schema
(``schemas/report-1.json``; additions keep ``schema_version`` 1.x, removals or renames bump the
major number) and is the only format that can be read back: ``load_json_report`` rebuilds the
``AnalysisResult`` (without per-file facts) and ``parse_json_report`` returns the fingerprints of
a JSON or SARIF report for the command line's ``--baseline``.

Everything that comes from the analysed code (paths, messages, snippets, symbols) is untrusted:
the HTML report escapes it and forbids any script but its own through a Content-Security-Policy
hash, and loads nothing from the network (``report_html``).

A ``ReportContext`` carries what the engine does not know: the repository's name, branch and
commit, and, when the platform renders the report, each finding's triage status and whether the
analysis found it first. It is plain data, so the engine stays free of the platform.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import os
import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from analysis.engine import __version__
from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE, visible
from analysis.engine.facts import AnalysisResult, HealthScore
from analysis.engine.model import SEVERITY_ORDER, Category, Finding, Kind, Severity
from analysis.engine.report_html import HtmlPage, render_page
from analysis.engine.scoring import PILLARS, grade_for

JSON_SCHEMA_VERSION = "1.2"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_FINGERPRINT_KEY = "repotoire/v1"
TOOL_NAME = "Repotoire"
FORMATS: tuple[str, ...] = ("json", "sarif", "markdown", "html")
SCOPES: tuple[str, ...] = ("source", "all")
MARKDOWN_TOP_FINDINGS = 50
HTML_SNIPPET_LINES = 8

_FORMAT_ALIASES = {"md": "markdown", "htm": "html", "sarif-json": "sarif"}
_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning sorts security alerts by this CVSS-like number.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


@dataclass(frozen=True)
class ReportContext:
    """What the people-facing reports show beyond the engine's result.

    ``name`` replaces the analysed directory's name (the platform passes the repository's name:
    the directory is a server path). ``triage`` maps fingerprints to triage statuses and ``new``
    holds the fingerprints this analysis found first; both are shown per finding when given.
    """

    name: str = ""
    branch: str = ""
    commit: str = ""
    triage: Mapping[str, str] = field(default_factory=dict)
    new: frozenset[str] = frozenset()


def render(
    result: AnalysisResult,
    fmt: str,
    context: ReportContext | None = None,
    *,
    scope: str = "source",
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> str:
    """The report of ``result`` in ``fmt`` (json, sarif, markdown or html).

    Like the finding list, a report shows the findings of source files at or above the default
    confidence floor unless asked otherwise (``scope="all"``, ``min_confidence=0``); the JSON
    report says what it left out in ``view``."""
    name = _FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    shown = [f for f in result.findings if visible(f, scope=scope, min_confidence=min_confidence)]
    view = {"scope": scope, "min_confidence": min_confidence, "hidden": len(result.findings) - len(shown)}
    left_out = left_out_note(result.findings, scope=scope, min_confidence=min_confidence)
    result = dataclasses.replace(result, findings=shown)
    if name in ("json", "sarif"):
        return render_json(result, view) if name == "json" else render_sarif(result)
    if name == "markdown":
        return render_markdown(result, context, left_out)
    if name == "html":
        return render_html(result, context, left_out)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


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
    """Display order for people: worst first, then those in the hottest hotspot files (git
    history: change frequency × complexity), then most certain, then by file and line."""
    return sorted(
        findings,
        key=lambda f: (
            -_rank(f),
            -float(f.metadata.get("hotspot_score", 0.0)),
            -float(f.confidence or 0),
            f.path,
            f.line,
            f.detector,
        ),
    )


def summarize(findings: Iterable[Finding]) -> dict[str, Any]:
    findings = list(findings)
    by_severity = Counter(_severity(f) for f in findings)
    return {
        "findings": len(findings),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITY_ORDER},
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
        "warnings": list(result.warnings),
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
        warnings=list(data.get("warnings", [])),
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
                    # SARIF's language identifiers are ours: python, javascript, typescript, go...
                    "region": {**_region(finding), "sourceLanguage": finding.language},
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


_MD_SPECIAL = re.compile(r"[\\|`*_\[<]|&(?=#?\w+;)")


def _md(text: Any) -> str:
    """Safe inside a Markdown table cell: no raw HTML, no cell breaks, no line breaks.

    Backslash escapes (CommonMark) rather than HTML entities, so the text stays readable where
    the Markdown is read raw (``a -> b``, not ``a -&gt; b``): only ``<`` can open a tag and only
    ``&name;`` can be an entity."""
    return " ".join(_MD_SPECIAL.sub(lambda m: "\\" + m.group(0), str(text)).split())


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _project_name(result: AnalysisResult, context: ReportContext | None = None) -> str:
    if context is not None and context.name:
        return context.name
    return PurePath(result.root).name or "project"


def _origin(result: AnalysisResult, context: ReportContext | None) -> list[str]:
    """Branch and commit lines, never the server path."""
    branch = context.branch if context else ""
    commit = (context.commit if context else "") or result.commit or ""
    lines = []
    if branch:
        lines.append(f"Branch {branch}")
    if commit:
        lines.append(f"Commit {commit}")
    return lines


def _location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def taint_path_text(finding: Finding) -> str:
    """`` — path: a.py:3 source: request.GET → a.py:9 sink: os.system`` for a finding with a taint path."""
    if not finding.taint_path:
        return ""
    steps = " → ".join(f"{s.get('path')}:{s.get('line')} {s.get('note')}".strip() for s in finding.taint_path)
    return f" — path: {steps}"


_ASK_FOR_ALL = "?scope=all&min_confidence=0 on the API, --scope all --min-confidence 0 on the command line"


def left_out_note(findings: Iterable[Finding], *, scope: str, min_confidence: float, ask: str = _ASK_FOR_ALL) -> str:
    """What a people-facing report leaves out of ``findings`` and how to ask for it (``ask``); ""
    when nothing is left out."""
    other_roles = low_confidence = 0
    for f in findings:
        if scope != "all" and f.role != "source":
            other_roles += 1
        elif float(f.confidence) < min_confidence:
            low_confidence += 1
    reasons = []
    if other_roles:
        reasons.append(f"{other_roles:,} in tests, examples, vendored or generated files")
    if low_confidence:
        reasons.append(f"{low_confidence:,} below confidence {min_confidence:g}")
    if not reasons:
        return ""
    return f"Not listed: {' and '.join(reasons)} (to list them: {ask})."


def render_markdown(result: AnalysisResult, context: ReportContext | None = None, left_out: str = "") -> str:
    score = result.score
    summary = summarize(result.findings)
    details = score.details or {}
    lines = [
        f"# Repotoire report: {_md(_project_name(result, context))}",
        "",
        (
            f"**Grade {_md(score.grade)}** · health score **{score.overall:.1f}**/100 · "
            f"{result.files_analyzed:,} files · {result.lines_analyzed:,} code lines · "
            f"{summary['findings']:,} findings"
        ),
    ]
    origin = _origin(result, context)
    if origin:
        lines += ["", " · ".join(_md(line) for line in origin)]
    if left_out:
        lines += ["", f"_{_md(left_out)}_"]
    lines += ["", "## Pillars", "", "| Pillar | Score | Grade | Findings |", "|---|---:|:---:|---:|"]
    pillar_details = details.get("pillars", {})
    for pillar in PILLARS:
        if pillar in score.pillars:
            value = score.pillars[pillar]
            count = pillar_details.get(pillar, {}).get("findings", "")
            lines.append(f"| {pillar.capitalize()} | {value:.1f} | {grade_for(value)} | {count} |")
    languages = result.metrics.get("languages") or {}
    if languages:
        lines += [
            "",
            "## Languages",
            "",
            "| Language | Files | Code lines | Findings | Score | Grade |",
            "|---|---:|---:|---:|---:|:---:|",
        ]
        for name, row in languages.items():
            lines.append(
                f"| {_md(name)} | {row['files']} | {row['code_lines']} | {row['findings']} | {row['score']:.1f} | {row['grade']} |"
            )
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
    metrics += [f"- Warning: {_md(w)}" for w in result.warnings]
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


# --- HTML (the page itself: report_html) -------------------------------------------------------


def _clip_block(text: str, max_lines: int = HTML_SNIPPET_LINES, max_chars: int = 800) -> str:
    whole = textwrap.dedent(str(text)).rstrip("\n")
    clipped = "\n".join(whole.splitlines()[:max_lines])[:max_chars]
    return clipped + ("\n…" if clipped != whole else "")


def _html_item(finding: Finding, anchor: str, context: ReportContext) -> dict[str, Any]:
    """One finding as the page's script reads it (short keys: Django's report holds ~10,000)."""
    data = finding.to_dict()
    item: dict[str, Any] = {
        "id": anchor,
        "sev": _severity(finding),
        "cat": _value(finding.category),
        "det": finding.detector,
        "path": finding.path,
        "line": finding.line,
        "sym": finding.symbol,
        "msg": finding.message or finding.title,
        "snip": _clip_block(finding.snippet) if finding.snippet else "",
        "cwe": finding.cwe or "",
        "conf": round(float(finding.confidence or 0), 2),
    }
    # older reports lack kind, role and language
    for key, short in (("kind", "kind"), ("role", "role"), ("language", "lang")):
        if data.get(key):
            item[short] = str(data[key])
    if data.get("taint_path"):
        item["taint"] = [
            {"path": str(s.get("path", "")), "line": s.get("line", 0), "note": str(s.get("note", ""))}
            for s in data["taint_path"]
            if isinstance(s, dict)
        ]
    if context.triage:
        item["status"] = context.triage.get(finding.fingerprint, "")
    if finding.fingerprint in context.new:
        item["new"] = 1
    return item


def _anchors(findings: list[Finding]) -> list[str]:
    """``f-`` + the fingerprint's start: stable from one report of the code to the next."""
    seen: set[str] = set()
    out = []
    for i, f in enumerate(findings):
        anchor = f"f-{f.fingerprint[:16]}" if f.fingerprint else f"f-n{i}"
        if anchor in seen:
            anchor = f"{anchor}-{i}"
        seen.add(anchor)
        out.append(anchor)
    return out


def _html_facts(result: AnalysisResult, summary: dict[str, Any]) -> list[tuple[str, str]]:
    maintainability = (result.score.details or {}).get("pillars", {}).get("maintainability", {})
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
    for name, row in (result.metrics.get("languages") or {}).items():
        facts.append(
            (
                f"Language {name}",
                f"{row['files']} files, {row['code_lines']} code lines, score {row['score']:.1f} ({row['grade']})",
            )
        )
    if result.skipped:
        facts.append(("Skipped files", ", ".join(f"{k}: {v}" for k, v in sorted(result.skipped.items()))))
    total = result.timings.get("total")
    if isinstance(total, int | float):
        # the other entries are stages of it (and per-detector CPU time): never add them up
        facts.append(("Analysis time", f"{total:.2f} s"))
    return facts


def render_html(result: AnalysisResult, context: ReportContext | None = None, left_out: str = "") -> str:
    context = context or ReportContext()
    summary = summarize(result.findings)
    ranked = ranked_findings(result.findings)
    items = [_html_item(f, anchor, context) for f, anchor in zip(ranked, _anchors(ranked), strict=True)]
    clipped = sum(1 for f in ranked if f.snippet and len(str(f.snippet).rstrip("\n").splitlines()) > HTML_SNIPPET_LINES)
    notice = f"{len(ranked):,} findings are listed below, worst first." if ranked else "No findings are listed."
    if clipped:
        notice += f" Code snippets longer than {HTML_SNIPPET_LINES} lines are cut ({clipped:,}); the JSON report has them whole."
    if left_out:
        notice += " " + left_out
    titles = {str(d.get("id")): str(d.get("title", "")) for d in result.detectors if d.get("id")}
    page = HtmlPage(
        title=_project_name(result, context),
        subtitle=_origin(result, context),
        score=result.score,
        facts=_html_facts(result, summary),
        by_severity=summary["by_severity"],
        by_category=dict(sorted(summary["by_category"].items(), key=lambda kv: (-kv[1], kv[0]))),
        findings=items,
        detectors=titles,
        notice=notice,
        generator=f"{TOOL_NAME} {tool_version()}",
        has_triage=bool(context.triage),
        hotspots=_history_hotspots(result),
    )
    return render_page(page)


def _history_hotspots(result: AnalysisResult) -> list[dict[str, Any]]:
    history = result.metrics.get("history")
    hotspots = history.get("hotspots") if isinstance(history, dict) else None
    return [h for h in hotspots if isinstance(h, dict)] if isinstance(hotspots, list) else []
