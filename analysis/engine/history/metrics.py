"""Metrics over mined commits: per file, per function, hotspots, temporal coupling, ownership.

Every figure is relative to the mined window (the horizon) and to ``now`` (by default the
newest mined commit's time, so that results do not depend on the day they are computed):

* **per file** (named as in the analysed tree; renames followed back): revisions (commits
  touching it), churn (lines added / removed), creation (its oldest commit in the window), age,
  last change, authors, and the main author's share of the knowledge, knowledge being the lines
  an author added to the file.
* **hotspot score** = (revisions / most revisions of any file) × (complexity / highest
  complexity), complexity being the sum of the cyclomatic complexity of the file's functions
  (the engine's metrics); ranked, highest first.
* **temporal coupling**: two files changed by the same commit, over commits touching at most
  ``max_changeset`` files (a sweeping commit says nothing about which files belong together).
  ``shared`` counts those commits; the weighted figures give each commit the weight
  ``0.5 ** (age_days / half_life_days)`` so that recent co-changes count more;
  ``confidence`` = weighted shared / weighted revisions of the file (both directions, the larger
  reported); ``hidden`` when neither file's module imports the other.
* **ownership** per module (a directory): the bus factor is the smallest number of authors who
  together hold more than half of the knowledge of its files; a file whose main author made no
  commit in the last ``active_days`` is *knowledge at risk*.

Bulk-reformatting commits (``CommitFacts.ignored``) and vendored or generated files (the
engine's roles) count in none of these.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis.engine.facts import Definition, FileFacts
from analysis.engine.history.mining import CommitFacts, FilePatch
from analysis.engine.model import Role
from analysis.engine.roles import path_role

DAY = 86_400
EXCLUDED_ROLES = frozenset({Role.VENDORED.value, Role.GENERATED.value})


@dataclass
class HistoryOptions:
    months: int = 12  # horizon
    max_commits: int = 10_000
    ignore_revs: list[str] = field(default_factory=list)  # bulk reformatting, besides .git-blame-ignore-revs
    half_life_days: float = 90.0  # coupling decay
    max_changeset: int = 30  # commits touching more files are left out of coupling
    min_shared: int = 3  # coupling pairs reported from this many shared commits
    active_days: int = 90  # an author without a commit for longer has left
    function_files: int = 50  # per-function metrics for this many top hotspot files

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> HistoryOptions:
        """``[history]`` of repotoire.toml; unknown keys and wrong types raise ``ValueError``."""
        out = cls()
        for key, value in (data or {}).items():
            if key not in cls.__dataclass_fields__:
                raise ValueError(f"[history] unknown key {key!r}")
            if key == "ignore_revs":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError("[history] ignore_revs must be a list of commit ids")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"[history] {key} must be a positive number")
            setattr(out, key, value if key in ("half_life_days", "ignore_revs") else int(value))
        return out


@dataclass
class Author:
    key: str  # email after .mailmap, lower-cased
    name: str
    commits: int = 0
    last_commit: int = 0


@dataclass
class FileHistory:
    path: str
    revisions: int = 0
    added: int = 0
    removed: int = 0
    created: int = 0  # oldest commit in the window touching the file
    last_changed: int = 0
    age_days: float = 0.0
    authors: int = 0
    main_author: str = ""  # author key
    main_author_share: float = 0.0
    knowledge: dict[str, int] = field(default_factory=dict)  # author key -> lines added
    commits: list[str] = field(default_factory=list)  # newest first

    @property
    def churn(self) -> int:
        return self.added + self.removed


@dataclass
class FunctionHistory:
    path: str
    qualname: str
    line: int
    end_line: int
    revisions: int
    complexity: int
    score: float = 0.0


@dataclass
class Hotspot:
    path: str
    rank: int
    score: float
    revisions: int
    complexity: int
    churn: int


@dataclass
class Coupling:
    a: str
    b: str
    shared: int
    weighted_shared: float
    confidence: float  # max of both directions, decay-weighted
    confidence_ab: float
    confidence_ba: float
    hidden: bool


@dataclass
class ModuleOwnership:
    module: str  # directory ("" for the repository root)
    files: int
    knowledge: dict[str, int]  # author key -> lines added
    bus_factor: int
    main_author: str
    main_author_share: float
    at_risk_files: list[str] = field(default_factory=list)


@dataclass
class HistoryReport:
    commits: int  # mined, ignored ones included
    ignored_commits: int
    first_commit: int
    last_commit: int
    now: int
    authors: dict[str, Author]
    files: dict[str, FileHistory]
    hotspots: list[Hotspot]
    functions: list[FunctionHistory]
    couplings: list[Coupling]
    modules: list[ModuleOwnership]
    module_couplings: list[Coupling]  # the same between directories
    at_risk: list[str]  # files whose main author has left
    options: HistoryOptions = field(default_factory=HistoryOptions)

    def hotspot_rank(self) -> dict[str, int]:
        return {h.path: h.rank for h in self.hotspots}


# --- files ---------------------------------------------------------------------------------------
def follow(commits: Sequence[CommitFacts], current: Iterable[str]) -> list[list[tuple[str, int, int]]]:
    """Per commit (same order, newest first), ``(current path, added, removed)`` of every change
    to a file of ``current``, renames followed back as ``git log --follow`` does: before the
    commit renaming ``old`` to ``new``, the file was called ``old`` and whatever was called
    ``new`` before is another file."""
    alias: dict[str, str] = {p: p for p in current}
    out: list[list[tuple[str, int, int]]] = []
    for commit in commits:
        touched: list[tuple[str, int, int]] = []
        for ch in commit.changes:
            cur = alias.get(ch.path)
            if ch.old_path is not None and ch.old_path != ch.path:
                alias.pop(ch.path, None)
                if cur is not None:
                    alias[ch.old_path] = cur
            if cur is not None:
                touched.append((cur, ch.added or 0, ch.removed or 0))
        out.append(touched)
    return out


def names_of(commits: Sequence[CommitFacts], current: Iterable[str]) -> dict[str, set[str]]:
    """Every name each file of ``current`` had in the window (renames followed back)."""
    alias: dict[str, str] = {p: p for p in current}
    names: dict[str, set[str]] = {p: {p} for p in alias}
    for commit in commits:
        for ch in commit.changes:
            if ch.old_path is not None and ch.old_path != ch.path:
                cur = alias.pop(ch.path, None)
                if cur is not None:
                    alias[ch.old_path] = cur
                    names[cur].add(ch.old_path)
    return names


def compute(
    commits: Sequence[CommitFacts],
    current: Iterable[str],
    *,
    files: Mapping[str, FileFacts] | None = None,
    imports: Mapping[str, Iterable[str]] | None = None,
    options: HistoryOptions | None = None,
    now: int | None = None,
    role_of: Callable[[str], str] | None = None,
    patches: Mapping[str, list[FilePatch]] | None = None,
) -> HistoryReport:
    """Every history metric of the files ``current`` (the analysed tree's paths) from
    ``commits`` (newest first, as mined). ``files``: the engine's facts (complexity, roles,
    modules, definitions); ``imports``: module -> modules it imports (the code graph);
    ``patches``: hunks from ``mining.mine_hunks`` for the per-function metrics."""
    options = options or HistoryOptions()
    files = files or {}
    current = sorted(set(current))

    def role(path: str) -> str:
        facts = files.get(path)
        if facts is not None:
            return facts.role
        return role_of(path) if role_of is not None else path_role(path)

    tracked = [p for p in current if role(p) not in EXCLUDED_ROLES]
    counted = [c for c in commits if not c.ignored]
    if now is None:
        now = max((c.timestamp for c in commits), default=0)
    # renames are followed through every commit, ignored ones included
    per_commit = [t for c, t in zip(commits, follow(commits, tracked), strict=True) if not c.ignored]

    authors: dict[str, Author] = {}
    for c in counted:
        a = authors.get(c.email)
        if a is None:
            a = authors[c.email] = Author(key=c.email, name=c.author)
        a.commits += 1
        if c.timestamp > a.last_commit:
            a.last_commit = c.timestamp
            a.name = c.author  # the newest spelling of the name

    hist: dict[str, FileHistory] = {}
    for commit, touched in zip(counted, per_commit, strict=True):
        seen: set[str] = set()
        for path, added, removed in touched:
            h = hist.get(path)
            if h is None:
                h = hist[path] = FileHistory(path=path, last_changed=commit.timestamp, created=commit.timestamp)
            if path not in seen:
                seen.add(path)
                h.revisions += 1
                h.commits.append(commit.sha)
                h.created = min(h.created, commit.timestamp)
                h.last_changed = max(h.last_changed, commit.timestamp)
            h.added += added
            h.removed += removed
            h.knowledge[commit.email] = h.knowledge.get(commit.email, 0) + added
    for h in hist.values():
        h.age_days = round((now - h.created) / DAY, 2)
        h.authors = len(h.knowledge)
        h.main_author, h.main_author_share = _main(h.knowledge)

    active_since = now - options.active_days * DAY
    at_risk = sorted(
        p
        for p, h in hist.items()
        if h.main_author and authors[h.main_author].last_commit < active_since and h.knowledge[h.main_author] > 0
    )
    hotspots = rank_hotspots(hist, files)
    functions = function_history(files, hotspots, patches, counted, options) if patches is not None else []
    couplings = temporal_coupling(counted, per_commit, files, imports or {}, options, now)
    module_couplings = temporal_coupling(counted, per_commit, files, imports or {}, options, now, level="module")
    modules = ownership(hist, set(at_risk))
    return HistoryReport(
        commits=len(commits),
        ignored_commits=len(commits) - len(counted),
        first_commit=min((c.timestamp for c in commits), default=0),
        last_commit=max((c.timestamp for c in commits), default=0),
        now=now,
        authors=authors,
        files=hist,
        hotspots=hotspots,
        functions=functions,
        couplings=couplings,
        modules=modules,
        module_couplings=module_couplings,
        at_risk=at_risk,
        options=options,
    )


def _main(knowledge: Mapping[str, int]) -> tuple[str, float]:
    total = sum(knowledge.values())
    if not knowledge or total <= 0:
        return "", 0.0
    key = min(knowledge, key=lambda k: (-knowledge[k], k))
    return key, round(knowledge[key] / total, 4)


def file_complexity(facts: FileFacts | None) -> int:
    """Sum of the cyclomatic complexity of the file's functions and methods."""
    if facts is None:
        return 0
    return sum(d.metrics.cyclomatic for d in facts.definitions if d.metrics is not None)


