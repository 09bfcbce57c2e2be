"""Per-file context handed to every ``NodeDetector`` during the shared traversal.

The traversal (``visitor.py``) keeps the scope fields up to date while it walks; detectors read
them and call ``report``. ``ctx.metrics[node]`` holds the ``FunctionMetrics`` of a def (available
in ``visit`` and ``leave`` of that FunctionDef) and ``ctx.qualnames[node]`` its qualified name.
A loop body has ``loop_depth`` one higher than the loop header; it restarts at 0 in each def. Detectors must treat the context as read-only apart from ``report``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from analysis.engine.facts import FunctionMetrics
from analysis.engine.model import Finding, Severity
from analysis.engine.spec import DetectorSpec


@dataclass
class DetectorSettings:
    """Effective settings of one detector for this analysis (repotoire.toml applied)."""

    thresholds: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None


class ReportsFindings:
    """``report`` for per-file contexts (``FileContext`` here for Python, ``TreeContext`` for the
    tree-sitter languages): a subclass says where a node is (``_span``), quotes it (``segment``)
    and names its enclosing symbol (``_symbol_of``)."""

    path: str
    lines: list[str]
    settings: dict[str, DetectorSettings]
    findings: list[Finding]

    def _span(self, node: Any, line: int | None) -> tuple[int, int, int, int]:
        raise NotImplementedError

    def _symbol_of(self, node: Any) -> str:
        raise NotImplementedError

    def segment(self, node: Any, max_lines: int = 8) -> str:
        raise NotImplementedError

    def _tag(self, finding: Finding) -> None:
        """Per-context finishing touch (the tree contexts set the language)."""

    def report(
        self,
        spec: DetectorSpec,
        node: Any,
        message: str,
        *,
        line: int | None = None,
        title: str | None = None,
        severity: Severity | str | None = None,
        confidence: float = 1.0,
        metadata: dict[str, Any] | None = None,
        symbol: str | None = None,
        code: str | None = None,
        kind: str | None = None,
        taint_path: list[dict[str, Any]] | None = None,
    ) -> Finding:
        """Record a finding at ``node`` (or at ``line`` when node is None); ``kind`` and
        ``taint_path`` as in ``DetectorSpec.finding``."""
        if node is not None:
            start, col, end, end_col = self._span(node, line)
        else:
            start = line or 1
            col, end, end_col = 0, start, 0
        if code is not None:
            snippet = code
        elif node is not None:
            snippet = self.segment(node)
        else:
            snippet = self.lines[start - 1] if 0 < start <= len(self.lines) else ""
        settings = self.settings.get(spec.id)
        finding = spec.finding(
            severity=severity,
            configured=settings.severity if settings else None,
            message=message,
            path=self.path,
            line=start,
            column=col,
            end_line=end,
            end_column=end_col,
            symbol=self._symbol_of(node) if symbol is None else symbol,
            snippet=snippet,
            key=snippet,
            title=title,
            confidence=confidence,
            metadata=metadata,
            kind=kind,
            taint_path=taint_path,
        )
        self._tag(finding)
        self.findings.append(finding)
        return finding


@dataclass
class FileContext(ReportsFindings):
    path: str  # repository-relative, posix separators
    module: str  # dotted module name ("pkg.sub.mod"; "pkg" for pkg/__init__.py)
    source: str
    lines: list[str]  # source.splitlines(); line N is lines[N - 1]
    tree: ast.Module
    is_test: bool = False  # tests/, test_*.py, *_tests.py, conftest.py
    is_package_init: bool = False
    is_migration: bool = False  # under a migrations/ directory (kept, but usually generated)
    # alias -> fully qualified imported name, e.g. {"np": "numpy", "loads": "pickle.loads",
    # "sub": "subprocess"}; filled before the traversal from the module's import statements
    imports: dict[str, str] = field(default_factory=dict)
    settings: dict[str, DetectorSettings] = field(default_factory=dict)

    # --- scope, maintained by the traversal ---------------------------------------------------
    parents: list[ast.AST] = field(default_factory=list)  # ancestors of the current node, root first
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None  # innermost enclosing function
    class_: ast.ClassDef | None = None  # innermost enclosing class
    symbol: str = ""  # qualified name of the innermost enclosing def/class ("" at module level)
    loop_depth: int = 0  # enclosing for/while loops within the current function
    in_async: bool = False  # innermost enclosing function is async

    # --- filled by the traversal as it enters each def/class ----------------------------------
    # FunctionMetrics of every function/method (computed on entering the def, so present in
    # both visit and leave of a FunctionDef/AsyncFunctionDef), and the qualified name of every
    # def/class node ("pkg.mod.Class.method"). A def/class node itself is visited and left in its
    # *enclosing* scope: pass ``symbol=ctx.qualnames[node]`` to report on the def itself.
    metrics: dict[ast.AST, FunctionMetrics] = field(default_factory=dict)
    qualnames: dict[ast.AST, str] = field(default_factory=dict)
    # per-file scratch space shared by detectors, so that one analysis several detectors need
    # (a taint pass, a symbol table) is computed once per file: key it by a module-level name
    shared: dict[str, Any] = field(default_factory=dict)

    findings: list[Finding] = field(default_factory=list)

    # --- helpers ------------------------------------------------------------------------------
    def threshold(self, spec: DetectorSpec, name: str) -> Any:
        s = self.settings.get(spec.id)
        if s is not None and name in s.thresholds:
            return s.thresholds[name]
        return spec.thresholds[name]

    def def_symbol(self, node: ast.AST) -> str:
        """Qualified name of a def/class node, as the traversal names it ("pkg.mod.Class.method")."""
        known = self.qualnames.get(node)
        if known:
            return known
        name = getattr(node, "name", "<lambda>")
        prefix = self.symbol or self.module
        return f"{prefix}.{name}" if prefix else name

    def qualified_name(self, node: ast.AST) -> str | None:
        """Dotted name of a Name/Attribute expression with the first part resolved through the
        module's imports: ``sp.run`` with ``import subprocess as sp`` -> ``subprocess.run``;
        ``loads`` with ``from pickle import loads`` -> ``pickle.loads``. None when the
        expression is not a plain dotted name (calls, subscripts...)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.imports.get(node.id, node.id)
        parts.append(head)
        return ".".join(reversed(parts))

    def segment(self, node: ast.AST, max_lines: int = 8) -> str:
        start = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", start) or start
        end = min(end, start + max_lines - 1)
        return "\n".join(self.lines[start - 1 : end])

    def _span(self, node: ast.AST, line: int | None) -> tuple[int, int, int, int]:
        start = getattr(node, "lineno", line or 1)
        end = getattr(node, "end_lineno", start) or start
        return start, getattr(node, "col_offset", 0), end, getattr(node, "end_col_offset", 0) or 0

    def _symbol_of(self, node: ast.AST | None) -> str:
        return self.symbol
