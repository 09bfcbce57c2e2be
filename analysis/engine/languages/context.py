"""Per-file context handed to every ``TreeDetector`` during the tree-sitter traversal.

The front end (``frontend.py``) keeps the scope fields up to date while it walks; detectors read
them and call ``report``. ``ctx.metrics[node.id]`` holds the ``FunctionMetrics`` of a function
node in ``leave`` (metrics are complete only once the function's body was walked) and
``ctx.qualnames[node.id]`` the qualified name of each function/class node. Nodes are compared by
``node.id`` (every access to a child makes a new Python ``Node`` object).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analysis.engine.context import DetectorSettings, ReportsFindings
from analysis.engine.facts import FileFacts, FunctionMetrics
from analysis.engine.model import Finding
from analysis.engine.spec import DetectorSpec

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from analysis.engine.languages.spec import LanguageSpec


@dataclass
class TreeContext(ReportsFindings):
    path: str  # repository-relative, posix separators
    module: str  # the module id: the path itself for non-Python languages
    language: str  # FileFacts.language
    spec: LanguageSpec
    data: bytes  # the file's bytes (tree-sitter positions are byte offsets into them)
    lines: list[str]  # decoded source lines; line N is lines[N - 1]
    tree: Tree
    is_test: bool = False
    settings: dict[str, DetectorSettings] = field(default_factory=dict)
    # local binding -> what it was imported as: {"cp": "child_process", "exec": "child_process.exec",
    # "express": "express"} (default and namespace imports bind the module itself)
    imports: dict[str, str] = field(default_factory=dict)

    # --- scope, maintained by the traversal ---------------------------------------------------
    function: Node | None = None  # innermost enclosing function node
    class_: Node | None = None  # innermost enclosing class node
    symbol: str = ""  # qualified name of the innermost enclosing function/class ("" at top level)
    loop_depth: int = 0  # enclosing loops within the current function
    nesting: int = 0  # enclosing nesting blocks within the current function
    in_traversal: bool = False  # False while query matches are dispatched (after the walk)

    metrics: dict[int, FunctionMetrics] = field(default_factory=dict)  # function node id -> metrics
    qualnames: dict[int, str] = field(default_factory=dict)  # function/class node id -> qualname
    # (start_byte, end_byte, qualname) of every function/class, for ``symbol_at``
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    # the file's facts: complete (definitions, imports, names_used...) in ``match`` and ``end_file``
    facts: FileFacts | None = None
    shared: dict[str, Any] = field(default_factory=dict)  # per-file scratch space shared by detectors
    findings: list[Finding] = field(default_factory=list)

    # --- helpers ------------------------------------------------------------------------------
    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def threshold(self, spec: DetectorSpec, name: str) -> Any:
        """The configured threshold: ``[detectors.<id>.<language>]`` first, then
        ``[detectors.<id>]``, then the spec's default."""
        s = self.settings.get(spec.id)
        if s is not None:
            per_language = s.thresholds.get(self.language)
            if isinstance(per_language, dict) and name in per_language:
                return per_language[name]
            if name in s.thresholds:
                return s.thresholds[name]
        return spec.thresholds[name]

    def symbol_at(self, node: Node) -> str:
        """Qualified name of the innermost function/class containing ``node`` ("" at top level)."""
        if not self.spans:
            return ""
        if not isinstance(self.shared.get("_span_starts"), list):
            self.spans.sort(key=lambda s: (s[0], -s[1]))
            self.shared["_span_starts"] = [s[0] for s in self.spans]
        starts: list[int] = self.shared["_span_starts"]
        best = ""
        i = bisect.bisect_right(starts, node.start_byte)
        for start, end, qual in reversed(self.spans[:i]):
            if start <= node.start_byte and node.end_byte <= end:
                best = qual
                break
        return best

    def segment(self, node: Node, max_lines: int = 8) -> str:
        start = node.start_point[0] + 1
        end = min(node.end_point[0] + 1, start + max_lines - 1)
        return "\n".join(self.lines[start - 1 : end])

    def _span(self, node: Node, line: int | None) -> tuple[int, int, int, int]:
        return node.start_point[0] + 1, node.start_point[1], node.end_point[0] + 1, node.end_point[1]

    def _symbol_of(self, node: Node | None) -> str:
        return self.symbol if self.in_traversal or node is None else self.symbol_at(node)

    def _tag(self, finding: Finding) -> None:
        finding.language = self.language
