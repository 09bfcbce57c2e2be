"""The command line's summary for a person at a terminal: score, grade, counts and the worst
findings as a table sized to the terminal. Machines get the JSON report instead."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import PurePath

from analysis.engine.facts import AnalysisResult
from analysis.engine.model import SEVERITY_ORDER, Finding
from analysis.engine.reports import _location, _severity
from analysis.engine.scoring import PILLARS, grade_for

TOP_FINDINGS = 15
_ANSI = {"critical": "1;37;41", "high": "1;31", "medium": "33", "low": "34", "info": "2", "bold": "1", "dim": "2"}
_GRADE_ANSI = {"A": "1;32", "B": "1;32", "C": "1;33", "D": "1;31", "F": "1;31"}


def _clip(text: str, width: int, *, keep_end: bool = False) -> str:
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return "…" + text[-(width - 1) :] if keep_end else text[: width - 1] + "…"


class _Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, code: str) -> str:
        code = _ANSI.get(code, code)
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text


def finding_table(findings: Sequence[Finding], *, width: int = 100, colour: bool = False) -> list[str]:
    """Rows ``SEVERITY  RULE  LOCATION  MESSAGE`` fitted to ``width`` columns."""
    style = _Style(colour)
    rule_w = min(28, max([4, *(len(f.detector) for f in findings)]))
    loc_w = min(40, max([8, *(len(_location(f)) for f in findings)]))
    msg_w = max(20, width - 10 - rule_w - loc_w - 6)
    lines = [style(f"{'SEVERITY':<10}{'RULE':<{rule_w}}  {'LOCATION':<{loc_w}}  MESSAGE", "bold")]
    for f in findings:
        sev = _severity(f)
        lines.append(
            style(f"{sev:<8}", sev)
            + "  "
            + f"{_clip(f.detector, rule_w):<{rule_w}}  "
            + f"{_clip(_location(f), loc_w, keep_end=True):<{loc_w}}  "
            + _clip(f.message or f.title, msg_w)
        )
    return lines


def render_text(
    result: AnalysisResult,
    ranked: Sequence[Finding],
    *,
    width: int = 100,
    colour: bool = False,
    new: int | None = None,
    left_out: str = "",
) -> str:
    """The summary: ``ranked`` is the findings worst first; ``new`` the count not in a baseline;
    ``left_out`` says which findings the view does not count (``reports.left_out_note``)."""
    style = _Style(colour)
    score = result.score
    name = PurePath(result.root).name or "project"
    by_severity = dict.fromkeys(SEVERITY_ORDER, 0)
    for f in ranked:
        by_severity[_severity(f)] += 1
    head = f"Repotoire: {name}" + (f"  (commit {result.commit[:12]})" if result.commit else "")
    total = result.timings.get("total")
    facts = [
        f"{result.files_analyzed:,} files",
        f"{result.lines_analyzed:,} code lines",
        f"{len(ranked):,} findings" + (f" ({new:,} new)" if new is not None else ""),
    ]
    if isinstance(total, int | float):
        facts.append(f"{total:.1f} s")
    pillars = " · ".join(f"{p} {score.pillars[p]:.1f} {grade_for(score.pillars[p])}" for p in PILLARS if p in score.pillars)
    severities = " · ".join(style(f"{s} {n:,}", s if n else "") for s, n in by_severity.items())
    lines = [
        style(head, "bold"),
        f"Grade {style(score.grade, _GRADE_ANSI.get(score.grade, 'bold'))}  score {score.overall:.1f}/100  " + " · ".join(facts),
        *(style(line, "dim") for line in textwrap.wrap(left_out, max(40, width - 1))),
        "",
        f"Pillars   {pillars}",
        f"Severity  {severities}",
    ]
    if ranked:
        top = list(ranked[:TOP_FINDINGS])
        lines += ["", style(f"Top findings ({len(top)} of {len(ranked):,}, worst first)", "bold")]
        lines += finding_table(top, width=width, colour=colour)
    else:
        lines += ["", "No findings."]
    lines += ["", style("Every finding: --format json|sarif|markdown|html, with -o FILE to write it to a file.", "dim")]
    return "\n".join(lines) + "\n"
