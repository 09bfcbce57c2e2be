"""Import resolution for the languages other than Python, in the parent process.

``resolve_other_imports`` dispatches each language family to its own function (``_RESOLVERS``);
Go lives in ``resolve_go.py``, Java in ``resolve_java.py``, C/C++, Rust and C# in
``resolve_native.py``.

Runs once the facts of every file are in, because it depends on the set of files of the whole
repository. For JavaScript/TypeScript (the rules of Node and of TypeScript's ``bundler``/``node16``
resolution, as far as the files of the repository can answer them):

* relative specifiers (``./util``, ``../lib/x.js``): the file itself, the file with each source
  extension, a TypeScript source standing in for the ``.js`` it compiles to, then the directory's
  ``package.json`` (``exports``/``main``) and its ``index.*``;
* tsconfig/jsconfig ``compilerOptions.baseUrl`` and ``paths`` (the nearest config up the tree,
  following ``extends`` within the repository);
* bare specifiers naming a package of the repository (a workspace's ``package.json`` ``name``),
  with its ``exports`` (subpaths and conditions), ``main`` or ``index.*``.

A resolved import gets ``resolved`` = the target path and ``module`` = that path (the module id of
the target), the written specifier staying in ``specifier``; anything else (npm dependencies,
Node built-ins) keeps its specifier as ``module`` and ``resolved = None``.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Any

from analysis.engine.facts import FileFacts, ImportFact
from analysis.engine.languages import family_of
from analysis.engine.languages.resolve_go import resolve_go
from analysis.engine.languages.resolve_java import resolve_java
from analysis.engine.languages.resolve_native import resolve_c, resolve_csharp, resolve_rust

JS_LANGUAGES = frozenset({"javascript", "typescript"})
SOURCE_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")
# the TypeScript sources a compiled-JS specifier may stand for ("./x.js" written in x's importer)
_TS_FOR_JS = {".js": (".ts", ".tsx"), ".mjs": (".mts",), ".cjs": (".cts",), ".jsx": (".tsx",)}
_CONDITIONS = ("source", "import", "module", "require", "node", "default", "types")
_COMMENTS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def read_jsonc(path: str) -> Any:
    """A JSON file that may hold comments and trailing commas (tsconfig.json); None if unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    text = _COMMENTS.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    text = _TRAILING_COMMA.sub(r"\1", text)
    try:
        return json.loads(text)
    except ValueError:
        return None


