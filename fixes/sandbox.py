"""The sandbox: a throw-away checkout of a base commit where a diff is applied and checked.

``sandbox_check`` answers, for one diff: does it apply (``git apply --check``), do the changed
files still parse, does a re-analysis no longer report the target finding, which findings are
new, and (when the repository's ``repotoire.toml`` names one) does the test command pass. The
checkout lives in a temporary directory under the workspace and is deleted afterwards; nothing
is written anywhere else. Diff paths are validated before anything touches the disk.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings

from analysis.engine import ConfigError, EngineConfig, analyze, source
from analysis.engine.model import normalise_code
from analysis.engine.source import redact
from analysis.models import Provider
from analysis.services import repository_auth_headers, repository_clone_dir
from analysis.sources import CloneUrlError, FetchError, fetch_repository, local_repository_path
from fixes import jail

logger = logging.getLogger("repotoire.fixes")

OUTPUT_TAIL_CHARS = 4000
NEW_FINDINGS_LIMIT = 50
_GIT_TIMEOUT = 120.0
_FORBIDDEN_HEADERS = (
    "rename from",
    "rename to",
    "copy from",
    "copy to",
    "old mode",
    "new mode",
    "deleted file mode",
    "similarity index",
    "dissimilarity index",
    "GIT binary patch",
    "Binary files",
)


class DiffRejected(ValueError):
    """The diff is unsafe or malformed; the message is safe to show."""


class SandboxError(RuntimeError):
    """The sandbox could not be prepared (checkout failed...)."""


# --- diff paths ----------------------------------------------------------------------------------
def _clean_path(raw: str, prefix: str) -> str | None:
    raw = raw.split("\t", 1)[0].strip()
    if raw == "/dev/null":
        return None
    if raw.startswith('"'):
        raise DiffRejected("Quoted (escaped) paths are not accepted in a fix diff")
    if not raw.startswith(prefix):
        raise DiffRejected(f"Diff path {raw!r} must start with {prefix!r}")
    path = raw[len(prefix) :]
    check_relative_path(path)
    return path


def check_relative_path(path: str) -> None:
    """Refuse anything but a plain relative path inside the repository."""
    if not path or "\0" in path or "\\" in path or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise DiffRejected(f"Diff path {path!r} is not a relative path")
    parts = PurePosixPath(path).parts
    if any(p in ("..", ".") for p in parts) or path.endswith("/"):
        raise DiffRejected(f"Diff path {path!r} leaves the repository")
    if ".git" in parts:
        raise DiffRejected(f"Diff path {path!r} touches git metadata")


def diff_paths(diff: str) -> list[str]:
    """The files a unified diff changes, after checking every header; raises DiffRejected."""
    if not diff.strip():
        raise DiffRejected("The diff is empty")
    paths: list[str] = []
    old: str | None = None
    for line in diff.splitlines():
        if line.startswith(_FORBIDDEN_HEADERS):
            raise DiffRejected("Renames, copies, deletions, mode changes and binary patches are not accepted in a fix diff")
        if line.startswith("new file mode") and not line.endswith("100644"):
            raise DiffRejected("New files must be regular, non-executable files")
        if line.startswith("diff --git "):
            for token in line[len("diff --git ") :].split(" "):
                if token.startswith(("a/", "b/")):
                    check_relative_path(token[2:])
                else:
                    raise DiffRejected("Malformed diff --git header")
        elif line.startswith("--- "):
            old = _clean_path(line[4:], "a/")
        elif line.startswith("+++ "):
            new = _clean_path(line[4:], "b/")
            if new is None:
                raise DiffRejected("A fix diff may not delete files")
            if old is not None and old != new:
                raise DiffRejected("A fix diff may not rename files")
            if new not in paths:
                paths.append(new)
    if not paths:
        raise DiffRejected("The diff changes no file")
    return paths


def inside(root: Path, rel: str) -> Path:
    """``root/rel`` after checking that neither it nor a parent is a symlink leading out of root."""
    check_relative_path(rel)
    base = root.resolve()
    target = base / rel
    if target.is_symlink():
        raise DiffRejected(f"{rel} is a symbolic link")
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise DiffRejected(f"{rel} resolves outside the repository")
    return target


# --- git and processes -------------------------------------------------------------------------------
def _git_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": settings.REPOTOIRE_FIXES_GIT_AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": settings.REPOTOIRE_FIXES_GIT_AUTHOR_EMAIL,
        "GIT_COMMITTER_NAME": settings.REPOTOIRE_FIXES_GIT_AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": settings.REPOTOIRE_FIXES_GIT_AUTHOR_EMAIL,
    }


def git(args: list[str], cwd: Path, *, env: dict[str, str] | None = None, check: bool = True, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**_git_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=_GIT_TIMEOUT,
        input=stdin,
        check=False,
    )
    if check and proc.returncode != 0:
        raise SandboxError(redact(f"git {args[0]} failed: {(proc.stderr or proc.stdout).strip()[-500:]}"))
    return proc.stdout.strip() if proc.returncode == 0 else (proc.stderr or proc.stdout).strip()


def _limits(cpu_seconds: int, memory_mb: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024 * 1024, 256 * 1024 * 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_test_command(root: Path, command: str, *, timeout: int, scratch: Path) -> dict[str, Any]:
    """Run the repository's test command in ``root`` inside the jail (``fixes/jail.py``: as
    ``nobody``, private mount/PID/network namespaces, only the checkout writable), no shell,
    CPU/memory/file-size limits, a minimal environment (no server secrets), the whole jail
    killed at the timeout; returns the evidence with the output's tail. Not run at all where
    the jail is unavailable."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return {"ran": False, "passed": None, "output_tail": f"Invalid test command: {exc}", "command": command}
    if not argv:
        return {"ran": False, "passed": None, "output_tail": "", "command": command}
    reason = jail.unavailable()
    if reason is not None:
        return {
            "ran": False,
            "passed": None,
            "output_tail": f"Test commands run only in an isolated sandbox, unavailable on this server: {reason}",
            "command": command,
        }
    home = scratch / "home"
    tmp = scratch / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    # the checkout keeps its directory name: a root package takes its name from it
    inside = {root: f"/sandbox/{root.name}", home: "/sandbox/home", tmp: "/sandbox/tmp"}
    env = {
        "PATH": jail.PATH,
        "HOME": inside[home],
        "TMPDIR": inside[tmp],
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CI": "true",
    }
    jail.hand_over([root, home, tmp])
    started = time.monotonic()
    timed_out = False
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv from the repository's own config, no shell
            jail.argv(argv, writable=inside, cwd=inside[root], env=env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_limits(timeout + 5, int(settings.REPOTOIRE_FIXES_TEST_MEMORY_MB)),  # noqa: PLW1509
        )
    except OSError as exc:
        return {"ran": False, "passed": None, "output_tail": f"Could not start the test command: {exc}", "command": command}
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        # bwrap's PID 1 dies with it (--die-with-parent), and every process of the namespace
        # with that one, whatever session it moved to.
        with _suppress_process_lookup():
            os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
    text = output.decode("utf-8", "replace") if output else ""
    return {
        "ran": True,
        "passed": proc.returncode == 0 and not timed_out,
        "exit_code": proc.returncode,
        "timed_out": timed_out,
        "isolated": True,
        "network_isolated": True,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "output_tail": text[-OUTPUT_TAIL_CHARS:],
        "command": command,
    }


