"""Mining ``git log``: per-commit facts in one subprocess.

``mine_commits`` runs ``git log --no-merges -M --numstat -z`` once and returns one
``CommitFacts`` per commit, newest first: the author as ``.mailmap`` resolves them (``%aN`` /
``%aE``), the author time, and per file the lines added and removed (``None`` for a binary
file) with the old name of a rename. Merge commits are left out (their changes are the changes
of the commits they merge). Commits listed in ``.git-blame-ignore-revs`` or in the configured
ignore list (bulk reformatting) are reported as ``ignored`` so that callers can skip them while
still knowing how many there were. A shallow clone's boundary commits (``.git/shallow``) show
every file as added — their diff is against nothing — and are dropped.

``mine_hunks`` reads the diff hunk headers (``git log -p -U0``) of a few files, for the
per-function metrics (``metrics.function_history``).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

GIT_TIMEOUT = 600  # seconds; a 10,000-commit log takes a few seconds
_FORMAT = "%x1e%H%x1f%aN%x1f%aE%x1f%at%x1f"
IGNORE_REVS_FILE = ".git-blame-ignore-revs"
# git reads "@<small number>" as something else than a time; no commit is older than 1973
_EARLIEST = 100_000_000


class HistoryError(RuntimeError):
    """``git`` failed or the directory is not a git work tree."""


@dataclass(slots=True)
class FileChange:
    """One file touched by one commit (``git log --numstat``)."""

    path: str  # the name after the commit
    added: int | None  # None: binary
    removed: int | None
    old_path: str | None = None  # the name before the commit, for a rename


@dataclass(slots=True)
class CommitFacts:
    sha: str
    author: str  # display name, after .mailmap
    email: str  # lower-cased, after .mailmap; the author's identity
    timestamp: int  # author time, unix seconds
    changes: list[FileChange] = field(default_factory=list)
    ignored: bool = False  # a bulk-reformatting commit (ignore list): kept out of every metric

    def to_dict(self) -> dict[str, object]:
        return {
            "sha": self.sha,
            "author": self.author,
            "email": self.email,
            "timestamp": self.timestamp,
            "ignored": self.ignored,
            "changes": [[c.path, c.added, c.removed, c.old_path] for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CommitFacts:
        changes = data.get("changes") or []
        assert isinstance(changes, list)
        return cls(
            sha=str(data["sha"]),
            author=str(data["author"]),
            email=str(data["email"]),
            timestamp=int(data["timestamp"]),  # type: ignore[call-overload]
            ignored=bool(data.get("ignored", False)),
            changes=[FileChange(path=c[0], added=c[1], removed=c[2], old_path=c[3]) for c in changes],
        )


def git(root: str | os.PathLike[str], *args: str, check: bool = True) -> str:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HistoryError(f"git {args[0]}: {exc}") from exc
    if check and proc.returncode != 0:
        raise HistoryError(f"git {args[0]} failed: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def is_git_repository(root: str | os.PathLike[str]) -> bool:
    try:
        return git(root, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true"
    except HistoryError:
        return False


def head_commit(root: str | os.PathLike[str], ref: str = "HEAD") -> str | None:
    out = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
    return out or None


def tracked_files(root: str | os.PathLike[str], ref: str = "HEAD") -> set[str]:
    """Paths of the files in ``ref``'s tree."""
    out = git(root, "ls-tree", "-r", "-z", "--name-only", ref)
    return {p for p in out.split("\0") if p}


def shallow_boundary(root: str | os.PathLike[str]) -> set[str]:
    """Commits whose parents a shallow clone does not have."""
    path = git(root, "rev-parse", "--git-path", "shallow").strip()
    full = Path(root, path) if not os.path.isabs(path) else Path(path)
    try:
        return {line.strip() for line in full.read_text().splitlines() if line.strip()}
    except OSError:
        return set()


def ignore_revs(root: str | os.PathLike[str], extra: Iterable[str] = (), ref: str = "HEAD") -> set[str]:
    """Commit ids of ``ref``'s ``.git-blame-ignore-revs`` (``#`` comments allowed) and ``extra``,
    lower-cased (abbreviated ids match by prefix, see ``is_ignored``)."""
    revs = {r.strip().lower() for r in extra if r.strip()}
    text = git(root, "show", f"{ref}:{IGNORE_REVS_FILE}", check=False)  # empty when absent
    for line in text.splitlines():
        token = line.split("#", 1)[0].strip()
        if re.fullmatch(r"[0-9a-fA-F]{7,40}", token):
            revs.add(token.lower())
    return revs


def is_ignored(sha: str, revs: set[str]) -> bool:
    return sha in revs or any(len(r) < 40 and sha.startswith(r) for r in revs)


