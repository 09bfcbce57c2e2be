"""Cyclomatic complexity and function recall of Rust, C, C++ and C# functions: the engine against
lizard 1.24.3.

Usage (from the repository root; needs apt-get and pip for the corpora, lizard from
``benchmarks/requirements.txt``)::

    .venv/bin/python -m benchmarks.native_complexity [--language rust|c|cpp|csharp] [--show 10]

Corpora (downloaded and unpacked once into ``benchmarks/.cache``):

* Rust: the crate sources of ``librust-regex-dev``, ``librust-syn-dev``, ``librust-serde-dev`` and
  ``librust-tokio-dev`` (``usr/share/cargo/registry``);
* C++: ``googletest`` (``usr/src/googletest``), ``libfmt-dev`` and ``nlohmann-json3-dev``
  (``usr/include``: headers only, C++ by content);
* C: the ``zstd/`` and ``c-ext/`` directories of the ``zstandard`` 0.25.0 sdist (``zstd.c`` is
  the 2.2 MB amalgamation: the file size limit is raised to 4 MB for this run);
* C#: ``src/`` of the ``pythonnet`` 3.0.5 sdist.

Lizard runs on exactly the files the engine analysed (C and C++ are split by the language the
engine gave each file). Functions are matched by file, closing line and name (the last ``::``
part of lizard's name, spaces removed: ``operator ==``). Prints per language: lizard's function
count, recall (lizard functions the engine found), agreement (matched functions with the same
complexity, of lizard's functions), and each difference classified by its cause where the cause
is one lizard counts and the engine does not (``where`` clauses in Rust, ``?`` tokens that are not
a conditional in C#) or ``other`` (listed).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from pathlib import Path

import lizard

from analysis.engine import analyze
from benchmarks._cache import _archive_for, _download, _unpack
from benchmarks._debian import debian_tree
from benchmarks.lizard_compare import Fn, describe, print_differences

RUST_PACKAGES = ("librust-regex-dev", "librust-syn-dev", "librust-serde-dev", "librust-tokio-dev")
CPP_ROOTS = (
    ("googletest", "usr/src/googletest"),
    ("libfmt-dev", "usr/include/fmt"),
    ("nlohmann-json3-dev", "usr/include/nlohmann"),
)
SDISTS = {"zstandard": "0.25.0", "pythonnet": "3.0.5"}
MAX_FILE_SIZE = 4_000_000


def sdist(name: str) -> Path:
    version = SDISTS[name]
    archive = _archive_for(name, version)
    if archive is None:
        _download(f"{name}=={version}")
        archive = _archive_for(name, version)
    if archive is None:
        raise RuntimeError(f"could not download {name}=={version}")
    return _unpack(archive)


def corpora(language: str) -> list[Path]:
    if language == "rust":
        return [next((debian_tree(p) / "usr/share/cargo/registry").iterdir()) for p in RUST_PACKAGES]
    if language == "cpp":
        return [debian_tree(p) / sub for p, sub in CPP_ROOTS]
    if language == "c":
        root = sdist("zstandard")
        return [root / "zstd", root / "c-ext"]
    return [sdist("pythonnet") / "src"]


def engine_functions(root: Path, language: str) -> tuple[list[Fn], list[str], float]:
    t = time.process_time()
    family = ["c", "cpp"] if language in ("c", "cpp") else [language]
    result = analyze(str(root), workers=1, config={"languages": family, "max_file_size": MAX_FILE_SIZE})
    cpu = time.process_time() - t
    out: list[Fn] = []
    files = []
    for path, facts in result.files.items():
        if facts.language != language:
            continue
        files.append(path)
        for d in facts.definitions:
            if d.metrics is not None:
                out.append(Fn(path, _norm(d.name), d.line, d.end_line, d.metrics.cyclomatic))
    return out, sorted(files), cpu


def _norm(name: str) -> str:
    return "".join(name.rsplit("::", 1)[-1].split())


def lizard_functions(root: Path, files: list[str]) -> list[Fn]:
    out: list[Fn] = []
    for rel in files:
        info = lizard.analyze_file(str(root / rel))
        for f in info.function_list:
            out.append(Fn(rel, _norm(f.name), f.start_line, f.end_line, f.cyclomatic_complexity))
    return out


_SOURCES: dict[str, list[str]] = {}
_STRIP = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])'", re.S)


def _body(f: Fn) -> str:
    return _STRIP.sub(" ", "\n".join(_SOURCES.get(f.path, [])[f.start - 1 : f.end]))


_WHERE = re.compile(r"\bwhere\b")
_CLOSURE_OR = re.compile(r"(?:[(,=|{]|\bmove|\breturn|=>)\s*\|\|")
_IMPL_FOR = re.compile(r"\bimpl\b[^{;]*?\bfor\b")
_MAYBE_BOUND = re.compile(r"\?\s*Sized\b")
_REF_AND = re.compile(r"(?:[(,=:&{\[]|\breturn|=>|\bin)\s*&&|&&(?=\s*(?:mut\b|self\b|\[|\())")
_MACRO = re.compile(r"\b\w+!\s*(?:\w+\s*)?([{(\[])")


def _in_macro(f: Fn) -> bool:
    """Is the function inside a macro (``macro_rules!``, ``cfg_rt! {...}``, ``quote! {...}``): token
    trees, not items, for a parser?"""
    text = "\n".join(_SOURCES.get(f.path, []))
    offset = sum(len(line) + 1 for line in _SOURCES.get(f.path, [])[: f.start - 1])
    for m in _MACRO.finditer(text):
        if m.start() > offset:
            break
        depth = 0
        for i in range(m.start(1), len(text)):
            ch = text[i]
            if ch in "{([":
                depth += 1
            elif ch in "})]":
                depth -= 1
                if depth == 0:
                    if i > offset:
                        return True
                    break
    return False


_NOT_FUNCTIONS = frozenset({"if", "while", "for", "foreach", "switch", "fixed", "new", "return", "*global*"})


def _bodyless(f: Fn) -> bool:
    """A declaration without a body (a trait's ``fn id(&self);``, a C prototype) on lizard's first
    line: lizard ends it at the next function's body."""
    lines = _SOURCES.get(f.path, [])
    head = _STRIP.sub(" ", lines[f.start - 1]).rstrip() if 0 < f.start <= len(lines) else ""
    return head.endswith(";") and f.end > f.start


def _classify(language: str, theirs: Fn, mine: Fn) -> str:
    extra = theirs.ccn - mine.ccn
    text = _body(theirs)
    if language == "rust":
        tokens = (
            len(_WHERE.findall(text))
            + len(_CLOSURE_OR.findall(text))
            + len(_REF_AND.findall(text))
            + len(_MAYBE_BOUND.findall(text))
            + len(_IMPL_FOR.findall(text))
        )
        if 0 < extra <= tokens:
            return "where, ?Sized, impl ... for, || of a closure, && of a reference (lizard counts the tokens)"
    if language in ("c", "cpp"):
        raw = "\n".join(_SOURCES.get(theirs.path, [])[theirs.start - 1 : theirs.end])
        if 0 < extra <= len(_DIRECTIVE.findall(raw)):
            return "#if/#elif inside the function (lizard counts the directive)"
        if extra > 0 and _STATEMENT_MACRO.search(text):
            return "a statement macro without ; (Py_END_ALLOW_THREADS if ...): tree-sitter's recovery loses what follows"
    if language == "csharp":
        loops = len(re.findall(r"\bforeach\b", text))
        arms = text.count("=>") if re.search(r"\bswitch\s*\{", text) else 0
        questions = len(_QUESTION.findall(text))
        if extra and -(loops + arms) <= extra <= questions:
            return (
                "foreach, switch-expression arms (lizard does not count them), ? of a nullable type, ?. (lizard counts every ?)"
            )
    return "other"


_STATEMENT_MACRO = re.compile(r"^\s*[A-Z][A-Z0-9_]{3,}(?:\s*$|\s+(?:if|for|while|return|\w+(?:->\w+)?\s*=))", re.M)
_DIRECTIVE = re.compile(r"^\s*#\s*(?:if|ifdef|ifndef|elif)\b", re.M)
_QUESTION = re.compile(r"\?(?=[.\[])|(?<=[\w>\]])\?(?=\s*[\w>),\]=;]|\s+[A-Za-z_])")


def compare(language: str, roots: list[Path], show: int) -> None:
    ours: list[Fn] = []
    theirs: list[Fn] = []
    cpu = 0.0
    n_files = lines = 0
    for root in roots:
        label = root.name
        mine, files, seconds = engine_functions(root, language)
        cpu += seconds
        n_files += len(files)
        ours.extend(Fn(f"{label}/{f.path}", f.name, f.start, f.end, f.ccn) for f in mine)
        theirs.extend(Fn(f"{label}/{f.path}", f.name, f.start, f.end, f.ccn) for f in lizard_functions(root, files))
        for p in files:
            text = (root / p).read_text("utf-8", "replace").splitlines()
            lines += len(text)
            _SOURCES[f"{label}/{p}"] = text
    index: dict[tuple[str, int, str], list[Fn]] = defaultdict(list)
    by_end: dict[tuple[str, int], list[Fn]] = defaultdict(list)
    by_start: dict[tuple[str, int, str], list[Fn]] = defaultdict(list)
    for f in ours:
        index[(f.path, f.end, f.name)].append(f)
        by_end[(f.path, f.end)].append(f)
        by_start[(f.path, f.start, f.name)].append(f)
    found = agree = 0
    kinds: dict[str, list[str]] = defaultdict(list)
    missing: list[str] = []
    for f in theirs:
        pool = index.get((f.path, f.end, f.name), [])
        if not pool and by_start.get((f.path, f.start, f.name)):
            # same start and name, another end: lizard lost the function's end (in Rust a char
            # literal taken for a lifetime: ``b'0'``)
            pool = by_start[(f.path, f.start, f.name)]
            if pool[0].ccn != f.ccn:
                kinds["lizard ends the function elsewhere"].append(describe(f, pool[0]))
                found += 1
                continue
        if not pool:
            pool = by_end.get((f.path, f.end), [])
            if len(pool) != 1:
                if _bodyless(f):
                    kinds["not found: absorbed (lizard's body-less declaration takes the next body)"].append(describe(f, None))
                elif f.name in _NOT_FUNCTIONS:
                    kinds["not found: not a function (lizard takes a statement or the file for one)"].append(describe(f, None))
                elif language == "rust" and _in_macro(f):
                    kinds["not found: inside a macro (macro_rules!, cfg_*! {...}, quote!)"].append(describe(f, None))
                else:
                    missing.append(describe(f, None))
                continue
            kinds["named differently (matched by closing line)"].append(describe(f, pool[0]))
        found += 1
        same = next((g for g in pool if g.ccn == f.ccn), None)
        if same is not None:
            agree += 1
            continue
        mine = pool[0]
        kinds[_classify(language, f, mine)].append(describe(f, mine))
    total = len(theirs)
    print(f"{language}: {n_files} files, {lines} lines; engine {cpu:.2f} CPU-s (whole analysis)")
    print(f"  lizard functions {total}, engine functions {len(ours)}")
    print(f"  recall    {found}/{total} = {100 * found / max(total, 1):.2f}%")
    print(f"  agreement {agree}/{total} = {100 * agree / max(total, 1):.2f}%")
    print_differences(kinds, missing, show)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=("rust", "c", "cpp", "csharp"), action="append")
    parser.add_argument("--show", type=int, default=10)
    args = parser.parse_args()
    for language in args.language or ["rust", "c", "cpp", "csharp"]:
        compare(language, corpora(language), args.show)


if __name__ == "__main__":
    main()
