"""Speed of the Go and Java front ends: parse + facts + every detector, on one core.

Usage (from the repository root; needs apt-get for the Debian corpora)::

    .venv/bin/python -m benchmarks.go_java_speed [--language go|java] [--profile]

Analyses the corpora of ``benchmarks/lizard_compare.py`` (the Go sources of cobra, x/tools and
prometheus client_golang; ``java.base/java/util``) in this process (``workers=1``, every detector
enabled, one language per run). Prints the files and lines, the process CPU time of the whole
analysis and of its file-local part (parse + walk + facts + detectors: the workers' share), per
100k lines, and the load average beside them. ``--profile`` adds the CPU time of each tree
detector (profiling itself costs some time).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from analysis.engine import analyze
from benchmarks._debian import go_corpus, java_util


def measure(language: str, roots: list[Path], profile: bool) -> tuple[int, float, float]:
    lines = 0
    cpu = local = 0.0
    detectors: dict[str, float] = {}
    parts: dict[str, float] = {}
    for root in roots:
        t = time.process_time()
        result = analyze(str(root), workers=1, config={"languages": [language]}, profile=profile)
        cpu += time.process_time() - t
        local += sum(v for k, v in result.timings.items() if k.startswith("parse.cpu."))
        lines += sum(f.lines for f in result.files.values())
        for key, value in result.timings.items():
            if key.startswith("detector."):
                detectors[key] = detectors.get(key, 0.0) + value
            elif key.startswith("parse.cpu."):
                parts[key] = parts.get(key, 0.0) + value
    per = 100_000 / max(1, lines)
    print(
        f"{language}: {lines} lines; CPU {cpu:.2f} s total = {cpu * per:.2f} CPU-s/100k lines; "
        f"file-local (parse + facts + detectors) {local:.2f} s = {local * per:.2f} CPU-s/100k lines; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for key, value in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {key:40} {value * per:.3f} CPU-s/100k lines")
    for key, value in sorted(detectors.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {key:40} {value * per:.3f} CPU-s/100k lines")
    return lines, cpu, local


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=("go", "java"), action="append")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    for language in args.language or ["go", "java"]:
        measure(language, go_corpus() if language == "go" else [java_util()], args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