def _count(text: str) -> int | None:
    return None if text == "-" else int(text)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _readable(text: str) -> str:
    """Bytes that are not UTF-8 (kept as surrogates by ``git``) as U+FFFD: storable text."""
    return text if _utf8(text) else text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_log(raw: str) -> list[CommitFacts]:
    """Parse ``git log --numstat -z --format=<_FORMAT>`` output."""
    commits: list[CommitFacts] = []
    for record in raw.split("\x1e"):
        if not record:
            continue
        head, _, body = record.partition("\x1f\x00")
        if not _:  # a commit without changes ends its header with the record
            head = record.rstrip("\x1f\n\x00")
            body = ""
        sha, author, email, ts = head.split("\x1f")[:4]
        commit = CommitFacts(sha=sha, author=_readable(author), email=_readable(email).strip().lower(), timestamp=int(ts))
        fields = body.lstrip("\n").split("\x00")
        i = 0
        while i < len(fields):
            entry = fields[i].lstrip("\n")
            i += 1
            if not entry:
                continue
            added, removed, path = entry.split("\t", 2)
            if path:
                change = FileChange(path=path, added=_count(added), removed=_count(removed))
            else:  # a rename: "added\tremoved\t\0old\0new\0"
                old, new = fields[i], fields[i + 1]
                i += 2
                change = FileChange(path=new, added=_count(added), removed=_count(removed), old_path=old)
            # A name that is not UTF-8 is left out of the analysis (discovery): of its history too.
            if _utf8(change.path) and (change.old_path is None or _utf8(change.old_path)):
                commit.changes.append(change)
        commits.append(commit)
    return commits


def mine_commits(
    root: str | os.PathLike[str],
    *,
    ref: str = "HEAD",
    since: int | None = None,
    max_commits: int | None = None,
    exclude_reachable_from: Sequence[str] = (),
    ignore: Iterable[str] = (),
) -> list[CommitFacts]:
    """Non-merge commits reachable from ``ref`` (newest first), at most ``max_commits``, none
    older than ``since`` (unix seconds), none reachable from ``exclude_reachable_from`` (the
    commits an earlier mining already has: incremental mining)."""
    args = ["log", "--no-merges", "-M", "--numstat", "-z", f"--format={_FORMAT}", "--no-color", "--no-ext-diff"]
    if since is not None and since >= _EARLIEST:
        args.append(f"--since=@{int(since)}")
    if max_commits is not None:
        args.append(f"--max-count={int(max_commits)}")
    args.append(ref)
    args.extend(f"^{sha}" for sha in exclude_reachable_from)
    args.append("--")
    commits = parse_log(git(root, *args))
    boundary = shallow_boundary(root)
    revs = ignore_revs(root, ignore, ref)
    kept = [c for c in commits if c.sha not in boundary]
    if revs:
        for c in kept:
            c.ignored = is_ignored(c.sha, revs)
    return kept


# --- hunks, for the per-function metrics ------------------------------------------------------
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
Hunk = tuple[int, int, int, int]  # old_start, old_len, new_start, new_len


@dataclass(slots=True)
class FilePatch:
    path: str  # after the commit ("" for a deletion)
    old_path: str  # before the commit ("" for a creation)
    hunks: list[Hunk] = field(default_factory=list)


def _unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        # git quotes names with control characters even with core.quotepath=off
        return (
            name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
        )
    return name


def parse_patches(raw: str) -> dict[str, list[FilePatch]]:
    """``git log -p -U0 --format=%x1e%H`` output -> commit -> its file patches (hunk headers
    only; the content lines are skipped by count)."""
    out: dict[str, list[FilePatch]] = {}
    for record in raw.split("\x1e"):
        if not record:
            continue
        lines = record.split("\n")
        sha = lines[0].strip()
        patches: list[FilePatch] = []
        current: FilePatch | None = None
        i = 1
        while i < len(lines):
            line = lines[i]
            i += 1
            if line.startswith("diff --git "):
                current = FilePatch(path="", old_path="")
                patches.append(current)
            elif current is None:
                continue
            elif line.startswith("rename from "):
                current.old_path = line[len("rename from ") :]
            elif line.startswith("rename to "):
                current.path = line[len("rename to ") :]
            elif line.startswith("--- "):
                name = _unquote(line[4:])
                current.old_path = "" if name == "/dev/null" else name[2:]
            elif line.startswith("+++ "):
                name = _unquote(line[4:])
                current.path = "" if name == "/dev/null" else name[2:]
            elif line.startswith("@@ "):
                m = _HUNK.match(line)
                if m is None:
                    continue
                old_len = 1 if m.group(2) is None else int(m.group(2))
                new_len = 1 if m.group(4) is None else int(m.group(4))
                current.hunks.append((int(m.group(1)), old_len, int(m.group(3)), new_len))
                skip = old_len + new_len
                while skip and i < len(lines):
                    if not lines[i].startswith("\\"):  # "\ No newline at end of file"
                        skip -= 1
                    i += 1
        out[sha] = patches
    return out


def mine_hunks(
    root: str | os.PathLike[str],
    paths: Iterable[str],
    *,
    ref: str = "HEAD",
    since: int | None = None,
    max_commits: int | None = None,
) -> dict[str, list[FilePatch]]:
    """Hunk headers of every non-merge commit touching ``paths`` (give every name a file had,
    renames are matched by ``-M``), commit -> patches."""
    names = sorted(set(paths))
    if not names:
        return {}
    args = ["log", "--no-merges", "-M", "-p", "-U0", "--format=%x1e%H", "--no-color", "--no-ext-diff"]
    if since is not None and since >= _EARLIEST:
        args.append(f"--since=@{int(since)}")
    if max_commits is not None:
        args.append(f"--max-count={int(max_commits)}")
    args.extend([ref, "--", *(f":(literal){p}" for p in names)])
    return parse_patches(git(root, *args))