def rank_hotspots(hist: Mapping[str, FileHistory], files: Mapping[str, FileFacts]) -> list[Hotspot]:
    """Source files ranked by normalised change frequency × normalised complexity."""
    rows = []
    for path, h in hist.items():
        facts = files.get(path)
        if facts is None or facts.role != Role.SOURCE.value:
            continue
        complexity = file_complexity(facts)
        if complexity and h.revisions:
            rows.append((path, h, complexity))
    if not rows:
        return []
    max_rev = max(h.revisions for _, h, _ in rows)
    max_cx = max(cx for _, _, cx in rows)
    scored = sorted(
        ((round((h.revisions / max_rev) * (cx / max_cx), 6), path, h, cx) for path, h, cx in rows),
        key=lambda r: (-r[0], -r[2].revisions, r[1]),
    )
    return [
        Hotspot(path=path, rank=i + 1, score=score, revisions=h.revisions, complexity=cx, churn=h.churn)
        for i, (score, path, h, cx) in enumerate(scored)
    ]


# --- coupling ------------------------------------------------------------------------------------
def temporal_coupling(
    commits: Sequence[CommitFacts],
    per_commit: Sequence[list[tuple[str, int, int]]],
    files: Mapping[str, FileFacts],
    imports: Mapping[str, Iterable[str]],
    options: HistoryOptions,
    now: int,
    level: str = "file",
) -> list[Coupling]:
    """Pairs of analysed files (``level="module"``: of their directories) changed together (see
    the module docstring); a commit's size is its number of analysed files at either level."""
    revs_w: dict[str, float] = defaultdict(float)
    shared: Counter[tuple[str, str]] = Counter()
    shared_w: dict[tuple[str, str], float] = defaultdict(float)
    for commit, touched in zip(commits, per_commit, strict=True):
        paths = {p for p, _, _ in touched if not files or p in files}
        size = len(paths)
        if level == "module":
            paths = {p.rpartition("/")[0] for p in paths}
        ordered = sorted(paths)
        w = 0.5 ** (max(0, now - commit.timestamp) / DAY / options.half_life_days)
        for p in ordered:
            revs_w[p] += w
        if len(ordered) < 2 or size > options.max_changeset:
            continue
        for pair in itertools.combinations(ordered, 2):
            shared[pair] += 1
            shared_w[pair] += w
    linked = _module_links(files, imports) if level == "module" else None
    out = []
    for (a, b), n in shared.items():
        if n < options.min_shared:
            continue
        sw = shared_w[(a, b)]
        ab = sw / revs_w[a] if revs_w[a] else 0.0
        ba = sw / revs_w[b] if revs_w[b] else 0.0
        out.append(
            Coupling(
                a=a,
                b=b,
                shared=n,
                weighted_shared=round(sw, 6),
                confidence=round(max(ab, ba), 6),
                confidence_ab=round(ab, 6),
                confidence_ba=round(ba, 6),
                hidden=not _linked(a, b, files, imports) if linked is None else (a, b) not in linked,
            )
        )
    out.sort(key=lambda c: (-c.confidence, -c.shared, c.a, c.b))
    return out


