"""File discovery: which files of a checkout are analysed, and why the others are not.

Honours ``.gitignore`` files (the root one and nested ones, each relative to its directory),
``.repotoireignore`` (same syntax), the configuration's ``exclude`` globs, default excludes
(virtualenvs, ``node_modules``, build output, VCS and cache directories, vendored code,
generated protobuf modules) and the size cap. A file's language comes from its extension, or for
an extensionless script from its ``#!`` line (``languages.language_of_*``); files in no analysed
language (``EngineConfig.languages``, default every supported one) are counted, not analysed.
Each language adds its own excludes (JavaScript's ``out/``, ``coverage/``, ``*.min.js``,
TypeScript's ``*.d.ts`` unless ``include_declarations = true``): they apply to that language's
files only, so a Python file under ``coverage/`` is analysed as before. Migrations are kept (they
are code) but listed, so detectors can tell them apart.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from analysis.engine import languages as langs
from analysis.engine.config import EngineConfig
from analysis.engine.globs import GlobError, compile_globs
from analysis.engine.model import Role
from analysis.engine.roles import METADATA_FILES, path_role

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        ".venv",
        "venv",
        ".env",
        "virtualenv",
        ".virtualenv",
        "site-packages",
        "node_modules",
        "bower_components",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".eggs",
        ".hypothesis",
        ".ipynb_checkpoints",
        ".idea",
        ".vscode",
        "build",
        "dist",
        "_build",
        "htmlcov",
        "vendor",
        "vendored",
        "_vendor",
        "third_party",
        "thirdparty",
    }
)
GENERATED_SUFFIXES = ("_pb2.py", "_pb2_grpc.py", "_pb2.pyi", ".min.py")
IGNORE_FILES = (".gitignore", ".repotoireignore")
CHECK_EVERY = 512  # directory entries between two calls of discover's ``check``
MAX_WARNINGS = 100  # beyond, only the counters in ``skipped`` grow


@dataclass
class SourceFile:
    path: str  # repository-relative, posix separators
    size: int
    is_migration: bool = False
    language: str = langs.PYTHON


@dataclass
class Discovery:
    root: str
    files: list[SourceFile] = field(default_factory=list)  # sorted by path
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    other_files: int = 0  # files in no analysed language (not analysed)
    package_dirs: set[str] = field(default_factory=set)  # relative dirs holding an __init__.py
    metadata_dirs: set[str] = field(default_factory=set)  # relative dirs holding project metadata (roles.py)

    warnings: list[str] = field(default_factory=list)  # what a person should know was left out, and why

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)


def printable_path(path: str) -> str:
    """``path`` as text: bytes that are not UTF-8 (kept by the OS as surrogates) as ``\\xNN``."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _spec_for(directory: Path) -> pathspec.GitIgnoreSpec | None:
    """The ignore files of ``directory`` as one spec; ``GlobError`` when they do not compile."""
    lines: list[str] = []
    for name in IGNORE_FILES:
        p = directory / name
        if p.is_file():
            try:
                lines.extend(p.read_text(encoding="utf-8", errors="replace").splitlines())
            except OSError:
                continue
    return compile_globs(lines) if lines else None