class JsResolver:
    """Resolves JS/TS specifiers against the files of one repository (memoised)."""

    def __init__(self, root: str, paths: Iterable[str]) -> None:
        self.root = root
        self.files = set(paths)
        self._dirs: set[str] = set()
        for p in self.files:
            d = posixpath.dirname(p)
            while d and d not in self._dirs:
                self._dirs.add(d)
                d = posixpath.dirname(d)
        self._configs: dict[str, dict[str, Any] | None] = {}
        self._packages = self._workspace_packages()
        self._memo: dict[tuple[str, str], str | None] = {}

    # --- files of the repository ----------------------------------------------------------------
    def _json(self, rel: str) -> Any:
        return read_jsonc(os.path.join(self.root, rel))

    def _workspace_packages(self) -> dict[str, str]:
        """Package name -> directory, for every package.json next to analysed files."""
        out: dict[str, str] = {}
        for d in sorted(self._dirs | {""}):
            rel = posixpath.join(d, "package.json") if d else "package.json"
            if not os.path.isfile(os.path.join(self.root, rel)):
                continue
            data = self._json(rel)
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                out.setdefault(data["name"], d)
        return out

    def _file(self, candidate: str) -> str | None:
        """The analysed file a path (without or with an extension) names."""
        candidate = posixpath.normpath(candidate)
        if candidate.startswith("../"):
            return None
        if candidate in self.files:
            return candidate
        base, ext = posixpath.splitext(candidate)
        for ts_ext in _TS_FOR_JS.get(ext, ()):
            if base + ts_ext in self.files:
                return base + ts_ext
        for ext in SOURCE_EXTENSIONS:
            if candidate + ext in self.files:
                return candidate + ext
        return None

    def _directory(self, directory: str) -> str | None:
        directory = posixpath.normpath(directory)
        if directory == ".":
            directory = ""
        if directory and directory not in self._dirs:
            return None
        manifest = posixpath.join(directory, "package.json") if directory else "package.json"
        if os.path.isfile(os.path.join(self.root, manifest)):
            data = self._json(manifest)
            if isinstance(data, dict):
                found = self._package_entry(directory, data, ".")
                if found:
                    return found
        return self._file(posixpath.join(directory, "index") if directory else "index")

    def _path(self, candidate: str) -> str | None:
        return self._file(candidate) or self._directory(candidate)

    # --- package.json ---------------------------------------------------------------------------
    def _package_entry(self, directory: str, data: dict[str, Any], subpath: str) -> str | None:
        exports = data.get("exports")
        if exports is not None:
            target = _export_target(exports, subpath)
            if target is not None:
                found = self._file(posixpath.join(directory, target))
                if found:
                    return found
        if subpath != ".":
            return self._path(posixpath.join(directory, subpath))
        for key in ("source", "module", "main", "types"):
            value = data.get(key)
            if isinstance(value, str):
                found = self._path(posixpath.join(directory, value))
                if found:
                    return found
        return None

    def _bare(self, specifier: str) -> str | None:
        parts = specifier.split("/")
        name_len = 2 if specifier.startswith("@") else 1
        name = "/".join(parts[:name_len])
        directory = self._packages.get(name)
        if directory is None:
            return None
        subpath = "./" + "/".join(parts[name_len:]) if len(parts) > name_len else "."
        data = self._json(posixpath.join(directory, "package.json") if directory else "package.json")
        return self._package_entry(directory, data if isinstance(data, dict) else {}, subpath)

    # --- tsconfig -------------------------------------------------------------------------------
    def _config_for(self, directory: str) -> dict[str, Any] | None:
        """``{"base": dir, "paths": {...}}`` of the nearest tsconfig/jsconfig up from ``directory``."""
        if directory in self._configs:
            return self._configs[directory]
        found: dict[str, Any] | None = None
        for name in ("tsconfig.json", "jsconfig.json"):
            rel = posixpath.join(directory, name) if directory else name
            if os.path.isfile(os.path.join(self.root, rel)):
                found = self._load_config(rel, 0)
                break
        if found is None and directory:
            found = self._config_for(posixpath.dirname(directory))
        self._configs[directory] = found
        return found

    def _load_config(self, rel: str, depth: int) -> dict[str, Any] | None:
        data = self._json(rel)
        if not isinstance(data, dict) or depth > 5:
            return None
        here = posixpath.dirname(rel)
        result: dict[str, Any] = {}
        parent = data.get("extends")
        if isinstance(parent, str) and parent.startswith("."):
            target = posixpath.normpath(posixpath.join(here, parent))
            if not target.endswith(".json"):
                target += ".json"
            result = dict(self._load_config(target, depth + 1) or {})
        options = data.get("compilerOptions")
        if isinstance(options, dict):
            if isinstance(options.get("baseUrl"), str):
                result["base"] = posixpath.normpath(posixpath.join(here, options["baseUrl"]))
            if isinstance(options.get("paths"), dict):
                result["paths"] = options["paths"]
                result.setdefault("paths_base", result.get("base", here))
                if "base" not in result:
                    result["paths_base"] = here
        return result

    def _configured(self, specifier: str, importer_dir: str) -> str | None:
        config = self._config_for(importer_dir)
        if not config:
            return None
        for pattern, targets in (config.get("paths") or {}).items():
            if not isinstance(targets, list):
                continue
            star = _match_star(pattern, specifier)
            if star is None:
                continue
            for target in targets:
                if isinstance(target, str):
                    found = self._path(_rel(posixpath.join(config.get("paths_base", ""), target.replace("*", star, 1))))
                    if found:
                        return found
        base = config.get("base")
        if base is not None:
            return self._path(_rel(posixpath.join(base, specifier)))
        return None

    # --- entry point ----------------------------------------------------------------------------
    def resolve(self, importer: str, specifier: str) -> str | None:
        importer_dir = posixpath.dirname(importer)
        key = (importer_dir, specifier)
        if key in self._memo:
            return self._memo[key]
        found: str | None
        if specifier.startswith(("./", "../")) or specifier in (".", ".."):
            found = self._path(posixpath.join(importer_dir, specifier))
        elif specifier.startswith("/"):
            found = self._path(specifier.lstrip("/"))
        elif specifier.startswith("node:"):
            found = None
        else:
            found = self._configured(specifier, importer_dir) or self._bare(specifier)
        self._memo[key] = found
        return found


