"""Complexity detectors for every tree-sitter language, fed by the per-function metrics the front
end computes while it walks (``languages/frontend.py``; for JavaScript/TypeScript the cyclomatic
figure is ESLint's ``complexity``). They share the spec — id, thresholds, configuration — of the
Python detector of the same name, and report once per function on its first line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from analysis.engine.detectors.complexity import (
    DeepNesting,
    HighCognitiveComplexity,
    HighCyclomaticComplexity,
    LongFunction,
    LongParameterList,
)
from analysis.engine.registry import TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext


class _TreeMetric(TreeDetector):
    leave_roles = ("function",)
    metric: ClassVar[str]
    threshold_name: ClassVar[str]
    what: ClassVar[str]

    limit: Any = None  # the file's threshold (set by ``start_file``: settings are per file)

    def start_file(self, ctx: TreeContext) -> None:
        self.limit = ctx.threshold(self.spec, self.threshold_name)

    def leave(self, node: Node, ctx: TreeContext) -> None:
        metrics = ctx.metrics.get(node.id)
        if metrics is None:
            return
        value = getattr(metrics, self.metric)
        limit = self.limit
        if value <= limit:
            return
        qual = ctx.qualnames.get(node.id, ctx.symbol)
        name = qual.rsplit(".", 1)[-1]
        line = node.start_point[0]
        ctx.report(
            self.spec,
            node,
            f"{name}() has {self.what} {value} (threshold {limit}).",
            symbol=qual,
            code=ctx.lines[line] if line < len(ctx.lines) else name,
            metadata={"value": value, "threshold": limit, "metric": self.metric},
        )


@register
class TreeHighCyclomaticComplexity(_TreeMetric):
    """A function with too many independent paths to test (for JavaScript/TypeScript counted
    as ESLint's ``complexity`` rule counts it)."""

    spec = HighCyclomaticComplexity.spec
    metric = "cyclomatic"
    threshold_name = HighCyclomaticComplexity.threshold_name
    what = "cyclomatic complexity"


@register
class TreeHighCognitiveComplexity(_TreeMetric):
    """A function that is hard to understand (SonarSource cognitive complexity)."""

    spec = HighCognitiveComplexity.spec
    metric = "cognitive"
    threshold_name = HighCognitiveComplexity.threshold_name
    what = "cognitive complexity"


@register
class TreeLongFunction(_TreeMetric):
    """A function longer than the threshold, in lines."""

    spec = LongFunction.spec
    metric = "lines"
    threshold_name = LongFunction.threshold_name
    what = "a length of"


@register
class TreeLongParameterList(_TreeMetric):
    """A function taking more parameters than the threshold."""

    spec = LongParameterList.spec
    metric = "parameters"
    threshold_name = LongParameterList.threshold_name
    what = "parameter count"


@register
class TreeDeepNesting(_TreeMetric):
    """A function whose control blocks nest deeper than the threshold."""

    spec = DeepNesting.spec
    metric = "max_nesting"
    threshold_name = DeepNesting.threshold_name
    what = "nesting depth"
