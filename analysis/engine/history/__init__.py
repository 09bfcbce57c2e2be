"""Git-history intelligence: hotspots, temporal coupling, ownership and bus factor.

``mining`` turns ``git log`` into per-commit facts (one subprocess); ``metrics`` computes every
figure from those facts and the engine's per-file facts. ``analyze_history`` does both for an
analysed checkout, incrementally when given the commits an earlier run mined.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.engine.facts import FileFacts
from analysis.engine.history.metrics import DAY, HistoryOptions, HistoryReport, compute, function_history, names_of
from analysis.engine.history.mining import (
    CommitFacts,
    HistoryError,
    git,
    head_commit,
    ignore_revs,
    is_git_repository,
    is_ignored,
    mine_commits,
    mine_hunks,
    tracked_files,
)
from analysis.engine.model import Finding

__all__ = [
    "CommitFacts",
    "HistoryError",
    "HistoryOptions",
    "HistoryReport",
    "MinedHistory",
    "analyze_history",
    "history_summary",
    "is_git_repository",
    "is_history_root",
    "mark_hotspots",
    "mine_history",
]


@dataclass
class MinedHistory:
    commits: list[CommitFacts]  # newest first, within the horizon and the commit cap
    new_commits: int  # mined by this call (the rest came from ``known``)
    head: str | None
    incremental: bool


def is_history_root(root: str | os.PathLike[str]) -> bool:
    """``root`` is the top of a git work tree (a directory inside another repository, such as
    an unpacked sdist under a checkout, has no history of its own)."""
    if not os.path.isdir(os.path.join(root, ".git")) and not os.path.isfile(os.path.join(root, ".git")):
        return False
    try:
        top = git(root, "rev-parse", "--show-toplevel").strip()
    except HistoryError:
        return False
    return bool(top) and os.path.realpath(top) == os.path.realpath(root)


def _is_ancestor(root: str | os.PathLike[str], older: str, newer: str) -> bool:
    try:
        git(root, "merge-base", "--is-ancestor", older, newer)
    except HistoryError:
        return False
    return True


def mine_history(
    root: str | os.PathLike[str],
    options: HistoryOptions | None = None,
    *,
    known: Sequence[CommitFacts] = (),
    ref: str = "HEAD",
    now: int | None = None,
    identity: Callable[[str], str] | None = None,
) -> MinedHistory:
    """Commits of the horizon (``options.months`` back from ``now``, default the head commit's
    time) and at most ``options.max_commits``. ``known``: the commits an earlier call returned
    (newest first); when its newest commit is an ancestor of ``ref`` only the commits after it
    are read from git. ``identity``: applied to the e-mail address of every newly mined commit
    (the platform pseudonymises authors with it; ``known`` commits already went through it)."""
    options = options or HistoryOptions()
    head = head_commit(root, ref)
    if head is None:
        return MinedHistory(commits=[], new_commits=0, head=None, incremental=False)
    if now is None:
        now = int(git(root, "log", "-1", "--format=%ct", head).strip() or 0)
    since = max(0, now - int(options.months * 30.44 * DAY))
    incremental = bool(known) and _is_ancestor(root, known[0].sha, head)
    if incremental:
        new = mine_commits(
            root, ref=head, max_commits=options.max_commits, exclude_reachable_from=[known[0].sha], ignore=options.ignore_revs
        )
        seen = {c.sha for c in new}
        commits = [*new, *(c for c in known if c.sha not in seen)]
    else:
        new = mine_commits(root, ref=head, since=since, max_commits=options.max_commits, ignore=options.ignore_revs)
        commits = new
    if identity is not None:
        for c in new:
            c.email = identity(c.email)
    commits = [c for c in commits if c.timestamp >= since][: options.max_commits]
    if incremental:
        # the ignore list may have grown since the stored commits were mined
        revs = ignore_revs(root, options.ignore_revs, head)
        for c in commits:
            c.ignored = is_ignored(c.sha, revs)
    return MinedHistory(commits=commits, new_commits=len(new), head=head, incremental=incremental)


def analyze_history(
    root: str | os.PathLike[str],
    files: Mapping[str, FileFacts],
    imports: Mapping[str, set[str]],
    options: HistoryOptions | None = None,
    *,
    known: Sequence[CommitFacts] = (),
    now: int | None = None,
    functions: bool = True,
    identity: Callable[[str], str] | None = None,
) -> tuple[HistoryReport, MinedHistory]:
    """Mine ``root``'s history and compute every metric for the analysed ``files``."""
    options = options or HistoryOptions()
    mined = mine_history(root, options, known=known, now=now, identity=identity)
    current = tracked_files(root, mined.head) if mined.head else set()
    report = compute(mined.commits, current, files=files, imports=imports, options=options, now=now)
    if functions and report.hotspots and mined.commits:
        top = [h.path for h in report.hotspots[: options.function_files]]
        names = names_of(mined.commits, top)
        patches = mine_hunks(root, [n for p in top for n in names[p]], since=mined.commits[-1].timestamp)
        counted = [c for c in mined.commits if not c.ignored]
        report.functions = function_history(files, report.hotspots, patches, counted, options)
    return report, mined


