"""Import resolution for C/C++, Rust and C# (see ``resolve.py`` for the contract: a resolved
import's ``module`` and ``resolved`` become the target path, the written specifier stays in
``specifier``; anything outside the repository keeps its name and ``resolved = None``).

**C and C++** (one family): ``#include "x/y.h"`` is looked up beside the including file, then in
each directory of the repository that has ``x/y.h`` below it (``include/``, ``src/``...): the
candidate sharing the longest directory prefix with the includer wins, then the shortest path.
``#include <x/y.h>`` is resolved the same way only when some repository file ends with ``/x/y.h``
(a library's public headers included with angle brackets); ``<stdio.h>`` stays a system header.

**Rust**: a crate is a directory with a ``Cargo.toml`` that has a ``[package]`` (its ``name``,
``-`` read as ``_``); its module tree starts at ``src/lib.rs`` or ``src/main.rs`` (``src/a.rs``
and ``src/a/mod.rs`` are module ``a``, ``src/a/b.rs`` is ``a::b``); files of ``src/bin``,
``tests``, ``examples`` and ``benches`` are crate roots of their own. Without a ``Cargo.toml``
the nearest ancestor directory holding ``lib.rs`` or ``main.rs`` is the crate root. A path
starting with ``crate::``, ``self::``, ``super::``, a workspace crate's name or a module in scope
(``mod x;`` and 2018 paths) is followed through the module tree to the deepest module file; the
rest names an item of it (``names``). ``mod x;`` resolves to ``x.rs`` or ``x/mod.rs``.

**C#**: each file's namespaces come from its ``namespace`` declarations (a type belongs to the
last one declared before it); ``using A.B;`` depends on the files of namespace ``A.B`` whose
types the file names (one ImportFact each), ``using static A.B.C;`` and ``using X = A.B.C;`` on
the file declaring ``C``; the types of the file's own namespace and of its enclosing namespaces
need no ``using``: each such file gets an ImportFact of kind ``package`` (line 1), as in Java.
"""

from __future__ import annotations

import os
import posixpath
import re
import tomllib
from collections.abc import Iterable

from analysis.engine.facts import FileFacts, ImportFact
from analysis.engine.languages.resolve_java import expand

# --- C and C++ -------------------------------------------------------------------------------


class IncludeResolver:
    def __init__(self, paths: Iterable[str]) -> None:
        self.files = set(paths)
        self.by_name: dict[str, list[str]] = {}
        for path in sorted(self.files):
            self.by_name.setdefault(posixpath.basename(path), []).append(path)

    def resolve(self, importer: str, specifier: str, system: bool) -> str | None:
        spec = posixpath.normpath(specifier.replace("\\", "/"))
        if spec.startswith("../") or spec == "..":
            beside = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
            return beside if beside in self.files else None
        if not system:
            beside = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
            if beside in self.files:
                return beside
        elif "/" not in spec:
            return None  # <stdio.h>: the system's
        suffix = "/" + spec
        candidates = [p for p in self.by_name.get(posixpath.basename(spec), []) if p == spec or p.endswith(suffix)]
        if not candidates:
            return None
        here = importer.split("/")[:-1]

        def shared(path: str) -> int:
            n = 0
            for a, b in zip(here, path.split("/")[:-1], strict=False):
                if a != b:
                    break
                n += 1
            return n

        return min(candidates, key=lambda p: (-shared(p), p.count("/"), p))


def resolve_c(root: str, files: list[FileFacts]) -> None:
    """Resolve the ``#include`` of every C and C++ file (see the module docstring)."""
    resolver = IncludeResolver(f.path for f in files)
    for facts in files:
        for imp in facts.imports:
            specifier = imp.specifier or imp.module
            imp.specifier = specifier
            target = resolver.resolve(facts.path, specifier, imp.kind == "system")
            if target is None or target == facts.path:
                imp.resolved = None
                imp.module = specifier
            else:
                imp.resolved = imp.module = target


# --- Rust ------------------------------------------------------------------------------------

_CRATE_ROOT_DIRS = ("src/bin", "tests", "examples", "benches")


def _cargo_package(root: str, directory: str) -> str | None:
    """The package name of ``directory/Cargo.toml`` (``-`` as ``_``), or None (no manifest or a
    virtual workspace manifest)."""
    try:
        with open(os.path.join(root, directory, "Cargo.toml"), "rb") as fh:
            manifest = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return None
    package = manifest.get("package")
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        return None
    return package["name"].replace("-", "_")


