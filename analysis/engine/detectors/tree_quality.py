"""Quality detectors for every tree-sitter language, written against roles only (no node kind
names), so a new language gets them from its spec. Each reuses the spec — id, thresholds,
configuration — of the Python detector of the same check.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from analysis.engine.detectors.bugrisk import UnreachableCode
from analysis.engine.detectors.complexity import ParseError
from analysis.engine.detectors.design import (
    CLUMP_CONFIDENCE,
    FACADE_CONFIDENCE,
    WEAK_CLUMP_CONFIDENCE,
    DataClumps,
    GodClass,
    LargeFile,
)
from analysis.engine.detectors.docs import TodoComment
from analysis.engine.registry import TreeDetector, register

if TYPE_CHECKING:
    from tree_sitter import Node

    from analysis.engine.languages.context import TreeContext


@register
class TreeLargeFile(TreeDetector):
    """A file with too many lines of code (comment-only and blank lines excluded)."""

    spec = LargeFile.spec

    def end_file(self, ctx: TreeContext) -> None:
        limit = ctx.threshold(self.spec, "max_code_lines")
        code_lines = ctx.facts.code_lines if ctx.facts is not None else len(ctx.lines)
        if code_lines <= limit:
            return
        ctx.report(
            self.spec,
            None,
            f"This file has {code_lines} lines of code (limit {limit}).",
            line=1,
            symbol="",
            metadata={"code_lines": code_lines, "threshold": limit},
            code="",
        )


# share of a file's bytes inside ERROR nodes above which the file is reported as not parsing;
# below it tree-sitter's local recovery (an unknown macro, a newer syntax) loses little and the
# facts of the rest of the file are kept without a finding
MAX_UNPARSED_SHARE = 0.10


@register
class TreeParseError(TreeDetector):
    """A file tree-sitter could not make sense of: more than ``MAX_UNPARSED_SHARE`` of its bytes
    are in ERROR nodes. Facts and findings of the parts that parsed are kept either way."""

    spec = ParseError.spec

    def end_file(self, ctx: TreeContext) -> None:
        root = ctx.tree.root_node
        if not root.has_error or not ctx.data:
            return
        unparsed = 0
        first: Node | None = None
        stack = [root]
        while stack:
            node = stack.pop()
            if node.is_error:
                unparsed += node.end_byte - node.start_byte
                if first is None or node.start_byte < first.start_byte:
                    first = node
            elif node.has_error:
                stack.extend(node.children)
        share = unparsed / len(ctx.data)
        if share <= MAX_UNPARSED_SHARE or first is None:
            return
        ctx.report(
            self.spec,
            first,
            f"{round(100 * share)}% of the file does not parse as {ctx.language} (first error at line "
            f"{first.start_point[0] + 1}): findings and metrics cover the rest only.",
            title="File does not parse",
            symbol="",
            metadata={"unparsed_share": round(share, 3), "threshold": MAX_UNPARSED_SHARE},
        )


@register
class TreeTodoComment(TreeDetector):
    """TODO/FIXME/XXX/HACK comments."""

    spec = TodoComment.spec
    roles = ("comment",)

    def start_file(self, ctx: TreeContext) -> None:
        tags = tuple(ctx.threshold(self.spec, "tags"))
        ctx.shared["todo_pattern"] = re.compile(rf"\b({'|'.join(re.escape(t) for t in tags)})\b")
        ctx.shared["todo_tags"] = tuple(t.encode() for t in tags)

    def visit(self, node: Node, ctx: TreeContext) -> None:
        # most comments hold no tag at all: look for the bytes before decoding and matching words
        data, start, end = ctx.data, node.start_byte, node.end_byte
        for tag in ctx.shared["todo_tags"]:
            if data.find(tag, start, end) >= 0:
                break
        else:
            return
        text = ctx.text(node)
        match = ctx.shared["todo_pattern"].search(text)
        if match is None:
            return
        line = node.start_point[0] + text[: match.start()].count("\n")
        comment = ctx.lines[line].strip() if line < len(ctx.lines) else text
        ctx.report(
            self.spec,
            None,
            f"{match.group(1)} comment: {comment[:120]}",
            line=line + 1,
            metadata={"tag": match.group(1)},
            code=comment,
        )


@register
class TreeUnreachableCode(TreeDetector):
    """Statements after a return/throw/break/continue in the same block."""

    spec = UnreachableCode.spec
    roles = ("jump",)

    def __init__(self) -> None:
        self._compound: dict[str, frozenset[str]] = {}  # language -> its branch and loop kinds

    def visit(self, node: Node, ctx: TreeContext) -> None:
        compound = self._compound.get(ctx.language)
        if compound is None:
            compound = self._compound[ctx.language] = ctx.spec.kinds("branch") | ctx.spec.kinds("loop")
        parent = node.parent
        if parent is not None and parent.type in compound:
            return  # ``if (c) return x; else ...``: the jump is the branch itself, not in a block
        statements = ctx.spec.kinds("statement")
        hoisted = ctx.spec.kinds("function")  # a function declaration after a return still exists
        sibling = node.next_named_sibling
        while sibling is not None and (sibling.type not in statements or sibling.type in hoisted):
            sibling = sibling.next_named_sibling
        if sibling is None:
            return
        keyword = ctx.text(node).split(None, 1)[0].rstrip(";")
        ctx.report(
            self.spec,
            sibling,
            f"This code can never run: it follows a '{keyword}' in the same block.",
            metadata={"after": keyword},
        )


@register
class TreeDataClumps(TreeDetector):
    """The same group of parameters passed together to several functions of a file."""

    spec = DataClumps.spec

    def end_file(self, ctx: TreeContext) -> None:
        if ctx.facts is None:
            return
        min_params = int(ctx.threshold(self.spec, "min_parameters"))
        min_functions = int(ctx.threshold(self.spec, "min_functions"))
        groups: dict[tuple[str, ...], dict[str, int]] = {}
        params_of: dict[str, set[str]] = {}
        for d in ctx.facts.definitions:
            params = sorted({p for p in d.parameters if p.isidentifier()})
            if d.kind == "class" or len(params) < min_params or len(params) > 8:
                continue
            params_of.setdefault(d.name, set(params))
            for combo in itertools.combinations(params, min_params):
                # methods overriding one another have one signature: count a name once
                groups.setdefault(combo, {}).setdefault(d.name, d.line)
        reported: set[str] = set()
        for combo, members in sorted(groups.items(), key=lambda kv: min(kv[1].values())):
            if len(members) < min_functions:
                continue
            names = sorted(members, key=lambda n: members[n])
            key = ",".join(names)
            if key in reported:
                continue  # the same functions share a bigger group: one finding for them
            reported.add(key)
            group = ", ".join(combo)
            shared = set.intersection(*(params_of[n] for n in names))
            strong = len(shared) > min_params and len(members) > min_functions  # as in DataClumps
            ctx.report(
                self.spec,
                None,
                f"Parameters ({group}) are passed together to {len(members)} functions: {', '.join(names[:6])}"
                + ("..." if len(names) > 6 else "")
                + "; consider grouping them in one object.",
                line=members[names[0]],
                symbol="",
                confidence=CLUMP_CONFIDENCE if strong else WEAK_CLUMP_CONFIDENCE,
                metadata={
                    "parameters": list(combo),
                    "functions": names,
                    "count": len(members),
                    "thresholds": {"min_parameters": min_params, "min_functions": min_functions},
                },
                code=f"data clump ({group})",
            )


@register
class TreeGodClass(TreeDetector):
    """A large and complex class: many methods or lines, and a high weighted method complexity
    (the sum of its methods' cyclomatic complexity). The tree-sitter version has no cohesion
    (LCOM4) figure, so ``min_lcom4`` does not apply."""

    spec = GodClass.spec
    leave_roles = ("class",)

    def leave(self, node: Node, ctx: TreeContext) -> None:
        if ctx.facts is None or ctx.is_test:
            return
        qual = ctx.qualnames.get(node.id)
        if qual is None:
            return
        prefix = qual + "."
        methods = [
            d
            for d in ctx.facts.definitions
            if d.kind == "method" and d.qualname.startswith(prefix) and "." not in d.qualname[len(prefix) :]
        ]
        wmc = sum(d.metrics.cyclomatic for d in methods if d.metrics is not None)
        lines = node.end_point[0] - node.start_point[0] + 1
        max_methods = int(ctx.threshold(self.spec, "max_methods"))
        max_lines = int(ctx.threshold(self.spec, "max_lines"))
        max_wmc = int(ctx.threshold(self.spec, "max_wmc"))
        if wmc <= max_wmc or (len(methods) <= max_methods and lines <= max_lines):
            return
        name = qual.rsplit(".", 1)[-1]
        ctx.report(
            self.spec,
            node,
            f"Class {name} has {len(methods)} methods, {lines} lines and a weighted method complexity of {wmc}.",
            symbol=qual,
            code=ctx.lines[node.start_point[0]].strip() if node.start_point[0] < len(ctx.lines) else name,
            # without a cohesion figure, size alone is weaker evidence (a UI controller is big)
            confidence=FACADE_CONFIDENCE,
            metadata={"methods": len(methods), "lines": lines, "wmc": wmc},
        )
