"""Complexity detectors, fed by the per-function metrics of the shared traversal
(``ctx.metrics``, see ``metrics.py`` for how each figure is counted), and ``parse-error``.

Each reports once per function, on the ``def`` line, with the measured value and the threshold
in the finding's metadata. A figure is reported when it is strictly above the threshold.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from analysis.engine.context import FileContext
from analysis.engine.facts import FunctionMetrics
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, NodeDetector, register

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


class _MetricDetector(NodeDetector):
    """Reports a function whose ``metric`` exceeds the ``threshold`` threshold."""

    node_types = _DEFS
    metric: ClassVar[str]
    threshold_name: ClassVar[str]
    what: ClassVar[str]

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        metrics: FunctionMetrics | None = ctx.metrics.get(node)
        if metrics is None:
            return
        value = getattr(metrics, self.metric)
        limit = ctx.threshold(self.spec, self.threshold_name)
        if value <= limit:
            return
        name = getattr(node, "name", "?")
        ctx.report(
            self.spec,
            node,
            f"{name}() has {self.what} {value} (threshold {limit}).",
            symbol=ctx.qualnames.get(node, ctx.symbol),
            code=ctx.lines[node.lineno - 1] if 0 < node.lineno <= len(ctx.lines) else name,  # type: ignore[attr-defined]
            metadata={"value": value, "threshold": limit, "metric": self.metric},
        )


@register
class HighCyclomaticComplexity(_MetricDetector):
    """A function with too many independent paths to test (McCabe, counted as radon does)."""

    spec = DetectorSpec(
        id="high-cyclomatic-complexity",
        category=Category.COMPLEXITY,
        severity=Severity.MEDIUM,
        title="High cyclomatic complexity",
        description="The function has more independent paths than the threshold: it is hard to "
        "test exhaustively. Split it into smaller functions.",
        effort_minutes=30,
        thresholds={"max_complexity": 15},
    )
    metric = "cyclomatic"
    threshold_name = "max_complexity"
    what = "cyclomatic complexity"


@register
class HighCognitiveComplexity(_MetricDetector):
    """A function that is hard to understand (SonarSource cognitive complexity)."""

    spec = DetectorSpec(
        id="high-cognitive-complexity",
        category=Category.COMPLEXITY,
        severity=Severity.MEDIUM,
        title="High cognitive complexity",
        description="Nested branches, loops and boolean logic make the function hard to follow "
        "(SonarSource cognitive complexity). Flatten it with early returns or extract helpers.",
        effort_minutes=30,
        thresholds={"max_complexity": 15},
    )
    metric = "cognitive"
    threshold_name = "max_complexity"
    what = "cognitive complexity"


@register
class LongFunction(_MetricDetector):
    """A function with too many lines."""

    spec = DetectorSpec(
        id="long-function",
        category=Category.COMPLEXITY,
        severity=Severity.LOW,
        title="Long function",
        description="The function spans more lines than the threshold; long functions usually do "
        "several things. Extract the parts into well-named helpers.",
        effort_minutes=20,
        thresholds={"max_lines": 100},
    )
    metric = "lines"
    threshold_name = "max_lines"
    what = "a length of"


@register
class LongParameterList(_MetricDetector):
    """A function with too many parameters (``self``/``cls`` not counted)."""

    spec = DetectorSpec(
        id="long-parameter-list",
        category=Category.COMPLEXITY,
        severity=Severity.LOW,
        title="Long parameter list",
        description="The function takes more parameters than the threshold. Group related "
        "parameters into an object or split the function.",
        effort_minutes=15,
        thresholds={"max_parameters": 7},
    )
    metric = "parameters"
    threshold_name = "max_parameters"
    what = "parameter count"


@register
class DeepNesting(_MetricDetector):
    """Blocks nested too deeply (if/for/while/try/with/match)."""

    spec = DetectorSpec(
        id="deep-nesting",
        category=Category.COMPLEXITY,
        severity=Severity.MEDIUM,
        title="Deeply nested code",
        description="Blocks are nested deeper than the threshold. Use guard clauses, early "
        "returns or helper functions to flatten the code.",
        effort_minutes=20,
        thresholds={"max_depth": 4},
    )
    metric = "max_nesting"
    threshold_name = "max_depth"
    what = "nesting depth"


@register
class ParseError(NodeDetector):
    """A file that does not parse as Python: reported by the worker, not by the traversal."""

    spec = DetectorSpec(
        id="parse-error",
        category=Category.BUG_RISK,
        severity=Severity.HIGH,
        title="File does not parse",
        description="The file is not valid Python for the analysing interpreter, so no other detector could look at it.",
        effort_minutes=10,
    )
    node_types = ()
