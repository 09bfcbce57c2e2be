"""duplicate-code: token-based clones across the whole project (see ``clones.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from analysis.engine.model import Category, Finding, Severity
from analysis.engine.project import ProjectContext
from analysis.engine.registry import DetectorSpec, ProjectDetector, register


@dataclass(frozen=True, slots=True)
class CloneRegion:
    path: str
    start: int
    end: int

    @property
    def lines(self) -> int:
        return self.end - self.start + 1


def _overlaps(a: CloneRegion, b: CloneRegion) -> bool:
    return a.path == b.path and a.start <= b.end and b.start <= a.end


@dataclass(frozen=True, slots=True)
class CloneGroup:
    key: int  # hash of the group's first window: identifies the duplicated code
    regions: list[CloneRegion]


def find_clone_groups(project: ProjectContext, min_lines: int = 6) -> list[CloneGroup]:
    """Maximal clone regions, grouped by the code they share, without groups that mostly
    repeat a bigger group's regions (cached on the project)."""
    cache_key = ("clone_groups", min_lines)
    cached = project._cache.get(cache_key)
    if cached is None:
        cached = project._cache[cache_key] = sorted(
            _drop_covered(_all_clone_groups(project, min_lines)), key=lambda grp: (grp.regions[0].path, grp.regions[0].start)
        )
    return cached


def _all_clone_groups(project: ProjectContext, min_lines: int) -> list[CloneGroup]:
    """Windows whose hash occurs more than once are chained: a run of windows that occurs at the
    same set of places, window after window, is one clone region per place."""
    cache_key = ("all_clone_groups", min_lines)
    cached = project._cache.get(cache_key)
    if cached is not None:
        return cached
    windows: dict[str, list[tuple[int, int, int]]] = {
        path: facts.clone_windows for path, facts in project.files.items() if facts.clone_windows and not facts.parse_error
    }
    hashes = {path: [w[0] for w in wins] for path, wins in windows.items()}
    counts: Counter[int] = Counter()
    for hs in hashes.values():
        counts.update(hs)
    repeated = {h for h, n in counts.items() if n > 1}
    where: dict[int, list[tuple[str, int]]] = {}
    for path in sorted(windows):
        hs = hashes[path]
        if repeated.isdisjoint(hs):
            continue
        for k, h in enumerate(hs):
            if h in repeated:
                where.setdefault(h, []).append((path, k))

    def hash_at(path: str, k: int) -> int | None:
        hs = hashes[path]
        return hs[k] if 0 <= k < len(hs) else None

    groups: list[CloneGroup] = []
    for h, occurrences in where.items():
        # a continuation of the previous window's group is covered by that group's run
        prev = {hash_at(p, k - 1) for p, k in occurrences}
        if len(prev) == 1 and None not in prev:
            prev_hash = prev.pop()
            if prev_hash is not None and counts[prev_hash] == len(occurrences):
                continue
        length = 1
        while True:
            nxt = {hash_at(p, k + length) for p, k in occurrences}
            if len(nxt) != 1 or None in nxt:
                break
            nxt_hash = nxt.pop()
            if nxt_hash is None or counts[nxt_hash] != len(occurrences):
                break
            length += 1
        regions: list[CloneRegion] = []
        for path, k in occurrences:
            run = windows[path][k : k + length]
            region = CloneRegion(path, run[0][1], run[-1][2])  # window ends never decrease
            if region.lines >= min_lines and not any(_overlaps(region, r) for r in regions):
                regions.append(region)
        if len(regions) >= 2:
            groups.append(CloneGroup(h, regions))
    project._cache[cache_key] = groups
    return groups


def _drop_covered(groups: list[CloneGroup], share: float = 0.5) -> list[CloneGroup]:
    """Drop a group whose every region lies mostly inside regions of bigger groups: copies
    shared by a different subset of places are the same duplication seen twice."""
    kept: list[CloneGroup] = []
    taken: dict[str, set[int]] = {}
    empty: set[int] = set()
    for group in sorted(groups, key=lambda grp: (-sum(r.lines for r in grp.regions), grp.regions[0].path, grp.regions[0].start)):
        if all(len(taken.get(r.path, empty).intersection(range(r.start, r.end + 1))) >= share * r.lines for r in group.regions):
            continue
        kept.append(group)
        for r in group.regions:
            taken.setdefault(r.path, set()).update(range(r.start, r.end + 1))
    return kept


def duplication_metrics(project: ProjectContext, min_lines: int | None = None) -> dict[str, Any]:
    """``duplicated_lines``, ``duplicated_lines_percent`` (of all physical lines) and the number
    of clone groups, for ``AnalysisResult.metrics``."""
    if min_lines is None:
        min_lines = int(project.threshold(DuplicateCode.spec, "min_lines"))
    covered: dict[str, set[int]] = {}
    for group in _all_clone_groups(project, min_lines):
        for r in group.regions:
            covered.setdefault(r.path, set()).update(range(r.start, r.end + 1))
    duplicated = sum(len(lines) for lines in covered.values())
    total = sum(f.lines for f in project.files.values() if not f.parse_error)
    metrics = {
        "duplicated_lines": duplicated,
        "duplicated_lines_percent": round(100.0 * duplicated / total, 2) if total else 0.0,
        "clone_groups": len(find_clone_groups(project, min_lines)),
    }
    project.metrics.update(metrics)
    return metrics


@register
class DuplicateCode(ProjectDetector):
    """Blocks of at least ``min_lines`` lines that repeat elsewhere with only identifiers and
    literals changed. One finding per clone group, at its first occurrence."""

    spec = DetectorSpec(
        id="duplicate-code",
        category=Category.DUPLICATION,
        severity=Severity.LOW,
        title="Duplicated code",
        description="The same code (up to renamed identifiers and changed literals) appears in several places; "
        "a fix in one copy is easily missed in the others. Extract the shared logic.",
        effort_minutes=20,
        thresholds={"min_lines": 6, "medium_lines": 30},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        min_lines = int(project.threshold(self.spec, "min_lines"))
        medium = int(project.threshold(self.spec, "medium_lines"))
        duplication_metrics(project, min_lines)
        for group in find_clone_groups(project, min_lines):
            regions = group.regions
            first, others = regions[0], regions[1:]
            size = min(r.lines for r in regions)
            where = ", ".join(f"{r.path}:{r.start}-{r.end}" for r in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            facts = project.files.get(first.path)
            module = facts.module if facts else ""
            yield project.report(
                self.spec,
                path=first.path,
                line=first.start,
                end_line=first.end,
                message=f"{first.lines} lines duplicated in {len(others)} other place(s): {where}{more}.",
                symbol=module,
                key=f"clone:{group.key}:" + "|".join(sorted({r.path for r in regions})),
                severity=Severity.MEDIUM if size >= medium else None,
                metadata={
                    "lines": first.lines,
                    "occurrences": len(regions),
                    "locations": [{"path": r.path, "start_line": r.start, "end_line": r.end} for r in regions],
                    "threshold": min_lines,
                },
            )
