"""Dead-code detectors: unused imports (file-local) and unreferenced functions/classes (project).

``unused-import`` follows pyflakes' scoping model so the two agree on real code: a module's
imports are used by any reference in the module (functions included), a function's imports by
references in it and in its nested functions, class bodies do not leak names into methods, and
when a name is bound twice in a scope only the last binding can be reported (an earlier unused
import is a redefinition, a different message). On top of pyflakes it honours ``# noqa`` (bare or
F401), explicit re-exports (``import x as x``, ``from m import x as x``), package re-exports in
``__init__.py`` (relative or own-package imports), side-effect imports in Django's
``AppConfig.ready()``, and ``TYPE_CHECKING`` imports mentioned in string annotations or type
comments. ``report_init_reexports``/``report_explicit_reexports``/``honour_noqa`` switch these off
for a pyflakes-compatible run (see benchmarks/pyflakes_compare.py).
"""

from __future__ import annotations

import ast
import builtins
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.engine import graph as g
from analysis.engine.context import FileContext
from analysis.engine.facts import Definition, FileFacts
from analysis.engine.languages import family_of
from analysis.engine.model import Category, Finding, Severity, compute_fingerprint
from analysis.engine.project import ProjectContext
from analysis.engine.registry import (
    DetectorSpec,
    NodeDetector,
    ProjectDetector,
    register,
)

_EXPORTED_CONFIDENCE = 0.2
# a public class is more often meant for users of the package (passed to an API, found by name
# by a loader) than a public function; a subclass in a family of sibling subclasses is a plugin
_PUBLIC_CLASS_CONFIDENCE = 0.3
_PLUGIN_CONFIDENCE = 0.2
# kept on purpose: the docstring or a comment says so
_KEPT_CONFIDENCE = 0.15
_KEPT_WORDS = re.compile(r"\b(deprecat\w*|backward[s]?[- ]compat\w*|compatib\w*|legacy|kept for|alias for|public api)\b", re.I)
# "module.path:attribute" in packaging metadata (entry points, console scripts)
_ENTRY_POINT = re.compile(r"\b[A-Za-z_][\w.]*:([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
_METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "entry_points.txt")
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}
_BUILTINS = frozenset(dir(builtins)) | {
    "__file__",
    "__name__",
    "__doc__",
    "__path__",
    "__package__",
    "__spec__",
    "__loader__",
    "__builtins__",
    "__annotations__",
    "__module__",
    "__qualname__",
    "WindowsError",
}


@dataclass(slots=True)
class _Import:
    node: ast.Import | ast.ImportFrom
    bound: str
    display: str
    symbol: str
    type_checking: bool
    optional: bool  # inside try/except ImportError
    explicit_reexport: bool  # "import x as x" / "from m import x as x"
    init_reexport: bool  # own-package import at the top of an __init__.py


@dataclass(slots=True)
class _Scope:
    kind: str  # module | function | class | comprehension
    bindings: dict[str, _Import | None] = field(default_factory=dict)  # last binding of each name
    uses: set[str] = field(default_factory=set)
    free: set[str] = field(default_factory=set)  # unresolved names from nested scopes
    declared_global: set[str] = field(default_factory=set)
    imports: list[_Import] = field(default_factory=list)


def _is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(
        (isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS) or (isinstance(n, ast.Attribute) and n.attr in _IMPORT_ERRORS)
        for n in names
    )


def _string_names(annotation: ast.AST | None) -> Iterable[str]:
    """Names referenced by string annotations (``"Model"``, ``list["pkg.Thing"]``)."""
    if annotation is None:
        return
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
            try:
                parsed = ast.parse(node.value.strip(), mode="eval")
            except SyntaxError:
                continue
            for inner in ast.walk(parsed):
                if isinstance(inner, ast.Name):
                    yield inner.id