class _suppress_process_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return exc_type is ProcessLookupError


# --- the sandbox ------------------------------------------------------------------------------
def source_origin(repository: Any) -> str:
    """Where the sandbox fetches the base commit from: the analysis workspace's clone when there
    is one (no network), else the repository's own URL or local path."""
    cached = repository_clone_dir(repository)
    if (cached / ".git").is_dir():
        return f"file://{cached}"
    return _own_url(repository)


def _own_url(repository: Any) -> str:
    return f"file://{repository.clone_url}" if repository.provider == Provider.LOCAL else repository.clone_url


@dataclass
class Sandbox:
    """A temporary checkout of ``commit`` of ``repository`` (deleted on exit)."""

    repository: Any
    commit: str

    def __enter__(self) -> Sandbox:
        base = Path(settings.REPOTOIRE_WORKSPACE_DIR) / "sandboxes"
        base.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="fix-", dir=base))
        try:
            self.root = self._materialise()
        except BaseException:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _materialise(self) -> Path:
        if not self.commit:
            if self.repository.provider != Provider.LOCAL:
                raise SandboxError("The proposal has no base commit")
            # named like the analysed directory: a root package takes its name from it
            try:
                directory = local_repository_path(self.repository.clone_url)
            except CloneUrlError as exc:
                raise SandboxError(str(exc)) from exc
            target = self.scratch / "tree" / directory.name
            shutil.copytree(directory, target, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            git(["init", "-q"], target)
            return target
        origin = source_origin(self.repository)
        local = self._from_analysis_clone(origin)
        if local is not None:
            return local
        if origin.startswith("file://") and origin != _own_url(self.repository):
            origin = _own_url(self.repository)  # the analysis clone lacks this commit: ask the repository
        # The analysis clone needs no credentials; the repository's own URL may (GitHub App).
        headers = repository_auth_headers(self.repository) if not origin.startswith("file://") else []
        try:
            checkout = fetch_repository(
                origin, self.commit, workspace=self.scratch / "git", timeout=_GIT_TIMEOUT, http_headers=headers
            )
        except FetchError as exc:
            raise SandboxError(f"Could not check out {self.commit[:12]}: {exc}") from exc
        return Path(checkout.path)

    def _from_analysis_clone(self, origin: str) -> Path | None:
        """The commit's files straight from the analysis clone's object store (``read-tree`` and
        ``checkout-index`` through a temporary index: no transport, no copy of the objects, the
        clone untouched; ~0.5 s for Django where a fetch took ~3.7 s). None when the origin is not
        a local clone or the commit is not in it (then it is fetched)."""
        if not origin.startswith("file://"):
            return None
        git_dir = Path(origin[len("file://") :]) / ".git"
        if not git_dir.is_dir():
            return None
        found = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{self.commit}^{{commit}}"],
            env=_git_env(),
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
        if found.returncode != 0:
            return None
        # named as the analysis names its clone: a root package takes its name from the directory
        target = self.scratch / "tree" / source.repository_dir_name(origin)
        target.mkdir(parents=True)
        index = {"GIT_INDEX_FILE": str(self.scratch / "index")}
        git(["--git-dir", str(git_dir), "read-tree", self.commit], self.scratch, env=index)
        git(["--git-dir", str(git_dir), "--work-tree", str(target), "checkout-index", "-a", "-f"], self.scratch, env=index)
        # its own repository, so that `git apply` never looks for one further up
        git(["init", "-q"], target)
        return target

    def read(self, rel: str) -> str | None:
        path = inside(self.root, rel)
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8")

    def apply(self, diff: str, *, check_only: bool = False, reverse: bool = False) -> tuple[bool, str]:
        for rel in diff_paths(diff):
            inside(self.root, rel)
        patch = self.scratch / "fix.patch"
        patch.write_text(diff, encoding="utf-8")
        flags = ["-R"] if reverse else []
        proc = subprocess.run(
            ["git", "apply", "--check", *flags, str(patch)],
            cwd=self.root,
            env=_git_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or check_only:
            return proc.returncode == 0, proc.stderr.strip()[-2000:]
        proc = subprocess.run(
            ["git", "apply", *flags, str(patch)], cwd=self.root, env=_git_env(), capture_output=True, text=True, check=False
        )
        return proc.returncode == 0, proc.stderr.strip()[-2000:]

    def analyze(self, previous: Any = None) -> Any:
        return analyze(str(self.root), previous=previous, workers=1)

    def config_options(self) -> dict[str, Any]:
        try:
            options = EngineConfig.load(self.root).options.get("fixes") or {}
        except ConfigError:
            return {}
        return options if isinstance(options, dict) else {}


def _identity(f: Any) -> tuple[str, str, str, str]:
    return (f.detector, f.path, f.symbol, normalise_code(f.snippet or f.message))


def compare_findings(before: list[Any], after: list[Any], fingerprint: str) -> tuple[bool, bool, list[dict[str, Any]]]:
    """(target resolved, target present before, new findings) between two analyses.

    Identical findings in one symbol are told apart by an occurrence index in their
    fingerprints, so fixing the first of two identical ``except Exception: pass`` hands its
    fingerprint to the second: counts per identity (detector, file, symbol, normalised code)
    decide instead, and a finding whose fingerprint only moved to another index is not new."""
    before_fps = {f.fingerprint for f in before}
    after_fps = {f.fingerprint for f in after}
    target = next((f for f in before if f.fingerprint == fingerprint), None)
    counts_before: dict[tuple[str, str, str, str], int] = {}
    for f in before:
        counts_before[_identity(f)] = counts_before.get(_identity(f), 0) + 1
    counts_after: dict[tuple[str, str, str, str], int] = {}
    for f in after:
        counts_after[_identity(f)] = counts_after.get(_identity(f), 0) + 1
    if target is None:
        resolved = fingerprint not in after_fps
    else:
        key = _identity(target)
        resolved = fingerprint not in after_fps or counts_after.get(key, 0) < counts_before.get(key, 0)
    new: list[dict[str, Any]] = []
    extra = {k: n - counts_before.get(k, 0) for k, n in counts_after.items() if n > counts_before.get(k, 0)}
    for f in after:
        key = _identity(f)
        if f.fingerprint not in before_fps and extra.get(key, 0) > 0:
            extra[key] -= 1
            new.append(_brief(f))
    return resolved, target is not None, new


def _brief(f: Any) -> dict[str, Any]:
    return {
        "detector": f.detector,
        "severity": f.severity,
        "title": f.title,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "fingerprint": f.fingerprint,
    }


def empty_result() -> dict[str, Any]:
    return {
        "applies": False,
        "syntax_ok": False,
        "finding_resolved": False,
        "target_present_before": None,
        "new_findings": [],
        "tests": {"ran": False, "passed": None, "output_tail": ""},
        "duration_ms": 0,
        "errors": [],
    }


def check_in_sandbox(
    sandbox: Sandbox, diff: str, fingerprint: str, *, baseline: Any, run_tests: bool | None = None
) -> dict[str, Any]:
    """Apply ``diff`` in ``sandbox`` (left applied), re-analyse, compare with ``baseline``."""
    started = time.monotonic()
    result = empty_result()
    try:
        paths = diff_paths(diff)
        applies, output = sandbox.apply(diff)
    except DiffRejected as exc:
        result["errors"].append(str(exc))
        result["duration_ms"] = int((time.monotonic() - started) * 1000)
        return result
    result["applies"] = applies
    if not applies:
        result["errors"].append(f"git apply --check failed: {output}")
        result["duration_ms"] = int((time.monotonic() - started) * 1000)
        return result
    syntax_ok = True
    for rel in paths:
        if not rel.endswith(".py"):
            continue
        text = sandbox.read(rel)
        try:
            ast.parse(text or "", filename=rel)
        except (SyntaxError, ValueError) as exc:
            syntax_ok = False
            result["errors"].append(f"{rel} does not parse: {exc}")
    result["syntax_ok"] = syntax_ok
    patched = sandbox.analyze(previous=baseline)
    resolved, present, new = compare_findings(baseline.findings, patched.findings, fingerprint)
    result["target_present_before"] = present
    result["finding_resolved"] = resolved
    result["new_findings"] = new[:NEW_FINDINGS_LIMIT]
    result["new_findings_count"] = len(new)
    options = sandbox.config_options()
    command = options.get("test_command")
    enabled = settings.REPOTOIRE_FIXES_RUN_TESTS if run_tests is None else run_tests
    if command and isinstance(command, str) and enabled and syntax_ok:
        timeout = min(
            int(options.get("test_timeout") or settings.REPOTOIRE_FIXES_TEST_TIMEOUT_SECONDS),
            settings.REPOTOIRE_FIXES_TEST_TIMEOUT_SECONDS,
        )
        result["tests"] = run_test_command(sandbox.root, command, timeout=max(timeout, 1), scratch=sandbox.scratch)
    elif command and not enabled:
        result["tests"] = {
            "ran": False,
            "passed": None,
            "output_tail": "Test commands are disabled on this server",
            "command": command,
        }
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


def sandbox_check(
    *, repository: Any, commit: str, diff: str, fingerprint: str, previous: Any = None, run_tests: bool | None = None
) -> dict[str, Any]:
    """Check one diff in a fresh sandbox of ``commit`` (see the module docstring)."""
    started = time.monotonic()
    try:
        diff_paths(diff)
    except DiffRejected as exc:
        return {**empty_result(), "errors": [str(exc)]}
    try:
        with Sandbox(repository, commit) as sandbox:
            baseline = sandbox.analyze(previous=previous)
            result = check_in_sandbox(sandbox, diff, fingerprint, baseline=baseline, run_tests=run_tests)
    except SandboxError as exc:
        return {**empty_result(), "errors": [str(exc)], "duration_ms": int((time.monotonic() - started) * 1000)}
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result