def discover(root: str | Path, config: EngineConfig | None = None, check: Callable[[], None] | None = None) -> Discovery:
    """List the files under ``root`` to analyse, counting the rest by skip reason.

    ``check`` is called every ``CHECK_EVERY`` directory entries: the caller's deadline and
    cancellation (it raises to stop the walk of a huge or hostile tree)."""
    config = config or EngineConfig()
    root_path = Path(root).resolve()
    result = Discovery(root=str(root_path))
    user_spec = compile_globs(config.exclude) if config.exclude else None
    seen = 0
    # (directory relative path with trailing "/" or "", spec) for every ignore file in effect
    ignore_stack: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def ignored(rel: str, is_dir: bool) -> bool:
        candidate = rel + "/" if is_dir else rel
        if user_spec is not None and user_spec.match_file(candidate):
            return True
        verdict: bool | None = None
        # deeper ignore files override shallower ones, as git does
        for base, spec in ignore_stack:
            if base and not candidate.startswith(base):
                continue
            res = spec.check_file(candidate[len(base) :])
            if res.include is not None:
                verdict = res.include
        return bool(verdict)

    wanted = set(config.languages if config.languages is not None else langs.supported_languages())
    language_dirs = {spec.name: spec.excluded_dirs for spec in langs.specs().values()} if config.default_excludes else {}

    def language_of(entry: os.DirEntry[str], size: int) -> str | None:
        found = langs.language_of_path(entry.name)
        if found is None and "." not in entry.name and 2 < size <= config.max_file_size:
            try:
                with open(entry.path, "rb") as fh:
                    found = langs.language_of_shebang(fh.readline(200))
            except OSError:
                return None
        return found

    def walk(directory: str, rel_dir: str, off: frozenset[str] = frozenset()) -> None:
        nonlocal seen
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            result.skip("unreadable")
            return
        if check is not None:
            if (seen + len(entries)) // CHECK_EVERY != seen // CHECK_EVERY:
                check()
            seen += len(entries)
        names = {e.name for e in entries}
        if not names.isdisjoint(METADATA_FILES):
            result.metadata_dirs.add(rel_dir)
        if rel_dir and config.default_excludes and "pyvenv.cfg" in names:
            result.skip("excluded_dir")  # a virtualenv, whatever its name
            return
        pushed = False
        if config.use_gitignore and not names.isdisjoint(IGNORE_FILES):
            try:
                spec = _spec_for(Path(directory))
            except GlobError:
                spec = None
                result.skip("invalid_ignore_file")
            if spec is not None:
                ignore_stack.append((rel_dir + "/" if rel_dir else "", spec))
                pushed = True
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if not _utf8_name(entry.name):
                # A name in another encoding (Latin-1 ``caf\xe9.py``) cannot be stored, reported
                # or shown as text: leave it out, and say so, rather than fail the whole analysis.
                result.skip("undecodable_name")
                result.warn(f"Skipped {printable_path(rel)}: its name is not valid UTF-8")
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                result.skip("unreadable")
                continue
            if stat.S_ISLNK(st.st_mode):
                continue  # never follow links out of the checkout
            if stat.S_ISDIR(st.st_mode):
                if config.default_excludes and (entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info")):
                    result.skip("excluded_dir")
                    continue
                if ignored(rel, True):
                    result.skip("ignored_dir")
                    continue
                # languages whose conventions exclude this directory (build output...)
                sub_off = off | {lang for lang, names in language_dirs.items() if entry.name in names}
                subdirs.append((entry.path, rel, frozenset(sub_off)))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            language = language_of(entry, st.st_size)
            if language == "c" and entry.name.lower().endswith(".h"):
                language = langs.header_language(entry.path, names)
            if language is None or language not in wanted:
                result.other_files += 1
                continue
            if language != langs.PYTHON:
                if language in off:
                    result.skip("excluded_dir")
                    continue
                if config.default_excludes and langs.is_excluded_name(rel, language):
                    if not (config.include_declarations and ".d." in entry.name):
                        result.skip("declaration" if ".d." in entry.name else "generated")
                        continue
                if ignored(rel, False):
                    result.skip("ignored")
                    continue
                if st.st_size > config.max_file_size:
                    result.skip("too_large")
                    continue
                result.files.append(SourceFile(path=rel, size=st.st_size, language=language))
                continue
            if entry.name == "__init__.py":
                result.package_dirs.add(rel_dir)
            if config.default_excludes and entry.name.endswith(GENERATED_SUFFIXES):
                result.skip("generated")
                continue
            if ignored(rel, False):
                result.skip("ignored")
                continue
            if st.st_size > config.max_file_size:
                result.skip("too_large")
                continue
            result.files.append(SourceFile(path=rel, size=st.st_size, is_migration=is_migration_path(rel)))
        for path, rel, sub_off in subdirs:
            walk(path, rel, sub_off)
        if pushed:
            ignore_stack.pop()

    walk(str(root_path), "")
    result.files.sort(key=lambda f: f.path)
    return result


def is_migration_path(path: str) -> bool:
    """Django/Alembic-style migrations: anything under a ``migrations/`` directory."""
    return "/migrations/" in f"/{path}"


def is_test_path(path: str) -> bool:
    """tests/ or test/ directories, test_*.py, *_test(s).py, conftest.py; for other languages
    also ``*.test.*``, ``*.spec.*``, ``*_test.*`` and ``__tests__/``, ``spec/`` directories
    (``roles.path_role``; the pipeline decides with ``roles.RoleResolver``, which also reads the
    configuration and package metadata)."""
    return path_role(path) == Role.TEST


def module_names(root: str | Path, paths: list[str], package_dirs: set[str]) -> dict[str, str]:
    """Dotted module name of each path, src-layout aware.

    A module's name starts at the highest directory of its ``__init__.py`` chain: with
    ``src/pkg/__init__.py`` and no ``src/__init__.py``, ``src/pkg/mod.py`` is ``pkg.mod``. When
    the analysed root is itself a package (``django/`` with its ``__init__.py``), the chain
    continues above the root so that ``db/models/base.py`` is ``django.db.models.base`` and the
    package's absolute imports resolve.
    """
    root_path = Path(root).resolve()
    prefix: list[str] = []
    if "" in package_dirs:
        parent = root_path
        while (parent / "__init__.py").is_file() and parent.parent != parent:
            prefix.insert(0, parent.name)
            parent = parent.parent
    names: dict[str, str] = {}
    for path in paths:
        parts = path.split("/")
        stem = parts[-1][:-3]
        dirs = parts[:-1]
        # climb from the file's directory while each directory is a package
        i = len(dirs)
        while i > 0 and "/".join(dirs[:i]) in package_dirs:
            i -= 1
        chain = dirs[i:]
        if i == 0 and prefix:
            chain = prefix + chain
        dotted = [*chain] if stem == "__init__" else [*chain, stem]
        names[path] = ".".join(dotted) if dotted else stem
    return names
