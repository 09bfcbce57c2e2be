"""Download and unpack real projects' source distributions for the benchmarks.

Usage from another benchmark (run benchmarks from the repository root as
``.venv/bin/python -m benchmarks.<script>``; ``benchmarks`` is a namespace package)::

    from benchmarks._cache import project_source, ensure_tools, STDLIB
    django_root = project_source("django")          # .../benchmarks/.cache/src/django-5.2.x/django
    ensure_tools("radon", "grimp")                   # pip-installs benchmark-only tools on demand

Sdists are fetched with ``pip download --no-binary :all: --no-deps`` into ``benchmarks/.cache/``
(git-ignored) and unpacked once; later calls reuse the unpacked tree.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
DIST = CACHE / "dist"
SRC = CACHE / "src"
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"

# project -> (pip requirement, import package inside the sdist)
PROJECTS: dict[str, tuple[str, str]] = {
    "django": ("django==5.2.*", "django"),
    "flask": ("flask", "flask"),
    "requests": ("requests", "requests"),
}

STDLIB = "/root/.pyenv/versions/3.11.7/lib/python3.11"


def _download(requirement: str) -> None:
    DIST.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--dest",
            str(DIST),
            requirement,
        ],
        check=True,
    )


def _archive_for(name: str, version: str = "*") -> Path | None:
    candidates = [
        Path(p)
        for pattern in (f"{name}-{version}.tar.gz", f"{name.capitalize()}-{version}.tar.gz", f"{name}-{version}.zip")
        for p in glob.glob(str(DIST / pattern))
    ]
    return max(candidates, key=lambda p: p.name) if candidates else None


def _unpack(archive: Path) -> Path:
    SRC.mkdir(parents=True, exist_ok=True)
    stem = archive.name.removesuffix(".tar.gz").removesuffix(".zip")
    target = SRC / stem
    if target.is_dir():
        return target
    tmp = SRC / f".{stem}.partial"
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(tmp, filter="data")
    inner = tmp / stem
    (inner if inner.is_dir() else tmp).rename(target)
    if tmp.exists():
        tmp.rmdir()
    return target


def project_root(name: str) -> Path:
    """Unpacked sdist directory of ``name`` (downloaded on first use)."""
    requirement, _ = PROJECTS[name]
    # a pinned requirement ("radicale==3.9.0") must find that exact version, not whatever is cached
    version = requirement.partition("==")[2] or "*"
    archive = _archive_for(name, version)
    if archive is None:
        _download(requirement)
        archive = _archive_for(name, version)
    if archive is None:
        raise RuntimeError(f"could not download {requirement}")
    return _unpack(archive)


def project_source(name: str) -> Path:
    """The importable package directory inside the unpacked sdist (e.g. ``.../django``)."""
    root = project_root(name)
    _, package = PROJECTS[name]
    for candidate in (root / package, root / "src" / package):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"no {package}/ package in {root}")


def ensure_tools(*modules: str) -> None:
    """Install benchmark-only tools (listed in benchmarks/requirements.txt) when missing."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)


def tool_path(executable: str) -> str:
    """Path of a console script installed next to the running interpreter."""
    candidate = os.path.join(os.path.dirname(sys.executable), executable)
    return candidate if os.path.exists(candidate) else executable


if __name__ == "__main__":
    for project in PROJECTS:
        print(project, project_source(project))
