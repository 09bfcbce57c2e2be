"""Go import resolution: a package is a directory, an import path names one.

An import path is looked up, in order:

* in the module of the importing file: the nearest ``go.mod`` up the tree declares
  ``module <path>``; ``<path>/x/y`` is the directory ``x/y`` under that ``go.mod``
  (a ``go.mod`` elsewhere in the repository — a workspace — is tried next);
* in ``vendor/<import path>`` of that module, then of the repository root (analysed only when the
  default excludes are off: discovery skips ``vendor/``);
* GOPATH layout (no ``go.mod``: ``src/github.com/org/repo/...``): the directory whose path ends
  with the import path.

A resolved import depends on the whole package: the fact is repeated for each of the package's
non-test files (``resolved`` = ``module`` = that file). The first of them — the one the import's
name is bound to when ``pkg.F`` is resolved — is the file defining most of the ``pkg.X`` the
importing file uses; the rest follow in path order.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re

from analysis.engine.facts import FileFacts, ImportFact

_MODULE = re.compile(rb"^\s*module\s+\"?([^\s\"/][^\s\"]*)\"?", re.M)


class GoResolver:
    """Import path -> the package's files, for one repository (memoised)."""

    def __init__(self, root: str, paths: list[str]) -> None:
        self.root = root
        self.packages: dict[str, list[str]] = {}
        for path in sorted(paths):
            if not path.endswith("_test.go"):
                self.packages.setdefault(posixpath.dirname(path), []).append(path)
        self.modules = self._modules()  # directory of a go.mod -> its module path
        self._memo: dict[tuple[str, str], list[str]] = {}

    def _modules(self) -> dict[str, str]:
        dirs: set[str] = set()
        for d in self.packages:
            while True:
                dirs.add(d)
                if not d:
                    break
                d = posixpath.dirname(d)
        out: dict[str, str] = {}
        for d in sorted(dirs):
            try:
                with open(os.path.join(self.root, d, "go.mod"), "rb") as fh:
                    match = _MODULE.search(fh.read(65536))
            except OSError:
                continue
            if match is not None:
                out[d] = match.group(1).decode("utf-8", "replace")
        return out

    def _module_of(self, directory: str) -> str | None:
        d = directory
        while True:
            if d in self.modules:
                return d
            if not d:
                return None
            d = posixpath.dirname(d)

    def resolve(self, importer: str, path: str) -> list[str]:
        here = posixpath.dirname(importer)
        key = (here, path)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._lookup(here, path)
        return found

    def _lookup(self, here: str, path: str) -> list[str]:
        home = self._module_of(here)
        order = ([home] if home is not None else []) + sorted(d for d in self.modules if d != home)
        for mod_dir in order:
            module = self.modules[mod_dir]
            if path == module or path.startswith(module + "/"):
                found = self.packages.get(_join(mod_dir, path[len(module) + 1 :]))
                if found:
                    return found
        for base in dict.fromkeys(([home] if home is not None else []) + [""]):
            found = self.packages.get(_join(base, "vendor/" + path))
            if found:
                return found
        if not self.modules:  # GOPATH layout
            suffix = "/" + path
            for directory in sorted(self.packages):
                if directory == path or directory.endswith(suffix):
                    return self.packages[directory]
        return []


def _join(base: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(base, rel)) if rel else base


def _top_level_names(files: list[FileFacts]) -> dict[str, set[str]]:
    """path -> names of the functions and types defined at its top level."""
    out: dict[str, set[str]] = {}
    for facts in files:
        prefix = facts.path + "."
        out[facts.path] = {
            d.name for d in facts.definitions if d.qualname.startswith(prefix) and "." not in d.qualname[len(prefix) :]
        }
    return out


def _selected(facts: FileFacts, alias: str) -> set[str]:
    """The X of every ``alias.X`` the file calls or embeds."""
    head = alias + "."
    out = {c.callee[len(head) :].split(".", 1)[0] for c in facts.calls if c.callee.startswith(head)}
    for d in facts.definitions:
        out.update(b[len(head) :] for b in d.bases if b.startswith(head))
    return out


def resolve_go(root: str, files: list[FileFacts]) -> None:
    """Resolve every import of the Go files: one ImportFact per file of the imported package."""
    resolver = GoResolver(root, [f.path for f in files])
    defined = _top_level_names(files)
    for facts in files:
        out: list[ImportFact] = []
        for imp in facts.imports:
            specifier = imp.specifier or imp.module
            imp.specifier = specifier
            targets = [t for t in resolver.resolve(facts.path, specifier) if t != facts.path]
            if not targets:
                imp.resolved = None
                imp.module = specifier
                out.append(imp)
                continue
            if len(targets) > 1 and imp.alias:
                used = _selected(facts, imp.alias)
                targets.sort(key=lambda t: -len(used & defined.get(t, set())))  # stable: path order next
            for i, target in enumerate(targets):
                each = imp if i == 0 else copy.copy(imp)
                each.names = list(imp.names)
                each.resolved = each.module = target
                out.append(each)
        facts.imports = out
