"""Fixtures of the analysis tests: real git repositories in tmp_path, a uvicorn server on the
test database for the SSE stream."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Three known problems: eval(input()) (code-injection, critical), a bare except
# (bare-or-swallowed-except, medium) and an unused import (unused-import, low).
APP_PY = '''"""A small app with known problems."""

import os
import json

from pkg.helpers import add


def run():
    """Evaluate what the user types."""
    value = eval(input())
    try:
        return json.dumps(add(value, 1))
    except:
        pass
'''

HELPERS_PY = '''"""Helpers without problems."""


def add(a: int, b: int) -> int:
    """Sum of two numbers."""
    return a + b
'''


from tests.asgi import asgi_server as start_asgi_server  # noqa: E402
from tests.gitrepo import commit_files, git  # noqa: E402 - re-exported for the analysis tests


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A git repository with ``app.py`` (three known problems) and a clean ``helpers.py``."""
    path = tmp_path / "sample"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit_files(path, {"app.py": APP_PY, "pkg/__init__.py": "", "pkg/helpers.py": HELPERS_PY}, "initial")
    return path


@pytest.fixture(autouse=True)
def _workspace(tmp_path: Path, settings) -> None:
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    # Some tests clone from (or fail to reach) git servers on 127.0.0.1.
    settings.REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS = True
    # Other apps hook into completion (code search, GitHub); these tests cover the hook itself.
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}


@pytest.fixture
def asgi_server(transactional_db, tmp_path: Path):
    """``uvicorn repotoire.asgi:application`` (what ``make run`` serves) on the test database;
    yields its base URL."""
    heartbeat = os.environ.get("REPOTOIRE_SSE_HEARTBEAT_SECONDS", "1")
    with start_asgi_server(tmp_path, REPOTOIRE_SSE_HEARTBEAT_SECONDS=heartbeat) as base:
        yield base


def parse_sse(text: str) -> list[dict]:
    """Events of an SSE body: [{"event": ..., "data": ...}], comments as {"comment": ...}."""
    import json

    events: list[dict] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event: dict = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                event.setdefault("comment", line[1:].strip())
            elif line.startswith("event:"):
                event["event"] = line[6:].strip()
            elif line.startswith("data:"):
                event["data"] = json.loads(line[5:].strip())
        events.append(event)
    return events


@pytest.fixture
def worker_env(monkeypatch, tmp_path: Path) -> None:
    """Environment for worker and server subprocesses (request it before ``qcluster``)."""
    monkeypatch.setenv("REPOTOIRE_WORKSPACE_DIR", str(tmp_path / "workspaces"))
    monkeypatch.setenv("REPOTOIRE_ALLOW_LOCAL_REPOS", "true")
    monkeypatch.setenv("REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE", "false")


MODULE = '''def f{i}(a, b):
    """Doc."""
    if a > b:
        return a - b
    for i in range(a):
        b += i
    return b


def g{i}(x):
    """Doc."""
    return f{i}(x, 1)
'''


def many_modules_repo(path: Path, modules: int) -> Path:
    """A git repository of ``modules`` small modules (and a package ``__init__``)."""
    (path / "pkg").mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    files = {f"pkg/m{i}.py": MODULE.format(i=i) for i in range(modules)}
    files["pkg/__init__.py"] = ""
    commit_files(path, files, "many modules")
    return path


@pytest.fixture
def big_repo(tmp_path: Path) -> Path:
    """Enough files that the analysis runs for seconds on one core."""
    return many_modules_repo(tmp_path / "big", 1500)