def _module_links(files: Mapping[str, FileFacts], imports: Mapping[str, Iterable[str]]) -> set[tuple[str, str]]:
    """Pairs of directories (sorted) one of whose files imports a module of the other."""
    directory = {f.module: path.rpartition("/")[0] for path, f in files.items()}
    out: set[tuple[str, str]] = set()
    for src, dsts in imports.items():
        a = directory.get(src)
        if a is None:
            continue
        for dst in dsts:
            b = directory.get(dst)
            if b is not None and b != a:
                out.add((min(a, b), max(a, b)))
    return out


def _linked(a: str, b: str, files: Mapping[str, FileFacts], imports: Mapping[str, Iterable[str]]) -> bool:
    fa, fb = files.get(a), files.get(b)
    ma = fa.module if fa is not None else a
    mb = fb.module if fb is not None else b
    return mb in set(imports.get(ma, ())) or ma in set(imports.get(mb, ()))


# --- ownership -----------------------------------------------------------------------------------
def bus_factor(knowledge: Mapping[str, int]) -> int:
    """Smallest number of authors holding more than half of ``knowledge`` together."""
    total = sum(knowledge.values())
    if total <= 0:
        return 0
    held = 0
    for i, value in enumerate(sorted(knowledge.values(), reverse=True), start=1):
        held += value
        if held * 2 > total:
            return i
    return len(knowledge)


