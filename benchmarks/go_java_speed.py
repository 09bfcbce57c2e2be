"""Speed of the Go and Java front ends: parse + facts + every detector, on one core.

Usage (from the repository root; needs apt-get for the Debian corpora)::

    .venv/bin/python -m benchmarks.go_java_speed [--language go|java] [--profile]

Analyses the corpora of ``benchmarks/lizard_compare.py`` (the Go sources of cobra, x/tools and
prometheus client_golang; ``java.base/java/util``) in this process (``workers=1``, every detector
enabled, one language per run). Prints the files and lines, the process CPU time of the whole
analysis and of its file-local part (parse + walk + facts + detectors: the workers' share), per
100k lines, and the load average beside them. ``--profile`` adds the CPU time of each tree
detector (profiling itself costs some time). ``--decompose`` prints where the file-local time
goes, per 100k lines: tree-sitter's parse alone, a bare cursor walk over every node, the same walk
creating each ``Node``, and the shared front end (walk + facts) with no detector at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from analysis.engine import analyze
from analysis.engine.facts import FileFacts
from analysis.engine.languages import specs
from analysis.engine.languages.frontend import TreeFrontEnd
from benchmarks._debian import go_corpus, java_util

_EXTENSIONS = {"go": ".go", "java": ".java"}


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


def _walk(tree: object, with_nodes: bool) -> int:
    cursor = tree.walk()  # type: ignore[attr-defined]
    n = 0
    while True:
        n += 1
        if with_nodes:
            _ = cursor.node.kind_id
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return n
    return n


def decompose(language: str, roots: list[Path]) -> None:
    """Parse, bare walk, walk with nodes, front end without detectors — CPU-s per 100k lines."""
    datas = [
        (str(p), p.read_bytes())
        for root in roots
        for p in sorted(root.rglob(f"*{_EXTENSIONS[language]}"))
        if "testdata" not in p.parts and "vendor" not in p.parts
    ]
    lines = sum(d.count(b"\n") for _, d in datas)
    per = 100_000 / max(1, lines)
    front = TreeFrontEnd([])
    spec = specs()[language]
    t = time.process_time()
    trees = [front.grammar(spec, path).parser.parse(data) for path, data in datas]
    parse = time.process_time() - t
    t = time.process_time()
    nodes = sum(_walk(tree, False) for tree in trees)
    bare = time.process_time() - t
    t = time.process_time()
    for tree in trees:
        _walk(tree, True)
    with_nodes = time.process_time() - t
    timings = {"parse": 0.0, "traverse": 0.0}
    for path, data in datas:
        facts = FileFacts(path=path, module=path, language=language, content_hash="")
        front.process(facts, data, data.decode("utf-8", "replace").splitlines(), {}, timings)
    print(
        f"{language}: {lines} lines, {nodes} nodes; parse {parse * per:.2f}, bare walk {bare * per:.2f}, "
        f"walk creating nodes {with_nodes * per:.2f}, front end without detectors "
        f"{(timings['parse'] + timings['traverse']) * per:.2f} (walk + facts {timings['traverse'] * per:.2f}) "
        f"CPU-s/100k lines; load average {os.getloadavg()[0]:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=("go", "java"), action="append")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--decompose", action="store_true")
    args = parser.parse_args()
    for language in args.language or ["go", "java"]:
        roots = go_corpus() if language == "go" else [java_util()]
        if args.decompose:
            decompose(language, roots)
        else:
            measure(language, roots, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
