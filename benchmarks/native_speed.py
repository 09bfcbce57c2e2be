"""Speed of the Rust, C, C++ and C# front ends: parse + facts + every detector, on one core; and
what the detectors report on that real code.

Usage (from the repository root; needs apt-get and pip for the corpora)::

    .venv/bin/python -m benchmarks.native_speed [--language rust|c|cpp|csharp] [--profile]

Analyses the corpora of ``benchmarks/native_complexity.py`` (regex, syn, serde and tokio; zstd and
python-zstandard's C extension, the file size limit raised to 4 MB for ``zstd.c``; googletest,
fmt and nlohmann-json; pythonnet) in this process (``workers=1``, every detector enabled, one
language per run). Prints the files and lines, the process CPU time of the whole analysis and of
its file-local part (parse + walk + facts + detectors: the workers' share), per 100k lines, the
load average beside them, the share of files with syntax errors, and the number of findings of
each language-specific detector by kind (vulnerability / hotspot / issue) — code nobody labelled,
so a count to read, not a precision. ``--profile`` adds the CPU time of each tree detector.
``--held-out`` runs the same on code the detectors were not tuned on (``libstb-dev``: C;
``libspdlog-dev``: C++, Debian) and lists each finding of the language-specific detectors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from analysis.engine import analyze
from benchmarks._debian import debian_tree
from benchmarks.native_complexity import MAX_FILE_SIZE, corpora

HELD_OUT = (("c", "libstb-dev", "usr/include/stb"), ("cpp", "libspdlog-dev", "usr/include/spdlog"))

_SPECIFIC = frozenset(
    {
        "buffer-overflow",
        "format-string",
        "command-injection",
        "insecure-random",
        "switch-fallthrough",
        "assignment-in-condition",
        "unsafe-block",
        "insecure-tls",
        "unwrap-in-library",
        "panic-in-drop",
        "sql-injection",
        "unsafe-deserialization",
        "weak-crypto",
        "parse-error",
    }
)


def measure(language: str, roots: list[Path], profile: bool, listing: bool = False) -> None:
    lines = files = with_errors = 0
    cpu = local = 0.0
    detectors: dict[str, float] = {}
    found: Counter[tuple[str, str]] = Counter()
    for root in roots:
        t = time.process_time()
        result = analyze(str(root), workers=1, config={"languages": [language], "max_file_size": MAX_FILE_SIZE}, profile=profile)
        cpu += time.process_time() - t
        local += sum(v for k, v in result.timings.items() if k.startswith("parse.cpu."))
        lines += sum(f.lines for f in result.files.values())
        files += len(result.files)
        with_errors += sum(1 for f in result.files.values() if f.extra.get("syntax_errors"))
        for key, value in result.timings.items():
            if key.startswith("detector."):
                detectors[key] = detectors.get(key, 0.0) + value
        found.update((f.detector, f.kind) for f in result.findings if f.detector in _SPECIFIC)
        for f in result.findings if listing else []:
            if f.detector in _SPECIFIC:
                print(f"  {f.detector} {f.kind} {root.name}/{f.path}:{f.line} {f.snippet.splitlines()[0].strip()[:80]}")
    per = 100_000 / max(1, lines)
    print(
        f"{language}: {files} files, {lines} lines; CPU {cpu:.2f} s total = {cpu * per:.2f} CPU-s/100k lines; "
        f"file-local (parse + facts + detectors) {local:.2f} s = {local * per:.2f} CPU-s/100k lines; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  files with syntax errors (ERROR nodes, facts still extracted): {with_errors}/{files}")
    for (detector, kind), n in sorted(found.items()):
        print(f"  findings {detector:26} {kind:14} {n}")
    for key, value in sorted(detectors.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {key:40} {value * per:.3f} CPU-s/100k lines")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=("rust", "c", "cpp", "csharp"), action="append")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--held-out", action="store_true")
    args = parser.parse_args()
    if args.held_out:
        for language, package, sub in HELD_OUT:
            measure(language, [debian_tree(package) / sub], args.profile, listing=True)
        return 0
    for language in args.language or ["rust", "c", "cpp", "csharp"]:
        measure(language, corpora(language), args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
