"""Cyclomatic complexity of Go and Java functions: the engine against lizard 1.24.3.

Usage (from the repository root; needs apt-get for the Debian corpora, lizard from
``benchmarks/requirements.txt``)::

    .venv/bin/python -m benchmarks.lizard_compare [--language go|java] [--show 20]

Corpora (downloaded and unpacked once into ``benchmarks/.cache/deb``): the Go sources of
``golang-github-spf13-cobra-dev``, ``golang-golang-x-tools-dev`` and
``golang-github-prometheus-client-golang-dev``; ``java.base/java/util`` of ``openjdk-17-source``.
Lizard runs on exactly the files the engine analysed. Functions are matched by file and line:
Go by the line of ``func`` (both start there), Java by the closing line and the name (the
engine's definition starts at its annotations, lizard's at its name). Java lambdas are functions of
their own in the engine and part of the enclosing method in lizard: their decisions are added back
to the enclosing method before comparing.

``--go-package NAME`` and ``--java-dir java.base/java/io`` run the same comparison on other
corpora (held-out checks). Prints per language: lizard's function count, recall (lizard functions the engine found),
agreement (matched functions with the same complexity, of lizard's functions), and each
difference classified: ``wildcard`` (lizard counts some ``?`` of generic wildcards as
decisions: the difference is at most the wildcards in the function), ``absorbed`` (lizard's body-less ``func`` declaration takes the next function's body),
``struct-result`` (lizard ends a Go function at the ``{}`` of a ``struct{...}`` in its result
type, so it counts nothing of the body), ``not a function`` (lizard takes a call in a Java field
initialiser for a method declaration) or ``other`` (listed).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import lizard

from analysis.engine import analyze
from benchmarks._debian import debian_tree, go_corpus, java_util, openjdk_dir

_WILDCARD = re.compile(r"(?<=[<,])\s*\?(?=\s*(?:extends\b|super\b|[,>]))")


@dataclass
class Fn:
    path: str
    name: str
    start: int
    end: int
    ccn: int


def engine_functions(root: Path, language: str) -> tuple[list[Fn], list[str], float]:
    t = time.process_time()
    result = analyze(str(root), workers=1, config={"languages": [language]})
    cpu = time.process_time() - t
    out: list[Fn] = []
    for path, facts in result.files.items():
        defs = [d for d in facts.definitions if d.metrics is not None]
        lambdas = [d for d in defs if d.name == "<lambda>"]
        for d in defs:
            if d.name == "<lambda>":
                continue
            ccn = d.metrics.cyclomatic if d.metrics is not None else 1
            # lizard counts a lambda's decisions in the method around it
            for lam in lambdas:
                owner = _owner(lam, defs)
                if owner is d and lam.metrics is not None:
                    ccn += lam.metrics.cyclomatic - 1
            out.append(Fn(path, d.name, d.line, d.end_line, ccn))
    return out, sorted(result.files), cpu


def _owner(lam: object, defs: list) -> object | None:
    """The innermost non-lambda function containing a lambda (by qualified name)."""
    qual = lam.qualname  # type: ignore[attr-defined]
    best = None
    for d in defs:
        if d.name != "<lambda>" and qual.startswith(d.qualname + ".") and (best is None or len(d.qualname) > len(best.qualname)):
            best = d
    return best


def lizard_functions(root: Path, files: Iterable[str]) -> list[Fn]:
    out: list[Fn] = []
    for rel in files:
        info = lizard.analyze_file(str(root / rel))
        for f in info.function_list:
            out.append(Fn(rel, f.name.rsplit("::", 1)[-1], f.start_line, f.end_line, f.cyclomatic_complexity))
    return out


def compare(language: str, roots: list[Path], show: int) -> None:
    ours: list[Fn] = []
    theirs: list[Fn] = []
    cpu = 0.0
    n_files = 0
    lines = 0
    for root in roots:
        mine, files, seconds = engine_functions(root, language)
        ours.extend(Fn(f"{_label(root)}/{f.path}", f.name, f.start, f.end, f.ccn) for f in mine)
        for f in lizard_functions(root, files):
            theirs.append(Fn(f"{_label(root)}/{f.path}", f.name, f.start, f.end, f.ccn))
        cpu += seconds
        n_files += len(files)
        lines += sum(len((root / p).read_bytes().splitlines()) for p in files)
        sources = {f"{_label(root)}/{p}": (root / p).read_text("utf-8", "replace").splitlines() for p in files}
        _SOURCES.update(sources)
    index: dict[tuple, list[Fn]] = defaultdict(list)
    for f in ours:
        index[_key(language, f)].append(f)
    starts: dict[str, list[Fn]] = defaultdict(list)
    for f in ours:
        starts[f.path].append(f)
    found = agree = not_functions = 0
    kinds: dict[str, list[str]] = defaultdict(list)
    missing: list[str] = []
    by_end: dict[tuple, list[Fn]] = defaultdict(list)
    for f in ours:
        by_end[(f.path, f.end)].append(f)
    for f in theirs:
        pool = index.get(_key(language, f), [])
        if not pool and language == "java" and f".{f.name}(" in _signature(f):
            # ``static final X x = cond ? Pool.commonPool() : ...;``: a call taken for a method
            kinds["not a function (a call in a field initialiser)"].append(describe(f, None))
            not_functions += 1
            continue
        if not pool and language == "java":
            # lizard names a method after an annotation with arguments by the annotation
            # (``@SuppressWarnings("unchecked")`` -> "SuppressWarnings"): the closing line decides
            pool = [g for g in by_end.get((f.path, f.end), []) if g.name != "<lambda>"]
            if len(pool) == 1:
                kinds["misnamed by lizard (matched by closing line)"].append(describe(f, pool[0]))
        if not pool:
            if language == "go" and _absorbed(f, starts[f.path]):
                kinds["absorbed (not found)"].append(describe(f, None))
            else:
                missing.append(describe(f, None))
            continue
        found += 1
        same = next((g for g in pool if g.ccn == f.ccn), None)
        if same is not None:
            pool.remove(same)
            agree += 1
            continue
        mine = pool.pop(0)
        kinds[_classify(language, f, mine, starts[f.path])].append(describe(f, mine))
    total = len(theirs) - not_functions
    print(f"{language}: {n_files} files, {lines} lines; engine {cpu:.2f} CPU-s")
    print(f"  lizard functions {total} (+{not_functions} that are not functions), engine functions {len(ours)}")
    print(f"  recall    {found}/{total} = {100 * found / max(total, 1):.2f}%")
    print(f"  agreement {agree}/{total} = {100 * agree / max(total, 1):.2f}%")
    print_differences(kinds, missing, show)


def print_differences(kinds: dict[str, list[str]], missing: list[str], show: int) -> None:
    """Each kind of difference with its count and examples (``show`` of ``other``, 3 of the rest),
    then the functions not found (also in ``native_complexity``)."""
    for kind, items in sorted(kinds.items()):
        print(f"  differences, {kind}: {len(items)}")
        for item in items[: show if kind.startswith("other") else min(show, 3)]:
            print(f"    {item}")
    print(f"  not found: {len(missing)}")
    for item in missing[:show]:
        print(f"    {item}")


_SOURCES: dict[str, list[str]] = {}


def _label(root: Path) -> str:
    """The corpus a root belongs to: the Debian package's directory name."""
    return next((p.name for p in root.parents if p.parent.name == "x"), root.name)