def ownership(hist: Mapping[str, FileHistory], at_risk: set[str]) -> list[ModuleOwnership]:
    by_dir: dict[str, list[FileHistory]] = defaultdict(list)
    for path, h in hist.items():
        by_dir[path.rpartition("/")[0]].append(h)
    out = []
    for module, members in sorted(by_dir.items()):
        knowledge: Counter[str] = Counter()
        for h in members:
            knowledge.update(h.knowledge)
        main, share = _main(knowledge)
        out.append(
            ModuleOwnership(
                module=module,
                files=len(members),
                knowledge=dict(knowledge),
                bus_factor=bus_factor(knowledge),
                main_author=main,
                main_author_share=share,
                at_risk_files=sorted(h.path for h in members if h.path in at_risk),
            )
        )
    return out


# --- functions -----------------------------------------------------------------------------------
def _back(line: int, hunks: Sequence[tuple[int, int, int, int]], start: bool) -> int:
    """Line ``line`` of the version after a commit, in the version before it; a line the commit
    added maps to the hunk's start (``start``) or to the line before the hunk (the range's end)."""
    shift = 0
    for old_start, old_len, new_start, new_len in hunks:
        new_end = new_start + new_len - 1
        if new_len and new_start <= line <= new_end:
            if start:
                return old_start if old_len else old_start + 1
            return old_start + old_len - 1 if old_len else old_start
        if (new_len and new_end < line) or (not new_len and new_start < line):
            shift += old_len - new_len
    return line + shift


