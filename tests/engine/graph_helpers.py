"""Build ``FileFacts`` from source snippets for graph and project-detector tests.

A deliberately small stand-in for the worker's fact extraction: enough of the same shape
(qualified definitions, absolute imports resolved to the snippet project's modules, call
targets resolved through imports, names used) that project detectors can be tested without the
pipeline.
"""

from __future__ import annotations

import ast
import hashlib
import textwrap
from typing import Any

from analysis.engine.clones import clone_windows
from analysis.engine.facts import CallFact, Definition, FileFacts, ImportFact
from analysis.engine.project import ProjectContext, build_project


def module_name(path: str) -> tuple[str, bool]:
    parts = path[:-3].split("/")
    is_init = parts[-1] == "__init__"
    if is_init:
        parts = parts[:-1]
    return ".".join(parts), is_init


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        return f"{inner}().{'.'.join(reversed(parts))}" if inner and parts else None
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Extractor(ast.NodeVisitor):
    def __init__(self, module: str, is_init: bool, modules: set[str]) -> None:
        self.module = module
        self.package = module if is_init else module.rpartition(".")[0]
        self.modules = modules
        self.scope: list[tuple[str, str]] = []  # (name, kind)
        self.type_checking = 0
        self.aliases: dict[str, str] = {}
        self.facts_defs: list[Definition] = []
        self.imports: list[ImportFact] = []
        self.calls: list[CallFact] = []
        self.names: set[str] = set()
        self.dunder_all: list[str] | None = None

    def qual(self, name: str) -> str:
        return ".".join([self.module, *(n for n, _ in self.scope), name])

    def current(self) -> str:
        return ".".join([self.module, *(n for n, _ in self.scope)])

    def in_function(self) -> bool:
        return any(kind != "class" for _, kind in self.scope)

    def resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return dotted
        return f"{target}.{rest}" if rest else target

    def repo_module(self, name: str) -> str | None:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in self.modules:
                return prefix
        return None

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.type_checking += 1
            for stmt in node.body:
                self.visit(stmt)
            self.type_checking -= 1
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.append(
                ImportFact(
                    alias.name,
                    [],
                    alias.asname,
                    node.lineno,
                    self.repo_module(alias.name),
                    False,
                    self.type_checking > 0,
                    self.in_function(),
                )
            )
            if not self.in_function():
                bound = alias.asname or alias.name.partition(".")[0]
                self.aliases[bound] = alias.name if alias.asname else bound

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            mod = f"{base}.{node.module}" if node.module else base
        else:
            mod = node.module or ""
        for alias in node.names:
            self.imports.append(
                ImportFact(
                    mod,
                    [alias.name],
                    alias.asname,
                    node.lineno,
                    self.repo_module(mod),
                    True,
                    self.type_checking > 0,
                    self.in_function(),
                )
            )
            if not self.in_function() and alias.name != "*":
                self.aliases[alias.asname or alias.name] = f"{mod}.{alias.name}"

    def _def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, kind: str) -> None:
        decorators = [d for d in (_dotted(x.func if isinstance(x, ast.Call) else x) for x in node.decorator_list) if d]
        bases: list[str] = []
        if isinstance(node, ast.ClassDef):
            bases = [self.resolve(d) for d in (_dotted(b) for b in node.bases) if d]
            params: list[str] = []
        else:
            params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        for expr in node.decorator_list + (node.bases if isinstance(node, ast.ClassDef) else []):
            self.visit(expr)
        self.facts_defs.append(
            Definition(
                kind,
                node.name,
                self.qual(node.name),
                node.lineno,
                node.end_lineno or node.lineno,
                decorators,
                params,
                ast.get_docstring(node),
                bases,
            )
        )
        self.scope.append((node.name, "class" if kind == "class" else "function"))
        for stmt in node.body:
            self.visit(stmt)
        if not isinstance(node, ast.ClassDef):
            self.visit(node.args)
            if node.returns:
                self.visit(node.returns)
        self.scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._def(node, "class")

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        kind = "method" if self.scope and self.scope[-1][1] == "class" else "function"
        self._def(node, kind)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        dotted = _dotted(node.func)
        if dotted:
            self.calls.append(CallFact(self.current(), self.resolve(dotted), node.lineno))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Store):
            self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.names.add(node.attr)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        is_all = not self.scope and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        if is_all and isinstance(node.value, (ast.List, ast.Tuple)):
            self.dunder_all = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        self.generic_visit(node)


def facts_from_source(path: str, source: str, modules: set[str] | None = None) -> FileFacts:
    """FileFacts for one file; ``modules`` are the project's module names (for resolution)."""
    source = textwrap.dedent(source)
    module, is_init = module_name(path)
    lines = source.splitlines()
    tree = ast.parse(source)
    ex = _Extractor(module, is_init, modules or {module})
    ex.visit(tree)
    stem = path.rpartition("/")[2]
    return FileFacts(
        path=path,
        module=module,
        content_hash=hashlib.sha256(source.encode()).hexdigest(),
        lines=len(lines),
        code_lines=sum(1 for ln in lines if ln.strip() and not ln.strip().startswith("#")),
        is_package_init=is_init,
        is_test=stem.startswith("test_") or "/tests/" in f"/{path}" or stem == "conftest.py",
        definitions=ex.facts_defs,
        imports=ex.imports,
        calls=ex.calls,
        names_used=sorted(ex.names),
        dunder_all=ex.dunder_all,
        clone_windows=clone_windows(tree, lines),
    )


def facts_from_sources(sources: dict[str, str]) -> dict[str, FileFacts]:
    modules = {module_name(p)[0] for p in sources}
    return {p: facts_from_source(p, s, modules) for p, s in sources.items()}


class Config:
    """Duck-typed stand-in for the engine configuration."""

    def __init__(self, thresholds: dict[str, dict[str, Any]] | None = None, layers: list[str] | None = None) -> None:
        self.thresholds = thresholds or {}
        self.layers = layers or []


def project_from_sources(sources: dict[str, str], config: Any = None, root: str = "/nonexistent") -> ProjectContext:
    return build_project(facts_from_sources(sources), config or Config(), root)


def run_detector(detector_cls: Any, project: ProjectContext) -> list[Any]:
    return list(detector_cls().run(project))
