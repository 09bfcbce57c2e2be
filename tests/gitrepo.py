"""Real git repositories for tests: run git with a fixed identity, write files and commit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.test",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.test",
}


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, env={**os.environ, **_IDENTITY}, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_files(path: Path, files: dict[str, str | None], message: str) -> str:
    """Write (or delete, for None) files and commit them; returns the new HEAD."""
    for name, text in files.items():
        target = path / name
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD")


def commit_as(path: Path, files: dict[str, str | None], message: str, *, author: str, email: str, date: str) -> str:
    """``commit_files`` with a given author and date (ISO 8601; author and committer alike)."""
    env = {
        **os.environ,
        **_IDENTITY,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    for name, text in files.items():
        target = path / name
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=path, env=env, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=path, env=env, check=True, capture_output=True)
    return git(path, "rev-parse", "HEAD")
