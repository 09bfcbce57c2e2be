"""The languages the engine analyses, and which language a file is in.

Python is analysed by its own front end on ``ast`` (``worker.py``/``visitor.py``); every other
language by the one tree-sitter front end (``frontend.py``) driven by the language's
``LanguageSpec`` (``spec.py``). A language is added by writing a module that defines its spec(s)
and listing it in ``_SPEC_MODULES``; see ``analysis/engine/languages/README.md``.
"""

from __future__ import annotations

import functools
import importlib
import os
import re

from analysis.engine.languages.spec import LanguageSpec

PYTHON = "python"
PYTHON_EXTENSIONS = (".py",)
# every value FileFacts.language may take (the Languages II issue adds the specs of the rest)
ALL_LANGUAGES = ("python", "javascript", "typescript", "go", "java", "csharp", "rust", "c", "cpp")
# modules defining ``SPECS: tuple[LanguageSpec, ...]``
_SPEC_MODULES = (
    "analysis.engine.languages.javascript",
    "analysis.engine.languages.go",
    "analysis.engine.languages.java",
    "analysis.engine.languages.c",
    "analysis.engine.languages.cpp",
    "analysis.engine.languages.rust",
    "analysis.engine.languages.csharp",
)
# names SARIF and people use for each language
DISPLAY_NAMES = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "go": "Go",
    "java": "Java",
    "csharp": "C#",
    "rust": "Rust",
    "c": "C",
    "cpp": "C++",
}


# languages whose files import and call one another (one namespace of names)
_FAMILIES = {"typescript": "javascript", "cpp": "c"}


def family_of(language: str) -> str:
    """The language family a file's names live in: TypeScript and JavaScript are one."""
    return _FAMILIES.get(language, language)


@functools.cache
def specs() -> dict[str, LanguageSpec]:
    """Language name -> spec, for every tree-sitter language the engine knows."""
    out: dict[str, LanguageSpec] = {}
    for name in _SPEC_MODULES:
        for spec in importlib.import_module(name).SPECS:
            out[spec.name] = spec
    return out


def spec_for(language: str) -> LanguageSpec | None:
    return specs().get(language)


@functools.cache
def _by_extension() -> dict[str, str]:
    table = {ext: PYTHON for ext in PYTHON_EXTENSIONS}
    for spec in specs().values():
        for ext in spec.extensions:
            table[ext] = spec.name
    return table


@functools.cache
def _by_interpreter() -> dict[str, str]:
    table = {"python": PYTHON, "python3": PYTHON}
    for spec in specs().values():
        for interpreter in spec.shebangs:
            table[interpreter] = spec.name
    return table


def supported_languages() -> tuple[str, ...]:
    return (PYTHON, *sorted(specs()))


def extension_of(path: str) -> str:
    """``.ts`` for ``a/b.ts``, ``.d.ts`` is not special here (see ``is_excluded_name``)."""
    name = path.rsplit("/", 1)[-1]
    return os.path.splitext(name)[1].lower()


def language_of_path(path: str) -> str | None:
    """The language of a file by its extension, or None."""
    return _by_extension().get(extension_of(path))


def language_of_shebang(first_line: bytes) -> str | None:
    """The language of an extensionless script by its ``#!`` line (``#!/usr/bin/env node``)."""
    if not first_line.startswith(b"#!"):
        return None
    words = first_line[2:].decode("latin-1").strip().split()
    if not words:
        return None
    interpreter = os.path.basename(words[0])
    if interpreter == "env":
        rest = [w for w in words[1:] if not w.startswith("-")]
        if not rest:
            return None
        interpreter = os.path.basename(rest[0])
    # python3.11 -> python3
    while interpreter and interpreter not in _by_interpreter() and interpreter[-1] in "0123456789.":
        interpreter = interpreter[:-1]
    return _by_interpreter().get(interpreter)


def is_excluded_name(path: str, language: str) -> bool:
    """Files of a language that are not its source: minified bundles, declaration files..."""
    spec = specs().get(language)
    if spec is None:
        return False
    name = path.rsplit("/", 1)[-1].lower()
    return name.endswith(spec.excluded_suffixes)


def excluded_dirs() -> frozenset[str]:
    """Directory names excluded by some language's convention (build output...)."""
    out: frozenset[str] = frozenset()
    for spec in specs().values():
        out |= spec.excluded_dirs
    return out


# a ``.h`` header is C++ beside C++ sources, or when it uses syntax C does not have
_CPP_SOURCES = (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx")
_CPP_SYNTAX = re.compile(
    rb"^[ \t]*(?:namespace[ \t]+\w+[ \t]*\{|template[ \t]*<|(?:class|struct)[ \t]+\w+[ \t]*(?:final[ \t]*)?:[ \t]*(?:public|private|protected)\b|"
    rb"using[ \t]+namespace\b|(?:public|private|protected):|"
    # a standard C++ header (C's all end in .h), std::
    rb"#[ \t]*include[ \t]*<[a-z_]+>)|\bstd::\w",
    re.M,
)
_HEADER_PEEK = 64 * 1024


def header_language(path: str, siblings: set[str]) -> str:
    """``c`` or ``cpp`` for a ``.h`` file: C++ when a file of its directory is a C++ source, or
    when its first 64 KiB use C++ syntax (namespaces, templates, access specifiers, ``std::``, a
    standard C++ header such as ``<string>``)."""
    if any(name.lower().endswith(_CPP_SOURCES) for name in siblings):
        return "cpp"
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEADER_PEEK)
    except OSError:
        return "c"
    return "cpp" if _CPP_SYNTAX.search(head) else "c"