class RustResolver:
    def __init__(self, root: str, paths: list[str]) -> None:
        self.files = set(paths)
        self.crate_dirs: dict[str, str | None] = {}  # directory with a Cargo.toml [package] -> name
        dirs = {posixpath.dirname(p) for p in paths}
        candidates = set()
        for d in dirs:
            while True:
                candidates.add(d)
                if not d:
                    break
                d = posixpath.dirname(d)
        for d in sorted(candidates):
            if os.path.isfile(os.path.join(root, d, "Cargo.toml")):
                name = _cargo_package(root, d)
                if name is not None:
                    self.crate_dirs[d] = name
        self.by_name = {name: d for d, name in self.crate_dirs.items() if name}
        # (crate key, module path) -> file; file -> (crate key, module path)
        self.modules: dict[tuple[str, tuple[str, ...]], str] = {}
        self.module_of: dict[str, tuple[str, tuple[str, ...]]] = {}
        for path in sorted(paths):
            found = self._locate(path)
            if found is not None:
                self.module_of[path] = found
                self.modules.setdefault(found, path)

    def _crate_dir(self, path: str) -> str | None:
        d = posixpath.dirname(path)
        while True:
            if d in self.crate_dirs:
                return d
            if not d:
                return None
            d = posixpath.dirname(d)

    def _locate(self, path: str) -> tuple[str, tuple[str, ...]] | None:
        """(crate key, module path) of a file: the crate key is the crate root file's path."""
        crate = self._crate_dir(path)
        if crate is not None:
            rel = path[len(crate) + 1 :] if crate else path
            for special in _CRATE_ROOT_DIRS:
                if rel.startswith(special + "/"):
                    tail = rel[len(special) + 1 :]
                    parts = tail.split("/")
                    # tests/x.rs is a crate; tests/x/main.rs too; tests/common/mod.rs a module of none
                    if len(parts) == 1:
                        return path, ()
                    if parts[-1] == "main.rs" and len(parts) == 2:
                        return path, ()
                    return None
            if not rel.startswith("src/"):
                return None
            for root_name in ("src/lib.rs", "src/main.rs"):
                root_file = f"{crate}/{root_name}" if crate else root_name
                if root_file in self.files:
                    return self._module_path(root_file, path)
            return None
        # no manifest: the nearest directory above holding lib.rs or main.rs
        d = posixpath.dirname(path)
        while True:
            for root_name in ("lib.rs", "main.rs"):
                root_file = f"{d}/{root_name}" if d else root_name
                if root_file in self.files:
                    return self._module_path(root_file, path)
            if not d:
                return None
            d = posixpath.dirname(d)

    @staticmethod
    def _module_path(root_file: str, path: str) -> tuple[str, tuple[str, ...]] | None:
        base = posixpath.dirname(root_file)
        if path == root_file:
            return root_file, ()
        rel = path[len(base) + 1 :] if base else path
        parts = rel[: -len(".rs")].split("/")
        if parts[-1] == "mod":
            parts = parts[:-1]
        if parts and parts[-1] in ("lib", "main") and len(parts) == 1:
            return None  # the other crate root beside this one (src/main.rs beside src/lib.rs)
        return root_file, tuple(parts)

    def resolve(self, importer: str, path: str, kind: str) -> tuple[str, list[str]] | None:
        """(target file, the item names after the module) for a ``use`` path or a ``mod`` name."""
        here = self.module_of.get(importer)
        if here is None:
            return None
        crate, module = here
        segments = [s for s in path.split("::") if s]
        if kind == "mod":
            target = self.modules.get((crate, (*module, *segments)))
            return (target, []) if target else None
        if not segments:
            return None
        head = segments[0]
        if head == "crate":
            base: tuple[str, ...] = ()
            segments = segments[1:]
        elif head == "self":
            base = module
            segments = segments[1:]
        elif head == "super":
            base = module
            while segments and segments[0] == "super":
                base = base[:-1]
                segments = segments[1:]
        elif head in self.by_name and (crate, (*module, head)) not in self.modules:
            other = self.by_name[head]
            crate = next(
                (
                    f"{other}/{n}" if other else n
                    for n in ("src/lib.rs", "src/main.rs")
                    if (f"{other}/{n}" if other else n) in self.files
                ),
                "",
            )
            if not crate:
                return None
            base = ()
            segments = segments[1:]
        elif (crate, (*module, head)) in self.modules:
            base = module  # a child module in scope (2018 uniform paths)
        else:
            return None  # std, an external crate
        for cut in range(len(segments), -1, -1):
            target = self.modules.get((crate, (*base, *segments[:cut])))
            if target is not None:
                return target, segments[cut:]
        return None