def _touches(lo: int, hi: int, hunks: Sequence[tuple[int, int, int, int]]) -> bool:
    for _old_start, _old_len, new_start, new_len in hunks:
        if new_len:
            if new_start <= hi and new_start + new_len - 1 >= lo:
                return True
        elif lo <= new_start < hi:  # lines removed between new_start and new_start + 1
            return True
    return False


def function_history(
    files: Mapping[str, FileFacts],
    hotspots: Sequence[Hotspot],
    patches: Mapping[str, list[FilePatch]],
    commits: Sequence[CommitFacts],
    options: HistoryOptions,
) -> list[FunctionHistory]:
    """Revisions of the functions of the top hotspot files: each commit's hunks are mapped onto
    the current definitions' line ranges, carried back through every older commit's hunks."""
    wanted = [h.path for h in hotspots[: options.function_files]]
    counted = {c.sha for c in commits if not c.ignored}
    out: list[FunctionHistory] = []
    order = list(patches)  # newest first, as git log printed them
    for path in wanted:
        defs: list[Definition] = [d for d in files[path].definitions if d.metrics is not None]
        if not defs:
            continue
        ranges: list[tuple[int, int] | None] = [(d.line, d.end_line) for d in defs]
        revisions = [0] * len(defs)
        name = path
        for sha in order:
            patch = next((p for p in patches[sha] if p.path == name), None)
            if patch is None:
                continue
            for i, rng in enumerate(ranges):
                if rng is not None and sha in counted and _touches(rng[0], rng[1], patch.hunks):
                    revisions[i] += 1
            new_ranges: list[tuple[int, int] | None] = []
            for rng in ranges:
                if rng is None or not patch.old_path:
                    new_ranges.append(None)
                    continue
                lo = _back(rng[0], patch.hunks, True)
                hi = _back(rng[1], patch.hunks, False)
                new_ranges.append((lo, hi) if lo <= hi else None)
            ranges = new_ranges
            if not patch.old_path:
                break
            name = patch.old_path
        for d, n in zip(defs, revisions, strict=True):
            if n:
                cx = d.metrics.cyclomatic if d.metrics is not None else 1
                out.append(
                    FunctionHistory(path=path, qualname=d.qualname, line=d.line, end_line=d.end_line, revisions=n, complexity=cx)
                )
    if out:
        top_rev = max(f.revisions for f in out)
        top_cx = max(f.complexity for f in out)
        for f in out:
            f.score = round((f.revisions / top_rev) * (f.complexity / top_cx), 6)
    out.sort(key=lambda f: (-f.score, -f.revisions, f.path, f.line))
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties)."""

    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        r = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return r

    if len(xs) < 2:
        return math.nan
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else math.nan