def _all_names(node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[str] | None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
        return None
    names: list[str] = []
    stack = [node.value] if node.value is not None else []
    while stack:
        value = stack.pop()
        if isinstance(value, (ast.List, ast.Tuple)):
            names.extend(e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
        elif isinstance(value, ast.BinOp):
            stack.extend((value.left, value.right))
    return names


_Name = ast.Name
_Store = ast.Store

_SCOPE_KIND: dict[type, str] = {
    ast.FunctionDef: "function",
    ast.AsyncFunctionDef: "function",
    ast.Lambda: "function",
    ast.ClassDef: "class",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
}


@register
class UnusedImport(NodeDetector):
    """An imported name that nothing in its scope (or nested scopes) references."""

    spec = DetectorSpec(
        id="unused-import",
        category=Category.DEAD_CODE,
        severity=Severity.LOW,
        title="Unused import",
        description="A module or name is imported but never used. Unused imports slow start-up, can create "
        "import cycles and mislead readers. Remove it (or list it in __all__ when it is a deliberate re-export).",
        effort_minutes=1,
        thresholds={"report_init_reexports": False, "report_explicit_reexports": False, "honour_noqa": True},
    )
    node_types = (
        ast.Import,
        ast.ImportFrom,
        ast.Name,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.Lambda,
        ast.ClassDef,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
        ast.arg,
        ast.AnnAssign,
        ast.Assign,
        ast.AugAssign,
        ast.Global,
        ast.Nonlocal,
        ast.ExceptHandler,
        ast.If,
        ast.Try,
    )
    leave_types = tuple(_SCOPE_KIND)  # leave only closes scopes

    def start_file(self, ctx: FileContext) -> None:
        self.stack: list[_Scope] = []
        self._push(_Scope("module"))
        self.exported: set[str] = set()
        self.type_checking: list[tuple[int, int]] = []
        self.optional: list[tuple[int, int]] = []
        self.symbols: list[str] = []
        self.stars: list[_Import] = []

    def _push(self, scope: _Scope) -> None:
        self.stack.append(scope)
        self._current(scope)

    def _current(self, scope: _Scope) -> None:
        self.bindings = scope.bindings
        self.uses_add = scope.uses.add

    # --- traversal ---------------------------------------------------------------------------
    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        t = node.__class__
        if t is _Name:  # the hot path: most visited nodes are names
            if node.ctx.__class__ is _Store:  # type: ignore[attr-defined]
                self.bindings[node.id] = None  # type: ignore[attr-defined]
            else:
                self.uses_add(node.id)  # type: ignore[attr-defined]
            return
        scope = self.stack[-1]
        if t is ast.arg:
            scope.bindings[node.arg] = None  # type: ignore[attr-defined]
            if node.annotation is not None:  # type: ignore[attr-defined]
                # evaluated where the function is defined: a parameter named like the module its
                # string annotation names ("item: 'item.Item'") does not hide that module
                outer = self.stack[-2] if len(self.stack) > 1 else scope
                outer.uses.update(_string_names(node.annotation))  # type: ignore[attr-defined]
                if outer is not scope:  # likewise a plain annotation ("datetime: datetime")
                    outer.uses.update(n.id for n in ast.walk(node.annotation) if isinstance(n, ast.Name))  # type: ignore[attr-defined]
            return
        if t is ast.Import or t is ast.ImportFrom:
            self._bind_imports(node, ctx)  # type: ignore[arg-type]
            return
        kind = _SCOPE_KIND.get(t)
        if kind is not None:
            if kind != "comprehension" and t is not ast.Lambda:
                scope.bindings[node.name] = None  # type: ignore[attr-defined]
                self.symbols.append(node.name)  # type: ignore[attr-defined]
                if t is not ast.ClassDef:
                    scope.uses.update(_string_names(node.returns))  # type: ignore[attr-defined]
            self._push(_Scope(kind))
            return
        if t is ast.Assign or t is ast.AugAssign or t is ast.AnnAssign:
            if t is ast.AnnAssign:
                scope.uses.update(_string_names(node.annotation))  # type: ignore[attr-defined]
            if len(self.stack) == 1:
                names = _all_names(node)  # type: ignore[arg-type]
                if names is not None:
                    self.exported.update(names)
            return
        if t is ast.Global or t is ast.Nonlocal:
            scope.declared_global.update(node.names)  # type: ignore[attr-defined]
            return
        if t is ast.ExceptHandler:
            if node.name:  # type: ignore[attr-defined]
                scope.bindings[node.name] = None  # type: ignore[attr-defined]
            return
        if t is ast.If:
            if _is_type_checking(node.test) and node.body:  # type: ignore[attr-defined]
                self.type_checking.append((node.body[0].lineno, node.body[-1].end_lineno or 0))  # type: ignore[attr-defined]
            return
        if t is ast.Try and node.body and any(_catches_import_error(h) for h in node.handlers):  # type: ignore[attr-defined]
            self.optional.append((node.lineno, node.end_lineno or node.lineno))  # type: ignore[attr-defined]

    def leave(self, node: ast.AST, ctx: FileContext) -> None:
        if type(node) not in _SCOPE_KIND:
            return
        scope = self.stack.pop()
        self._current(self.stack[-1])
        if type(node) in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            self.symbols.pop()
        parent = self.stack[-1]
        if scope.kind == "class":
            parent.free.update(n for n in scope.uses if n not in scope.bindings)
            parent.free.update(scope.free)
            return
        parent.free.update(self._close(scope, ctx))

    def end_file(self, ctx: FileContext) -> None:
        module = self.stack[0]
        module.uses.update(self.exported)
        unresolved = self._close(module, ctx)
        # as pyflakes: a star import is used when some name of the module is defined nowhere
        # else (it may come from the star) — including names listed in __all__
        if self.stars and not (unresolved - _BUILTINS):
            for star in self.stars:
                self._report(star, ctx)

    # --- helpers -----------------------------------------------------------------------------
    def _bind_imports(self, node: ast.Import | ast.ImportFrom, ctx: FileContext) -> None:
        scope = self.stack[-1]
        symbol = ".".join(self.symbols)
        line = node.lineno
        tc = any(a <= line <= b for a, b in self.type_checking)
        optional = any(a <= line <= b for a, b in self.optional)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound = alias.asname
                    # as pyflakes prints it: the alias only when it differs from the last part
                    same = alias.name.rpartition(".")[2] == alias.asname
                    display = alias.name if same else f"{alias.name} as {alias.asname}"
                else:
                    bound, display = alias.name.partition(".")[0], alias.name
                scope.bindings[bound] = _Import(node, bound, display, symbol, tc, optional, alias.asname == alias.name, False)
            return
        if node.module == "__future__":
            return
        base = "." * node.level + (node.module or "")
        own_package = bool(node.level) or (
            bool(ctx.module) and (node.module or "").startswith(ctx.module + ".") and ctx.is_package_init
        )
        for alias in node.names:
            if alias.name == "*":
                if len(self.stack) == 1:
                    init_reexport = ctx.is_package_init and own_package
                    self.stars.append(
                        _Import(
                            node,
                            "*",
                            f"{base}.*" if not base.endswith(".") else f"{base}*",
                            symbol,
                            tc,
                            optional,
                            False,
                            init_reexport,
                        )
                    )
                continue
            bound = alias.asname or alias.name
            full = f"{base}.{alias.name}" if not base.endswith(".") else f"{base}{alias.name}"
            display = f"{full} as {alias.asname}" if alias.asname and alias.asname != alias.name else full
            init_reexport = ctx.is_package_init and own_package and len(self.stack) == 1
            scope.bindings[bound] = _Import(node, bound, display, symbol, tc, optional, alias.asname == alias.name, init_reexport)

    def _close(self, scope: _Scope, ctx: FileContext) -> set[str]:
        """Report the scope's unused imports; return the names it leaves to enclosing scopes."""
        wanted = scope.uses | scope.free
        if "locals" in scope.uses and scope.kind != "module":
            wanted = wanted | set(scope.bindings)
        unresolved = {n for n in wanted if n not in scope.bindings or n in scope.declared_global}
        for name, binding in scope.bindings.items():
            if binding is None or name in wanted:
                continue
            self._report(binding, ctx)
        return unresolved

    def _report(self, imp: _Import, ctx: FileContext) -> None:
        if imp.explicit_reexport and not self._setting(ctx, "report_explicit_reexports"):
            return
        if imp.init_reexport and not self._setting(ctx, "report_init_reexports"):
            return
        if imp.symbol.rpartition(".")[2] == "ready" and not self._setting(ctx, "report_init_reexports"):
            return  # Django AppConfig.ready(): imported for its side effects (signal receivers)
        line_text = ctx.lines[imp.node.lineno - 1] if imp.node.lineno <= len(ctx.lines) else ""
        if self._noqa(ctx, imp.node):
            return
        if imp.type_checking and len(re.findall(rf"\b{re.escape(imp.bound)}\b", ctx.source)) > 1:
            return  # mentioned in a string annotation or a type comment
        confidence = 0.7 if imp.optional else 1.0
        finding = ctx.report(
            self.spec,
            imp.node,
            f"'{imp.display}' imported but unused.",
            symbol=imp.symbol,
            confidence=confidence,
            code=line_text.strip(),
            metadata={"name": imp.bound, "import": imp.display, "optional": imp.optional, "type_checking": imp.type_checking},
        )
        finding.fingerprint = compute_fingerprint(self.spec.id, ctx.path, imp.symbol, imp.display)

    def _setting(self, ctx: FileContext, name: str) -> bool:
        settings = ctx.settings.get(self.spec.id)
        if settings is not None and name in settings.thresholds:
            return bool(settings.thresholds[name])
        return bool(self.spec.thresholds[name])

    def _noqa(self, ctx: FileContext, node: ast.AST) -> bool:
        if not self._setting(ctx, "honour_noqa"):
            return False
        start = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", start) or start
        for text in ctx.lines[start - 1 : end]:
            match = _NOQA.search(text)
            if match and (not match.group("codes") or "F401" in match.group("codes").upper()):
                return True
        return False


def reexported_names(project: ProjectContext) -> set[tuple[str, str]]:
    """(module, name) pairs that another module of the project imports *from* that module:
    ``from pkg.compat import urlparse`` makes ``urlparse`` in ``pkg.compat`` a re-export."""
    found: set[tuple[str, str]] = set()
    for facts in project.files.values():
        for imp in facts.imports:
            if imp.is_from and imp.module in project.modules and imp.module != facts.module:
                found.update((imp.module, name) for name in imp.names if name != "*")
    return found


def drop_reexported_unused_imports(findings: list[Finding], project: ProjectContext) -> list[Finding]:
    """Project-level refinement of ``unused-import`` (a file-local detector cannot see it): an
    import that other modules import from this module is a re-export, not dead. For the
    pipeline to apply after the project is built; pyflakes, being file-local, reports them."""
    reexported = reexported_names(project)
    if not reexported:
        return findings
    module_of = {path: facts.module for path, facts in project.files.items()}
    return [
        f
        for f in findings
        if f.detector != UnusedImport.spec.id or (module_of.get(f.path, ""), f.metadata.get("name", "")) not in reexported
    ]


# --------------------------------------------------------------------------------------------

_ENTRY_NAMES = {
    "main",
    "setup",
    "teardown",
    "setUp",
    "tearDown",
    "setUpClass",
    "tearDownClass",
    "setUpModule",
    "tearDownModule",
    "run",
    "app",
    "application",
    "handler",
    "lambda_handler",
    "urlpatterns",
}
_CONVENTION_CLASSES = {"Meta", "Migration", "Command", "Config", "Media", "Params"}
_CALLBACK_PREFIXES = (
    "test",
    "visit_",
    "depart_",
    "do_",
    "handle_",
    "on_",
    "pytest_",
    "clean_",
    "get_",
    "render_",
    "as_",
    "process_",
    "_check_",
    "check_",
    "setup_",
    "field_for_",
    "format_",
    "parse_",
)
_ENTRY_FILES = ("setup.py", "manage.py", "__main__.py", "conftest.py", "noxfile.py", "fabfile.py", "wsgi.py", "asgi.py")
# modules whose callables settings or task queues name by dotted string, out of the graph's sight
_STRING_REFERENCED_FILES = ("tasks.py", "context_processors.py", "middleware.py")


@register
class UnusedFunctionOrClass(ProjectDetector):
    """A function, method or class whose name is referenced nowhere in the project.

    Conservative on purpose (like vulture): a definition counts as used when its name appears as
    any identifier or attribute anywhere, is imported or listed in an ``__all__`` anywhere, or a
    resolved call or base class points at it. Public methods are skipped by default
    (``report_public_methods``): templates, serializers and frameworks call them by name from
    places the Python graph cannot see. Entry
    points, tests, dunders, decorated callables, overrides, ``__all__`` members and framework
    conventions (Django ``Meta``/``Migration``/``Command``, admin classes...) are never reported."""

    spec = DetectorSpec(
        id="unused-function-or-class",
        category=Category.DEAD_CODE,
        severity=Severity.LOW,
        title="Unused function or class",
        description="Nothing in the project references this function, method or class. Dead code costs "
        "reading and maintenance time; delete it (version control remembers it).",
        effort_minutes=10,
        thresholds={"public_confidence": 0.6, "private_confidence": 0.8, "report_public_methods": False},
    )

    def run(self, project: ProjectContext) -> Iterable[Finding]:
        # names only reference definitions of the same language family (a JavaScript `f()` does
        # not use a Python `f`)
        by_family: dict[str, set[str]] = {}
        for facts in project.files.values():
            referenced = by_family.setdefault(family_of(facts.language), set())
            referenced.update(facts.names_used)
            # an imported or exported name is wanted somewhere (a re-export, the public API)
            for imp in facts.imports:
                referenced.update(imp.names)
            if facts.dunder_all:
                referenced.update(facts.dunder_all)
        # named by packaging metadata: entry points and scripts are called from outside
        by_family.setdefault("python", set()).update(_entry_point_names(project.root))
        targets: set[str] = set()
        for kind in (g.CALLS, g.INHERITS):
            for dsts in project.graph.edges[kind].values():
                targets.update(dsts)
        public_conf = float(project.threshold(self.spec, "public_confidence"))
        # an exported JS/TS symbol is meant for code outside the project more often than not
        exported_conf = min(public_conf, _EXPORTED_CONFIDENCE)
        private_conf = float(project.threshold(self.spec, "private_confidence"))
        public_methods = bool(project.threshold(self.spec, "report_public_methods"))
        configured = project.severity(self.spec) != self.spec.severity
        docs: set[str] | None = None

        def documented() -> set[str]:
            # names the project's own documentation shows users (read once, only when needed)
            nonlocal docs
            if docs is None:
                docs = _documented_names(project.root)
            return docs

        mentions: set[str] | None = None

        def in_strings() -> set[str]:
            nonlocal mentions
            if mentions is None:
                mentions = _string_mentions(project)
            return mentions

        for qual in sorted(project.definitions):
            d = project.definitions[qual]
            path = project.definition_path[qual]
            facts = project.files[path]
            if d.name in by_family.get(family_of(facts.language), ()) or qual in targets:
                continue
            if d.name.startswith("<"):
                continue  # an anonymous function (a callback): used where it is written
            if not _candidate(project, qual, d, facts, public_methods):
                continue
            # Go: a name starting with a lower-case letter is not visible outside its package
            # a private module (``pkg/_winapi.py``) makes everything in it private to the package
            private = (
                d.name.startswith("_")
                or (facts.language == "go" and not d.name[:1].isupper())
                or any(part.startswith("_") and not part.startswith("__") for part in facts.module.split("."))
            )
            exported = d.name in facts.extra.get("exports", ())  # public API of a JS/TS module
            kind = {"class": "Class", "method": "Method"}.get(d.kind, "Function")
            confidence = exported_conf if exported else private_conf if private else public_conf
            if _kept_on_purpose(project, path, d) or (not private and d.name in documented()):
                confidence = min(confidence, _KEPT_CONFIDENCE)
            elif facts.language == "python" and d.name in in_strings():
                # named in a string of code: generated source ("runtime._helper(...)"), a loader's
                # ("pkg.mod", "PluginClass") or a dotted path a registry imports
                confidence = min(confidence, _KEPT_CONFIDENCE)
            elif d.kind == "class" and not private:
                plugin = any(
                    len(project.graph.predecessors(g.INHERITS, base)) >= 2 for base in project.graph.successors(g.INHERITS, qual)
                )
                confidence = min(confidence, _PLUGIN_CONFIDENCE if plugin else _PUBLIC_CLASS_CONFIDENCE)
            yield project.report(
                self.spec,
                path=path,
                line=d.line,
                end_line=d.end_line,
                message=f"{kind} '{d.name}' is never referenced in the project.",
                symbol=qual.removeprefix(facts.module + "."),
                key=f"{d.kind}:{qual}",
                confidence=confidence,
                # public names may be API used from outside the project: informational only,
                # unless repotoire.toml sets this detector's severity
                severity=None if (private and not exported) or configured else Severity.INFO,
                metadata={
                    "kind": d.kind,
                    "qualname": qual,
                    "public": not private,
                    "lines": d.end_line - d.line + 1,
                    **({"exported": True} if exported else {}),
                },
            )


def _entry_point_names(root: str) -> set[str]:
    """Attribute names that packaging metadata at the root (or one directory down) points at."""
    names: set[str] = set()
    base = Path(root)
    for pattern in _METADATA_FILES:
        for path in (base / pattern, *base.glob(f"*/{pattern}")):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for match in _ENTRY_POINT.finditer(text):
                names.update(n for n in match.groups() if n)
    return names


_DOC_SUFFIXES = (".md", ".rst", ".txt")
_DOC_DIRS = ("docs", "doc", "documentation")
_MAX_DOC_BYTES = 4_000_000
_WORD = re.compile(r"[A-Za-z_]\w+")


def _documented_names(root: str) -> set[str]:
    """Identifiers in the project's documentation (README and ``docs/``): a public function the
    docs show is API used from outside, however unused inside."""
    names: set[str] = set()
    base = Path(root)
    budget = _MAX_DOC_BYTES
    files = [p for p in base.iterdir() if p.is_file() and p.suffix.lower() in _DOC_SUFFIXES] if base.is_dir() else []
    for directory in _DOC_DIRS:
        if (base / directory).is_dir():
            files += [p for p in sorted((base / directory).rglob("*")) if p.suffix.lower() in _DOC_SUFFIXES and p.is_file()]
    for path in files:
        try:
            size = path.stat().st_size
            if size > budget:
                break
            budget -= size
            names.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return names


_STRING = re.compile(r'"([^"\\\n]*(?:\\.[^"\\\n]*)*)"|\'([^\'\\\n]*(?:\\.[^\'\\\n]*)*)\'')
_DOTTED = re.compile(r"[A-Za-z_][\w.]*")
_CODE_NAME = re.compile(r"\.([A-Za-z_]\w*)|([A-Za-z_]\w*)\(")


def _string_mentions(project: ProjectContext) -> set[str]:
    """Names that string literals of the project's Python files use as code: a whole string that
    is a name or dotted path (``"filters.xml_escape"``, ``"PluginClass"``), or ``.name`` /
    ``name(`` inside one (``"runtime._inherit_from(context)"``)."""
    names: set[str] = set()
    for path, facts in project.files.items():
        if facts.language != "python":
            continue
        try:
            with open(os.path.join(project.root, path), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        for match in _STRING.finditer(text):
            content = match.group(1) if match.group(1) is not None else match.group(2) or ""
            if not content:
                continue
            if _DOTTED.fullmatch(content):
                names.update(content.split("."))
            elif "(" in content or "." in content:
                for found in _CODE_NAME.finditer(content):
                    names.add(found.group(1) or found.group(2))
    return names


def _kept_on_purpose(project: ProjectContext, path: str, d: Definition) -> bool:
    """The docstring, or a comment just above the definition or at the top of its body, says the
    definition is kept deliberately (deprecated, backward compatibility, an alias)."""
    if d.docstring and _KEPT_WORDS.search(d.docstring):
        return True
    for line in range(max(1, d.line - 3), min(d.end_line, d.line + 12) + 1):
        text = project.line_text(path, line)
        comment = text.partition("#")[2]
        if comment and _KEPT_WORDS.search(comment):
            return True
    return False


def _candidate(project: ProjectContext, qual: str, d: Definition, facts: FileFacts, public_methods: bool) -> bool:
    """Whether an unreferenced definition may be reported at all (the exclusions)."""
    name, kind, path = d.name, d.kind, facts.path
    if facts.is_test or d.decorators:
        return False
    if name.startswith("__") and name.endswith("__"):
        return False
    filename = path.rpartition("/")[2]
    if name in _ENTRY_NAMES or filename in _ENTRY_FILES or "/migrations/" in f"/{path}":
        return False
    if facts.language == "go" and name == "init" and kind == "function":
        return False  # run by the Go runtime before main
    if filename in _STRING_REFERENCED_FILES and "." not in qual.removeprefix(facts.module + "."):
        return False
    if kind == "class":
        if name in _CONVENTION_CLASSES or name.endswith(("Admin", "Inline", "Test", "Tests", "TestCase", "Config", "Middleware")):
            return False
        return not project.graph.predecessors(g.INHERITS, qual)
    if name.startswith(_CALLBACK_PREFIXES):
        return False
    if kind == "method":
        if not public_methods and not name.startswith("_"):
            return False
        cls = qual.rpartition(".")[0]
        cls_def = project.definitions.get(cls)
        if cls_def is None:
            return False
        bases = project.graph.successors(g.INHERITS, cls)
        if len(bases) < len(cls_def.bases):
            return False  # a base outside the project may call it (framework hook)
        ancestors = g.reachable(project.graph.edges[g.INHERITS], [cls]) - {cls}
        if any(f"{a}.{name}" in project.definitions for a in ancestors):
            return False  # overrides a base method
        subclasses = _subclasses(project, cls)
        if any(f"{s}.{name}" in project.definitions for s in subclasses):
            return False  # template method overridden below
    return True


def _subclasses(project: ProjectContext, cls: str) -> set[str]:
    seen: set[str] = set()
    stack = [cls]
    while stack:
        for sub in project.graph.predecessors(g.INHERITS, stack.pop()):
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return seen