def resolve_rust(root: str, files: list[FileFacts]) -> None:
    """Resolve ``use`` and ``mod`` of every Rust file (see the module docstring)."""
    resolver = RustResolver(root, [f.path for f in files])
    for facts in files:
        for imp in facts.imports:
            specifier = imp.specifier or imp.module
            imp.specifier = specifier
            found = resolver.resolve(facts.path, specifier, imp.kind)
            if found is None or found[0] == facts.path:
                imp.resolved = None
                imp.module = specifier
                continue
            target, rest = found
            imp.resolved = imp.module = target
            if rest and imp.names != ["*"]:
                # use a::X -> the item X of a's file (a nested item keeps its last name)
                imp.names = [rest[-1]]
                imp.is_from = True
            elif not rest and imp.names != ["*"]:
                imp.names = []


# --- C# --------------------------------------------------------------------------------------

_NAMESPACE = re.compile(rb"^[ \t]*namespace[ \t]+([\w.]+)", re.M)
_COMMENTS = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)


def _namespaces(root: str, path: str) -> list[tuple[int, str]]:
    """(line, namespace) of each ``namespace`` declaration of a file."""
    try:
        with open(os.path.join(root, path), "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    # blank comments out keeping the line breaks, so that line numbers hold
    data = _COMMENTS.sub(lambda m: b"\n" * m.group(0).count(b"\n"), data)
    return [(data.count(b"\n", 0, m.start()) + 1, m.group(1).decode("ascii", "replace")) for m in _NAMESPACE.finditer(data)]


class CSharpResolver:
    def __init__(self, root: str, files: list[FileFacts]) -> None:
        self.types: dict[tuple[str, str], str] = {}  # (namespace, type) -> path
        self.by_namespace: dict[str, list[tuple[str, str]]] = {}  # namespace -> [(type, path)]
        self.namespaces_of: dict[str, set[str]] = {}
        for facts in sorted(files, key=lambda f: f.path):
            declared = _namespaces(root, facts.path)
            self.namespaces_of[facts.path] = {ns for _, ns in declared} or {""}
            prefix = facts.module + "."
            for d in facts.definitions:
                if d.kind != "class" or not d.qualname.startswith(prefix) or "." in d.qualname[len(prefix) :]:
                    continue
                namespace = ""
                for line, ns in declared:
                    if line <= d.line:
                        namespace = ns
                self.types.setdefault((namespace, d.name), facts.path)
                self.by_namespace.setdefault(namespace, []).append((d.name, facts.path))

    def type_file(self, dotted: str) -> str | None:
        namespace, _, name = dotted.rpartition(".")
        return self.types.get((namespace, name))

    def namespace_files(self, namespace: str, used: set[str]) -> list[str]:
        return sorted({path for name, path in self.by_namespace.get(namespace, []) if name in used})


def _enclosing(namespace: str) -> list[str]:
    """``A.B.C`` -> ``A.B.C``, ``A.B``, ``A`` and the global namespace."""
    parts = namespace.split(".") if namespace else []
    return [".".join(parts[:i]) for i in range(len(parts), -1, -1)]


def resolve_csharp(root: str, files: list[FileFacts]) -> None:
    """Resolve the ``using`` directives of every C# file (see the module docstring)."""
    resolver = CSharpResolver(root, files)
    for facts in files:
        used = set(facts.names_used)
        out: list[ImportFact] = []
        for imp in facts.imports:
            specifier = imp.specifier or imp.module
            imp.specifier = specifier
            if imp.kind == "import":
                targets = [t for t in resolver.namespace_files(specifier, used) if t != facts.path]
                expand(imp, targets, out)
                continue
            target = resolver.type_file(specifier)
            if target is None and imp.kind == "alias":  # using X = A.B; (a namespace alias)
                targets = [t for t in resolver.namespace_files(specifier, used) if t != facts.path]
                expand(imp, targets, out)
                continue
            if target is None or target == facts.path:
                imp.resolved = None
                imp.module = specifier
            else:
                imp.resolved = imp.module = target
                if imp.kind == "alias":
                    imp.names = [specifier.rsplit(".", 1)[-1]]
                    imp.is_from = True
            out.append(imp)
        imported = {imp.resolved for imp in out if imp.resolved}
        by_file: dict[str, list[str]] = {}
        for namespace in sorted({n for ns in resolver.namespaces_of.get(facts.path, {""}) for n in _enclosing(ns)}):
            for name, target in resolver.by_namespace.get(namespace, []):
                if name in used and target != facts.path and target not in imported:
                    by_file.setdefault(target, []).append(name)
        for target, names in sorted(by_file.items()):
            out.append(ImportFact(module=target, names=sorted(set(names)), line=1, resolved=target, is_from=True, kind="package"))
        facts.imports = out
