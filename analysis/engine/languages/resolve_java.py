"""Java import resolution: an import names a type, a type lives in the file that declares it.

Each analysed file's package comes from its ``package`` declaration (read from the first 8 KiB),
its top-level types from its definitions. Then:

* ``import a.b.C;`` -> the file declaring ``C`` in package ``a.b``; ``import a.b.C.Inner;``
  -> ``C``'s file (the longest package prefix that declares the next name wins);
* ``import static a.b.C.m;`` and ``import static a.b.C.*;`` -> ``C``'s file;
* ``import a.b.*;`` -> the files of package ``a.b`` whose top-level types the importing file
  names (one ImportFact each, ``names = ["*"]``); an on-demand import of which nothing is used
  stays unresolved;
* the types of the file's own package need no import: each other file of the package whose
  top-level type the file names gets an ImportFact of kind ``package`` (line 1), so the graph
  holds those dependencies too.

Anything else (the JDK, dependencies) keeps its name as ``module`` and ``resolved = None``.
"""

from __future__ import annotations

import copy
import os
import re

from analysis.engine.facts import FileFacts, ImportFact

_PACKAGE = re.compile(rb"^\s*package\s+([\w.]+)\s*;", re.M)
_COMMENTS = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)


def _package(root: str, path: str) -> str:
    try:
        with open(os.path.join(root, path), "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return ""
    match = _PACKAGE.search(_COMMENTS.sub(b" ", head))
    return match.group(1).decode("ascii", "replace") if match is not None else ""


class JavaResolver:
    def __init__(self, root: str, files: list[FileFacts]) -> None:
        self.types: dict[tuple[str, str], str] = {}  # (package, top-level type) -> path
        self.package_of: dict[str, str] = {}  # path -> package
        self.by_package: dict[str, list[tuple[str, str]]] = {}  # package -> [(type, path)]
        for facts in sorted(files, key=lambda f: f.path):
            package = _package(root, facts.path)
            self.package_of[facts.path] = package
            prefix = facts.module + "."
            for d in facts.definitions:
                if d.kind == "class" and d.qualname.startswith(prefix) and "." not in d.qualname[len(prefix) :]:
                    self.types.setdefault((package, d.name), facts.path)
                    self.by_package.setdefault(package, []).append((d.name, facts.path))

    def type_file(self, dotted: str) -> tuple[str, str] | None:
        """The file declaring ``a.b.C`` (or ``a.b.C.Inner``) and the type's dotted name in it
        (``C``, ``C.Inner``)."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, -1, -1):
            found = self.types.get((".".join(parts[:cut]), parts[cut]))
            if found is not None:
                return found, ".".join(parts[cut:])
        return None

    def package_files(self, package: str, used: set[str]) -> list[str]:
        return sorted({path for name, path in self.by_package.get(package, []) if name in used})


def resolve_java(root: str, files: list[FileFacts]) -> None:
    """Resolve every import of the Java files to the declaring files (see the module docstring)."""
    resolver = JavaResolver(root, files)
    for facts in files:
        out: list[ImportFact] = []
        used: set[str] | None = None
        for imp in facts.imports:
            specifier = imp.specifier or imp.module
            imp.specifier = specifier
            if imp.names == ["*"] and imp.kind != "static":
                used = used if used is not None else set(facts.names_used)
                targets = [t for t in resolver.package_files(specifier, used) if t != facts.path]
                expand(imp, targets, out)
                continue
            found = resolver.type_file(specifier)
            if found is None or found[0] == facts.path:
                imp.resolved = None
                imp.module = specifier
                out.append(imp)
                continue
            target, in_file = found
            imp.resolved = imp.module = target
            if imp.names != ["*"]:
                # bind the name to the definition: ``C`` -> ``path.C``, ``m`` -> ``path.C.m``
                member = imp.names[0] if imp.kind == "static" and imp.names else None
                imp.alias = member or in_file.rsplit(".", 1)[-1]
                imp.names = [f"{in_file}.{member}" if member else in_file]
                imp.is_from = True
            out.append(imp)
        imported = {imp.resolved for imp in out if imp.resolved}
        package = resolver.package_of.get(facts.path, "")
        named = set(facts.names_used)
        by_file: dict[str, list[str]] = {}
        for name, target in resolver.by_package.get(package, []):
            if name in named and target != facts.path and target not in imported:
                by_file.setdefault(target, []).append(name)
        for target, names in sorted(by_file.items()):
            out.append(
                ImportFact(module=target, names=names, line=1, resolved=target, is_from=True, specifier=package, kind="package")
            )
        facts.imports = out


def expand(imp: ImportFact, targets: list[str], out: list[ImportFact]) -> None:
    """One ImportFact per target file (a wildcard import depends on each file it uses; also C#'s
    namespace imports in ``resolve_native.py``); unresolved when there is none."""
    if not targets:
        imp.resolved = None
        imp.module = imp.specifier or imp.module
        out.append(imp)
        return
    for i, target in enumerate(targets):
        each = imp if i == 0 else copy.copy(imp)
        each.names = list(imp.names)
        each.resolved = each.module = target
        out.append(each)
