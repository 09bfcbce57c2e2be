"""Detectors over the git history (``analysis/engine/history``): hotspots, hidden change
coupling and knowledge at risk.

They run when the analysed directory is the top of a git work tree with history (the pipeline's
``history`` stage fills ``ProjectContext.history``); otherwise they find nothing. Their default
severity is ``info`` so that the health score does not depend on how deep the clone was; the
evidence (revisions, complexity, shared commits, confidence, authors) is in each finding's
metadata.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from analysis.engine.model import Category, Finding, Role, Severity
from analysis.engine.registry import DetectorSpec, ProjectDetector, register

if TYPE_CHECKING:
    from analysis.engine.history.metrics import HistoryReport
    from analysis.engine.project import ProjectContext


def _history(project: ProjectContext) -> HistoryReport | None:
    return getattr(project, "history", None)


def _is_source(project: ProjectContext, path: str) -> bool:
    facts = project.files.get(path)
    return facts is not None and facts.role == Role.SOURCE.value


def _day(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


@register
class Hotspot(ProjectDetector):
    """A file among the top hotspots: changed often *and* complex (revisions × cyclomatic
    complexity, both normalised), where a defect or a slow change is most likely."""

    spec = DetectorSpec(
        id="hotspot",
        category=Category.COMPLEXITY,
        severity=Severity.INFO,
        title="Hotspot: complex code that changes often",
        description="This file is among the most frequently changed and the most complex of the project. Complexity "
        "where the code keeps changing is where defects and slow changes concentrate: simplify or split it first.",
        effort_minutes=120,
        thresholds={"top": 10, "min_revisions": 5, "min_score": 0.1},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        history = _history(project)
        if history is None:
            return
        top = int(project.threshold(self.spec, "top"))
        min_revisions = int(project.threshold(self.spec, "min_revisions"))
        min_score = float(project.threshold(self.spec, "min_score"))
        functions: dict[str, list[dict[str, object]]] = {}
        for f in history.functions:
            functions.setdefault(f.path, []).append(
                {"qualname": f.qualname, "revisions": f.revisions, "complexity": f.complexity}
            )
        for h in history.hotspots[:top]:
            if h.revisions < min_revisions or h.score < min_score:
                continue
            fh = history.files[h.path]
            yield self.spec.finding(
                message=f"Hotspot #{h.rank}: changed in {h.revisions} commits since {_day(history.first_commit)} "
                f"({h.churn} lines of churn) with a total cyclomatic complexity of {h.complexity}",
                path=h.path,
                line=1,
                symbol="",
                snippet="",
                key="hotspot",
                metadata={
                    "rank": h.rank,
                    "score": h.score,
                    "revisions": h.revisions,
                    "complexity": h.complexity,
                    "churn": h.churn,
                    "authors": fh.authors,
                    "main_author_share": fh.main_author_share,
                    "last_changed": fh.last_changed,
                    "functions": functions.get(h.path, [])[:5],
                },
            )


@register
class ChangeCoupling(ProjectDetector):
    """Two source files that keep changing in the same commits although neither imports the
    other: a dependency the code does not show (duplicated knowledge, a protocol, a shared
    format)."""

    spec = DetectorSpec(
        id="change-coupling",
        category=Category.DESIGN,
        severity=Severity.INFO,
        title="Hidden change coupling",
        description="These files change together in most commits that touch them, yet neither imports the other. "
        "The dependency is implicit (copied logic, a shared format or protocol): make it explicit or merge the concern.",
        effort_minutes=60,
        thresholds={"min_shared": 5, "min_confidence": 0.5, "max_findings": 50},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        history = _history(project)
        if history is None:
            return
        min_shared = int(project.threshold(self.spec, "min_shared"))
        min_confidence = float(project.threshold(self.spec, "min_confidence"))
        limit = int(project.threshold(self.spec, "max_findings"))
        found = 0
        for c in history.couplings:  # strongest first
            if found >= limit:
                break
            if not c.hidden or c.shared < min_shared or c.confidence < min_confidence:
                continue
            if not (_is_source(project, c.a) and _is_source(project, c.b)):
                continue
            found += 1
            yield self.spec.finding(
                message=f"Changes together with {c.b} in {c.shared} commits (confidence {c.confidence:.0%}) "
                "although neither file imports the other",
                path=c.a,
                line=1,
                symbol="",
                snippet="",
                key=f"coupled:{c.b}",
                confidence=round(min(1.0, c.confidence), 3),
                metadata={
                    "coupled_with": c.b,
                    "shared_commits": c.shared,
                    "weighted_shared": c.weighted_shared,
                    "confidence": c.confidence,
                    "confidence_ab": c.confidence_ab,
                    "confidence_ba": c.confidence_ba,
                    "half_life_days": history.options.half_life_days,
                },
            )


@register
class KnowledgeRisk(ProjectDetector):
    """A source file most of whose lines were written by someone who no longer commits."""

    spec = DetectorSpec(
        id="knowledge-risk",
        category=Category.DESIGN,
        severity=Severity.INFO,
        title="Knowledge at risk",
        description="The main author of this file (most of its lines in the analysed history) has made no commit "
        "recently. Nobody active knows it well: review it with the team, document it, or pair on its next change.",
        effort_minutes=30,
        thresholds={"min_share": 0.5, "min_lines": 20},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        history = _history(project)
        if history is None:
            return
        min_share = float(project.threshold(self.spec, "min_share"))
        min_lines = int(project.threshold(self.spec, "min_lines"))
        bus = {m.module: m.bus_factor for m in history.modules}
        for path in history.at_risk:
            fh = history.files[path]
            if not _is_source(project, path) or fh.main_author_share < min_share or fh.knowledge[fh.main_author] < min_lines:
                continue
            author = history.authors[fh.main_author]
            yield self.spec.finding(
                message=f"{fh.main_author_share:.0%} of the lines added to this file since {_day(history.first_commit)} were "
                f"written by an author whose last commit was on {_day(author.last_commit)}",
                path=path,
                line=1,
                symbol="",
                snippet="",
                key="knowledge-risk",
                metadata={
                    "main_author": author.name,
                    "main_author_share": fh.main_author_share,
                    "author_last_commit": author.last_commit,
                    "authors": fh.authors,
                    "module_bus_factor": bus.get(path.rpartition("/")[0], 0),
                    "active_days": history.options.active_days,
                },
            )
