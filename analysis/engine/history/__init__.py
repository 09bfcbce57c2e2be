"""Git-history intelligence: hotspots, temporal coupling, ownership and bus factor.

``mining`` turns ``git log`` into per-commit facts (one subprocess); ``metrics`` computes every
figure from those facts and the engine's per-file facts. ``analyze_history`` does both for an
analysed checkout, incrementally when given the commits an earlier run mined.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.engine.facts import FileFacts
from analysis.engine.history.metrics import DAY, HistoryOptions, HistoryReport, compute, function_history, names_of
from analysis.engine.history.mining import (
    CommitFacts,
    HistoryError,
    git,
    head_commit,
    is_git_repository,
    mine_commits,
    mine_hunks,
    tracked_files,
)

__all__ = [
    "CommitFacts",
    "HistoryError",
    "HistoryOptions",
    "HistoryReport",
    "MinedHistory",
    "analyze_history",
    "is_git_repository",
    "mine_history",
]


@dataclass
class MinedHistory:
    commits: list[CommitFacts]  # newest first, within the horizon and the commit cap
    new_commits: int  # mined by this call (the rest came from ``known``)
    head: str | None
    incremental: bool


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
) -> MinedHistory:
    """Commits of the horizon (``options.months`` back from ``now``, default the head commit's
    time) and at most ``options.max_commits``. ``known``: the commits an earlier call returned
    (newest first); when its newest commit is an ancestor of ``ref`` only the commits after it
    are read from git."""
    options = options or HistoryOptions()
    head = head_commit(root, ref)
    if head is None:
        return MinedHistory(commits=[], new_commits=0, head=None, incremental=False)
    if now is None:
        now = int(git(root, "log", "-1", "--format=%ct", head).strip() or 0)
    since = now - int(options.months * 30.44 * DAY)
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
    commits = [c for c in commits if c.timestamp >= since][: options.max_commits]
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
) -> tuple[HistoryReport, MinedHistory]:
    """Mine ``root``'s history and compute every metric for the analysed ``files``."""
    options = options or HistoryOptions()
    mined = mine_history(root, options, known=known, now=now)
    current = tracked_files(root, mined.head) if mined.head else set()
    report = compute(mined.commits, current, files=files, imports=imports, options=options, now=now)
    if functions and report.hotspots and mined.commits:
        top = [h.path for h in report.hotspots[: options.function_files]]
        names = names_of(mined.commits, top)
        patches = mine_hunks(root, [n for p in top for n in names[p]], since=mined.commits[-1].timestamp)
        counted = [c for c in mined.commits if not c.ignored]
        report.functions = function_history(files, report.hotspots, patches, counted, options)
    return report, mined
