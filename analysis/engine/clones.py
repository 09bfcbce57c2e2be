"""Clone windows: the per-file half of duplicate-code detection, run in the worker.

Every statement is reduced to a normalised token stream: the AST node types of its header (its
whole text for simple statements; the test, target, arguments... for compound ones, whose bodies
follow as statements of their own), so identifiers become one token ``ID``, literals one ``LIT``
and keywords, operators and structure stay. Statements that make trivial clones (imports,
docstrings, ``pass``, plain ``self.x = x`` assignments) are left out of the stream.

A window starts at every statement and extends over the following ones until it holds
``MIN_TOKENS`` tokens; its hash is the hash of its statements' hashes. Windows are content
defined (formatting does not move them), so two copies of the same code produce the same run of
window hashes, which ``detectors/duplication.py`` matches across files and merges into maximal
clone regions of at least six lines.

Hashes are built from small integers only: Python's ``hash`` of int tuples is not randomised
per process, so windows computed in different worker processes are comparable.
"""

from __future__ import annotations

import ast

MIN_TOKENS = 50

_NODE_TYPES = sorted(
    (cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.AST)),
    key=lambda cls: cls.__name__,
)
_TYPE_ID: dict[type, int] = {cls: i + 1 for i, cls in enumerate(_NODE_TYPES)}

_HEADER_FIELDS: dict[type, tuple[str, ...]] = {
    ast.If: ("test",),
    ast.While: ("test",),
    ast.For: ("target", "iter"),
    ast.AsyncFor: ("target", "iter"),
    ast.With: ("items",),
    ast.AsyncWith: ("items",),
    ast.FunctionDef: ("args", "returns", "decorator_list"),
    ast.AsyncFunctionDef: ("args", "returns", "decorator_list"),
    ast.ClassDef: ("bases", "keywords", "decorator_list"),
    ast.Try: (),
    ast.ExceptHandler: ("type",),
    ast.Match: ("subject",),
    ast.match_case: ("pattern", "guard"),
}
if hasattr(ast, "TryStar"):
    _HEADER_FIELDS[ast.TryStar] = ()
_BODY_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")
_TRIVIAL = (ast.Import, ast.ImportFrom, ast.Pass, ast.Global, ast.Nonlocal, ast.Break, ast.Continue)
_SIMPLE_VALUES = (ast.Name, ast.Constant, ast.Attribute)


def _is_trivial(stmt: ast.AST) -> bool:
    if isinstance(stmt, _TRIVIAL):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)  # docstrings and bare literals
    if isinstance(stmt, ast.Assign):
        return isinstance(stmt.value, _SIMPLE_VALUES) and all(isinstance(t, (ast.Name, ast.Attribute)) for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is None or isinstance(stmt.value, _SIMPLE_VALUES)
    if isinstance(stmt, ast.Return):
        return stmt.value is None or isinstance(stmt.value, _SIMPLE_VALUES)
    return False


def _tokens(stmt: ast.AST) -> list[int]:
    type_id = _TYPE_ID
    fields = _HEADER_FIELDS.get(type(stmt))
    out = [type_id.get(type(stmt), 0)]
    if fields is None:
        roots: list[ast.AST] = [stmt]
        out.pop()
    else:
        roots = []
        for name in fields:
            value = getattr(stmt, name, None)
            if isinstance(value, list):
                roots.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                roots.append(value)
    for root in roots:
        out.extend(type_id.get(type(n), 0) for n in ast.walk(root))
    return out


def _statements(body: list[ast.stmt], out: list[tuple[int, int, int, int]]) -> None:
    """Flatten statements in source order into (hash, tokens, start_line, header_end_line)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        stmt = stack.pop()
        children: list[ast.AST] = []
        for name in _BODY_FIELDS:
            value = getattr(stmt, name, None)
            if value:
                children.extend(value)
        if not _is_trivial(stmt):
            tokens = _tokens(stmt)
            start = getattr(stmt, "lineno", 0)
            if children:
                first = getattr(children[0], "lineno", start + 1)
                end = max(start, first - 1)
            else:
                end = getattr(stmt, "end_lineno", start) or start
            if start:
                out.append((hash(tuple(tokens)), len(tokens), start, end))
        stack.extend(reversed(children))


def clone_windows(tree: ast.Module, lines: list[str], min_tokens: int = MIN_TOKENS) -> list[tuple[int, int, int]]:
    """(hash, start_line, end_line) of every content-defined window of the file, in order."""
    stmts: list[tuple[int, int, int, int]] = []
    _statements(tree.body, stmts)
    windows: list[tuple[int, int, int]] = []
    n = len(stmts)
    j = 0
    total = 0  # tokens in stmts[i:j]
    for i in range(n):
        while j < n and total < min_tokens:
            total += stmts[j][1]
            j += 1
        if total < min_tokens:
            break
        chunk = stmts[i:j]
        windows.append((hash(tuple(s[0] for s in chunk)), chunk[0][2], max(s[3] for s in chunk)))
        total -= stmts[i][1]
    return windows
