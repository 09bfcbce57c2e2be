"""Debian packages as benchmark corpora: ``apt-get download`` + ``dpkg-deb -x`` into
``benchmarks/.cache/deb`` (git-ignored), once; later calls reuse the unpacked tree.

    from benchmarks._debian import debian_tree
    root = debian_tree("golang-github-spf13-cobra-dev")   # .../.cache/deb/x/golang-github-spf13-cobra-dev
"""

from __future__ import annotations

import glob
import subprocess
import zipfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache" / "deb"


def debian_tree(package: str) -> Path:
    """The unpacked contents of a Debian package (downloaded with apt-get on first use)."""
    target = CACHE / "x" / package
    if target.is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    found = glob.glob(str(CACHE / f"{package}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", package], cwd=CACHE, check=True, capture_output=True)
        found = glob.glob(str(CACHE / f"{package}_*.deb"))
    partial = target.with_name(f".{package}.partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["rm", "-rf", str(partial)], check=True)
    subprocess.run(["dpkg-deb", "-x", max(found), str(partial)], check=True)
    partial.rename(target)
    return target


GO_PACKAGES = (
    "golang-github-spf13-cobra-dev",
    "golang-golang-x-tools-dev",
    "golang-github-prometheus-client-golang-dev",
)


def go_corpus() -> list[Path]:
    """The Go sources of the three packages the issue names (``usr/share/gocode/src``)."""
    return [debian_tree(p) / "usr" / "share" / "gocode" / "src" for p in GO_PACKAGES]


def java_util() -> Path:
    """``java.base/java/util`` from ``openjdk-17-source``'s ``src.zip``."""
    return openjdk_dir("java.base/java/util")


def openjdk_dir(sub: str) -> Path:
    """A directory of ``openjdk-17-source``'s ``src.zip`` (``java.base/java/io``...), unpacked once."""
    label = sub.strip("/").replace("/", ".")
    target = CACHE / "x" / ("java.util" if label == "java.base.java.util" else label)
    if target.is_dir():
        return target / sub
    src = debian_tree("openjdk-17-source")
    archive = next(src.glob("usr/lib/jvm/*/lib/src.zip"))
    partial = target.with_name(f".{target.name}.partial")
    subprocess.run(["rm", "-rf", str(partial)], check=True)
    prefix = sub.strip("/") + "/"
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.startswith(prefix):
                zf.extract(name, partial)
    partial.rename(target)
    return target / sub