def _rel(path: str) -> str:
    path = posixpath.normpath(path)
    return "" if path == "." else path


def _match_star(pattern: str, specifier: str) -> str | None:
    """What ``*`` stands for when ``specifier`` matches a tsconfig ``paths`` pattern, else None."""
    if "*" not in pattern:
        return "" if pattern == specifier else None
    prefix, _, suffix = pattern.partition("*")
    if specifier.startswith(prefix) and specifier.endswith(suffix) and len(specifier) >= len(prefix) + len(suffix):
        return specifier[len(prefix) : len(specifier) - len(suffix)]
    return None


def _export_target(exports: Any, subpath: str) -> str | None:
    """The file ``exports`` maps ``subpath`` to (conditions tried in ``_CONDITIONS`` order)."""
    if isinstance(exports, str):
        return exports if subpath == "." else None
    if isinstance(exports, list):
        for item in exports:
            found = _export_target(item, subpath)
            if found:
                return found
        return None
    if not isinstance(exports, dict):
        return None
    if exports and all(not k.startswith(".") for k in exports):  # conditions at the top: "."
        return _condition(exports) if subpath == "." else None
    value = exports.get(subpath)
    if value is None:
        for pattern, target in exports.items():
            star = _match_star(pattern, subpath)
            if star is not None and "*" in pattern:
                chosen = _condition(target)
                return chosen.replace("*", star) if chosen else None
        return None
    return _condition(value)


def _condition(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((c for c in (_condition(v) for v in value) if c), None)
    if isinstance(value, dict):
        for key in _CONDITIONS:
            if key in value:
                found = _condition(value[key])
                if found:
                    return found
    return None


def resolve_javascript(root: str, files: list[FileFacts]) -> None:
    """JavaScript/TypeScript: see the module docstring."""
    resolver = JsResolver(root, (f.path for f in files))
    for facts in files:
        for imp in facts.imports:
            _resolve_one(resolver, facts.path, imp)


# language family -> the function resolving the imports of its files (one module per language)
_RESOLVERS: dict[str, Callable[[str, list[FileFacts]], None]] = {
    "javascript": resolve_javascript,
    "go": resolve_go,
    "java": resolve_java,
    "c": resolve_c,  # C and C++ (one family)
    "rust": resolve_rust,
    "csharp": resolve_csharp,
}


def resolve_other_imports(root: str, files: Iterable[FileFacts]) -> None:
    """Fill ``resolved`` (and rewrite ``module`` to the target path) for every import of a file
    of a tree-sitter language, per language family."""
    by_family: dict[str, list[FileFacts]] = {}
    for f in files:
        by_family.setdefault(family_of(f.language), []).append(f)
    for family, members in by_family.items():
        resolver = _RESOLVERS.get(family)
        if resolver is not None:
            resolver(root, members)


def _resolve_one(resolver: JsResolver, importer: str, imp: ImportFact) -> None:
    specifier = imp.specifier or imp.module
    imp.specifier = specifier
    target = resolver.resolve(importer, specifier)
    imp.resolved = target
    imp.module = target if target is not None else specifier