COMPLEXITY_DIGEST = 100


def history_summary(report: HistoryReport, top: int = 20) -> dict[str, Any]:
    """The JSON-able digest kept in ``AnalysisResult.metrics["history"]`` (no e-mail address:
    authors appear by display name)."""
    names = {k: a.name for k, a in report.authors.items()}
    return {
        "commits": report.commits,
        "ignored_commits": report.ignored_commits,
        "first_commit": report.first_commit,
        "last_commit": report.last_commit,
        "authors": len(report.authors),
        "files": len(report.files),
        "hotspots": [
            {
                "path": h.path,
                "rank": h.rank,
                "score": h.score,
                "revisions": h.revisions,
                "complexity": h.complexity,
                "churn": h.churn,
            }
            for h in report.hotspots[:top]
        ],
        "functions": [
            {
                "path": f.path,
                "qualname": f.qualname,
                "line": f.line,
                "revisions": f.revisions,
                "complexity": f.complexity,
                "score": f.score,
            }
            for f in report.functions[:top]
        ],
        "couplings": [
            {"a": c.a, "b": c.b, "shared": c.shared, "confidence": c.confidence, "hidden": c.hidden}
            for c in report.couplings[:top]
        ],
        "hidden_couplings": sum(1 for c in report.couplings if c.hidden),
        "modules": [
            {
                "module": m.module,
                "files": m.files,
                "bus_factor": m.bus_factor,
                "main_author": names.get(m.main_author, ""),
                "main_author_share": m.main_author_share,
                "at_risk_files": len(m.at_risk_files),
            }
            for m in sorted(report.modules, key=lambda m: (m.bus_factor, -m.files, m.module))[:top]
        ],
        "at_risk_files": len(report.at_risk),
        # complexity of the hottest files: the quality gate compares a pull request's with its base's
        "complexity": {h.path: h.complexity for h in report.hotspots[:COMPLEXITY_DIGEST]},
    }


def mark_hotspots(findings: list[Finding], report: HistoryReport | None) -> None:
    """Put ``hotspot_rank``/``hotspot_score`` in the metadata of every finding in a hotspot file
    (display orders put them first among equals); stale marks of reused findings are cleared."""
    ranks = {h.path: h for h in report.hotspots} if report is not None else {}
    for f in findings:
        h = ranks.get(f.path)
        if h is None:
            if "hotspot_rank" in f.metadata:
                f.metadata = {k: v for k, v in f.metadata.items() if k not in ("hotspot_rank", "hotspot_score")}
            continue
        f.metadata = {**f.metadata, "hotspot_rank": h.rank, "hotspot_score": h.score}