def _key(language: str, f: Fn) -> tuple:
    return (f.path, f.start) if language == "go" else (f.path, f.end, f.name)


def _absorbed(f: Fn, functions: list[Fn]) -> bool:
    """Lizard's body-less ``func`` (an assembly stub or a linkname) swallowing the next function."""
    return any(g.end == f.end and g.start > f.start for g in functions) or any(
        g.start == f.start and g.end == g.start and f.end > f.start for g in functions
    )


def _classify(language: str, theirs: Fn, mine: Fn, functions: list[Fn]) -> str:
    if language == "java":
        text = "\n".join(_SOURCES.get(theirs.path, [])[theirs.start - 1 : theirs.end])
        text = re.sub(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", " ", text, flags=re.S)
        if 0 < theirs.ccn - mine.ccn <= len(_WILDCARD.findall(text)):
            return "wildcard"
    if language == "go" and _absorbed(theirs, functions):
        return "absorbed"
    if language == "go" and theirs.end == theirs.start < mine.end and "struct{" in _signature(theirs):
        return "struct-result"
    return "other"


def _signature(f: Fn) -> str:
    lines = _SOURCES.get(f.path, [])
    return lines[f.start - 1] if 0 < f.start <= len(lines) else ""


def describe(theirs: Fn, mine: Fn | None) -> str:
    where = f"{theirs.path}:{theirs.start}-{theirs.end} {theirs.name}"
    return f"{where} lizard {theirs.ccn}" + (f" engine {mine.ccn}" if mine is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=("go", "java"), action="append")
    parser.add_argument("--show", type=int, default=20)
    parser.add_argument("--go-package", action="append", help="another Debian Go package (held-out check)")
    parser.add_argument("--java-dir", action="append", help="another directory of src.zip, e.g. java.base/java/io")
    args = parser.parse_args()
    if args.go_package or args.java_dir:
        if args.go_package:
            compare("go", [debian_tree(p) / "usr" / "share" / "gocode" / "src" for p in args.go_package], args.show)
        if args.java_dir:
            compare("java", [openjdk_dir(d) for d in args.java_dir], args.show)
        return
    for language in args.language or ["go", "java"]:
        roots = go_corpus() if language == "go" else [java_util()]
        compare(language, roots, args.show)


if __name__ == "__main__":
    main()
