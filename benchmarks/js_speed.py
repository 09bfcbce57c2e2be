"""Speed of the JavaScript/TypeScript front end: parse + facts + every JS/TS detector, on one core.

Usage (from the repository root; needs npm and the npm registry)::

    .venv/bin/python -m benchmarks.js_speed [package ...]     # default: rxjs@7.8.2 zod@4.6.7

Fetches each package's tarball with ``npm pack`` into ``benchmarks/.cache/npm/packs`` (first run),
unpacks it, and analyses its ``src/`` TypeScript sources in this process (``workers=1``, every
detector enabled, ``languages = ["typescript"]``; declaration files are excluded as by default).
Prints the files, physical and code lines, the process CPU time of the whole analysis and of its
file-local part (parse + walk + detectors), per 100k lines, and the load average beside them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from analysis.engine import analyze

PACKS = Path(__file__).resolve().parent / ".cache" / "npm" / "packs"
DEFAULT = ("rxjs@7.8.2", "zod@4.6.7")


def unpacked(spec: str) -> Path:
    """The unpacked package directory of ``name@version`` (downloaded with ``npm pack``)."""
    PACKS.mkdir(parents=True, exist_ok=True)
    name, _, version = spec.rpartition("@")
    target = PACKS / f"{name}-{version}"
    if target.is_dir():
        return target
    out = subprocess.run(["npm", "pack", spec, "--silent"], cwd=PACKS, capture_output=True, text=True, check=True)
    tarball = PACKS / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tf:
        tf.extractall(PACKS / f".{target.name}", filter="data")
    (PACKS / f".{target.name}" / "package").rename(target)
    (PACKS / f".{target.name}").rmdir()
    return target


def measure(spec: str) -> tuple[int, int, int, float, float]:
    root = unpacked(spec) / "src"
    t = time.process_time()
    result = analyze(str(root), workers=1, config={"languages": ["typescript"]})
    cpu = time.process_time() - t
    local = sum(v for k, v in result.timings.items() if k.startswith("parse.cpu."))
    lines = sum(f.lines for f in result.files.values())
    print(
        f"{spec}: {result.files_analyzed} files, {lines} lines ({result.lines_analyzed} code lines), "
        f"{len(result.findings)} findings; CPU {cpu:.2f} s total = {100_000 * cpu / max(1, lines):.2f} CPU-s/100k lines; "
        f"file-local (parse + facts + detectors) {local:.2f} s = {100_000 * local / max(1, lines):.2f} CPU-s/100k lines"
    )
    return result.files_analyzed, lines, result.lines_analyzed, cpu, local


def main(argv: list[str]) -> int:
    specs = argv or list(DEFAULT)
    totals = [0, 0, 0, 0.0, 0.0]
    for spec in specs:
        for i, value in enumerate(measure(spec)):
            totals[i] += value
    files, lines, code, cpu, local = totals
    print(
        f"ALL: {files} files, {lines} lines; {100_000 * cpu / max(1, lines):.2f} CPU-s/100k lines in total, "
        f"{100_000 * local / max(1, lines):.2f} file-local; load average {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
