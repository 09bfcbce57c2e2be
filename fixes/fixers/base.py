"""The fixer protocol, the registry, unified diffs and libcst helpers shared by the rule-based fixers.

A fixer rewrites one file with libcst (a concrete syntax tree: formatting, comments and quoting of
everything it does not touch are kept byte for byte) and returns the new text; the caller turns
it into a unified diff. A fixer that cannot change the code safely returns None (it declines).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider


@dataclass(frozen=True)
class FindingRef:
    """What a fixer needs to know about a finding (a plain copy of the database row)."""

    detector: str
    path: str
    line: int
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    symbol: str = ""
    snippet: str = ""
    fingerprint: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class RuleFix:
    fixer_id: str
    title: str
    explanation: str
    confidence: float
    path: str
    new_source: str


class Fixer:
    """Base of the rule-based fixers: ``detectors`` it covers, ``fix`` the rewrite."""

    id: ClassVar[str]
    detectors: ClassVar[frozenset[str]]
    title: ClassVar[str]

    def applies_to(self, finding: FindingRef) -> bool:
        return finding.detector in self.detectors

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        raise NotImplementedError

    def result(self, finding: FindingRef, new_source: str, explanation: str, confidence: float) -> RuleFix:
        return RuleFix(self.id, self.title, explanation, confidence, finding.path, new_source)


_FIXERS: list[Fixer] = []


def register(cls: type[Fixer]) -> type[Fixer]:
    _FIXERS.append(cls())
    return cls


def all_fixers() -> list[Fixer]:
    import fixes.fixers.rules  # noqa: F401 - registers on import

    return list(_FIXERS)


def fixers_for(finding: FindingRef) -> list[Fixer]:
    return [f for f in all_fixers() if f.applies_to(finding)]


def covered_detectors() -> set[str]:
    return {d for f in all_fixers() for d in f.detectors}


def rule_fix(source: str, finding: FindingRef) -> RuleFix | None:
    """The first covering fixer's rewrite of ``source`` that changes it, or None."""
    for fixer in fixers_for(finding):
        try:
            result = fixer.fix(source, finding)
        except cst.ParserSyntaxError:
            return None
        if result is not None and result.new_source != source:
            return result
    return None


# --- diffs ---------------------------------------------------------------------------------------
def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(path: str, old: str, new: str, context: int = 3) -> str:
    """A git-style unified diff of one file (``git apply`` reads it)."""
    lines = list(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=context)
    )
    if not lines:
        return ""
    out = [f"diff --git a/{path} b/{path}\n"]
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --- libcst helpers ------------------------------------------------------------------------------
def char_column(source_line: str, byte_col: int) -> int:
    """The engine reports ``ast`` column offsets (UTF-8 bytes); libcst counts characters."""
    return len(source_line.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))


class _Locator(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, types: tuple[type[cst.CSTNode], ...]) -> None:
        self.types = types
        self.found: list[tuple[cst.CSTNode, CodeRange]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, self.types):
            self.found.append((node, self.get_metadata(PositionProvider, node)))
        return True


def parse(source: str) -> tuple[MetadataWrapper, cst.Module]:
    wrapper = MetadataWrapper(cst.parse_module(source))
    return wrapper, wrapper.module


def locate(
    wrapper: MetadataWrapper, source: str, finding: FindingRef, types: tuple[type[cst.CSTNode], ...], *, on_line: bool = True
) -> list[cst.CSTNode]:
    """Nodes of ``types`` starting where the finding starts: exact (line, column) matches first,
    then any on the finding's line (parentheses make ``ast`` and libcst starts differ)."""
    locator = _Locator(types)
    wrapper.visit(locator)
    lines = source.splitlines()
    text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    col = char_column(text, finding.column)
    exact = [n for n, r in locator.found if r.start.line == finding.line and r.start.column == col]
    if exact or not on_line:
        return exact
    return [n for n, r in locator.found if r.start.line == finding.line]


def positions(wrapper: MetadataWrapper, types: tuple[type[cst.CSTNode], ...]) -> list[tuple[cst.CSTNode, CodeRange]]:
    locator = _Locator(types)
    wrapper.visit(locator)
    return locator.found


class Replace(cst.CSTTransformer):
    """Replace given nodes (by identity) with new ones (or remove them with RemovalSentinel)."""

    def __init__(self, replacements: dict[int, Any]) -> None:
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if id(original_node) in self.replacements:
            new = self.replacements[id(original_node)]
            return new(updated_node) if callable(new) else new
        return updated_node


def replace(module: cst.Module, replacements: dict[int, Any]) -> str:
    return module.visit(Replace(replacements)).code


def remove_args(args: Iterable[cst.Arg], drop: set[int]) -> list[cst.Arg]:
    """``args`` without those at the ``drop`` indexes, keeping the separators right (the last
    remaining argument takes the comma, or trailing comma, of the last one)."""
    original = list(args)
    kept = [a for i, a in enumerate(original) if i not in drop]
    if not kept or (len(original) - 1) not in drop:
        return kept
    removed, last = original[-1], kept[-1]
    if (
        isinstance(removed.comma, cst.Comma)
        and isinstance(last.comma, cst.Comma)
        and isinstance(removed.comma.whitespace_after, cst.ParenthesizedWhitespace)
        and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace)
    ):
        # one argument per line with a trailing comma: keep the last line's own comment, take
        # the indentation of the closing parenthesis from the removed line (its comment goes with it)
        ws = last.comma.whitespace_after.with_changes(last_line=removed.comma.whitespace_after.last_line)
        kept[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=ws))
    else:
        kept[-1] = last.with_changes(comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg)
    return kept


def is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def has_top_level_import(module: cst.Module, name: str) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        if alias.asname is None and module.code_for_node(alias.name) == name:
                            return True
    return False


def ensure_import(module: cst.Module, name: str) -> cst.Module:
    """``module`` with ``import <name>`` at top level (after the docstring and __future__
    imports, before the first other import) unless it is already there."""
    if has_top_level_import(module, name):
        return module
    body = list(module.body)
    index = 0
    if body and is_docstring(body[0]):
        index = 1
    first_import = None
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
            small = stmt.body[0]
            if isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) and small.module.value == "__future__":
                index = i + 1
                continue
            first_import = i
            break
    new = cst.parse_statement(f"import {name}\n")
    if first_import is not None:
        index = max(index, first_import)
        # keep a run of plain `import x` lines sorted
        for i in range(first_import, len(body)):
            stmt = body[i]
            head: Any = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 else None
            if not isinstance(head, cst.Import) or (i > first_import and stmt.leading_lines):
                break
            if module.code_for_node(head.names[0].name) > name:
                break
            index = i + 1
        if index == first_import and body[index].leading_lines:
            new = new.with_changes(leading_lines=body[index].leading_lines)
            body[index] = body[index].with_changes(leading_lines=())
    body.insert(index, new)
    return module.with_changes(body=body)
