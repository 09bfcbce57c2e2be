"""Clone windows: the per-file half of duplicate-code detection, run in the worker.

Normalisation has to be nearly free (it runs on every file), so it works on bytes in C: one
``bytes.translate`` deletes every identifier character, digit and blank, leaving each line's
*skeleton* of operators, brackets and quotes (``self.x = f(a, 1)`` -> ``.=(,)``). Identifiers and
literals thus all normalise away (type-2 clones) while the structure stays; the statement's AST
node type (taken from the tree without walking expressions) restores the keywords. On Django
that costs ~0.08 s for 159k lines, against ~1.4 s for hashing AST node types per statement and
~2.4 s for regular-expression token normalisation.

Every statement contributes its header: a simple statement's whole text, the ``if``/``for``/
``def``... lines of a compound one (its body follows as statements of its own). Statements that
make trivial clones (imports, docstrings, ``pass``, plain ``self.x = x`` assignments and returns)
are left out of the stream.

A window starts at every statement and extends over the following ones until its weight
(about two tokens per skeleton character) reaches ``MIN_TOKENS``; its hash is the hash of its
statements' hashes. Windows are content defined (formatting does not move them), so two copies of
the same code produce the same run of window hashes, which ``detectors/duplication.py`` matches
across files and merges into maximal clone regions of at least six lines.

Hashes are built from integers only (CRC-32, then tuples of ints): Python's ``hash`` of int
tuples is not randomised per process, so windows computed in different worker processes are
comparable.
"""

from __future__ import annotations

import ast
import string
import zlib

MIN_TOKENS = 60

_DROP = (string.ascii_letters + string.digits + "_ \t\r\f\\").encode()


def skeleton_lines(source: str) -> list[bytes]:
    """Each line with identifiers, numbers and blanks removed."""
    return source.encode("utf-8", "surrogatepass").translate(None, _DROP).split(b"\n")


_TYPE_ID: dict[type, int] = {
    cls: i + 1
    for i, cls in enumerate(
        sorted((c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.stmt)), key=lambda c: c.__name__)
    )
}
_TYPE_ID[ast.ExceptHandler] = len(_TYPE_ID) + 1
_TYPE_ID[ast.match_case] = len(_TYPE_ID) + 1

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
_BODIES: dict[type, tuple[str, ...]] = {
    cls: tuple(f for f in _BODY_FIELDS if f in getattr(cls, "_fields", ())) for cls in _HEADER_FIELDS
}
_DECORATED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_TRIVIAL = (ast.Import, ast.ImportFrom, ast.Pass, ast.Global, ast.Nonlocal, ast.Break, ast.Continue)
_SIMPLE_VALUES = (ast.Name, ast.Constant, ast.Attribute)
_TRIVIAL_TYPES = frozenset(_TRIVIAL)
_MAYBE_TRIVIAL = frozenset((ast.Expr, ast.Assign, ast.AnnAssign, ast.Return))


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


def _line(node: ast.AST) -> int:
    line = getattr(node, "lineno", None)
    return line if line is not None else getattr(getattr(node, "pattern", None), "lineno", 0)  # match_case


def _statements(body: list[ast.stmt], skel: list[bytes], out: list[tuple[int, int, int, int]]) -> None:
    """Flatten statements in source order into (hash, weight, start_line, header_end_line)."""
    stack: list[ast.AST] = list(reversed(body))
    last = len(skel)
    crc32 = zlib.crc32
    bodies = _BODIES
    trivial = _TRIVIAL_TYPES
    type_id = _TYPE_ID
    while stack:
        stmt = stack.pop()
        kind = type(stmt)
        fields = bodies.get(kind)
        children: list[ast.AST] = []
        if fields:
            for name in fields:
                value = getattr(stmt, name)
                if value:
                    children.extend(value)
        if kind not in trivial and not (kind in _MAYBE_TRIVIAL and _is_trivial(stmt)):
            start = _line(stmt)
            if children:
                end = max(start, _line(children[0]) - 1)
            else:
                end = getattr(stmt, "end_lineno", None) or start
            if 0 < start <= end <= last:
                if fields and kind in _DECORATED and stmt.decorator_list:  # type: ignore[attr-defined]
                    start = min(start, *(d.lineno for d in stmt.decorator_list))  # type: ignore[attr-defined]
                text = b"".join(skel[start - 1 : end]) if end > start else skel[start - 1]
                out.append((hash((type_id.get(kind, 0), crc32(text))), 2 * len(text) + 1, start, end))
        if children:
            stack.extend(reversed(children))


def clone_windows(tree: ast.Module, lines: list[str], min_tokens: int = MIN_TOKENS) -> list[tuple[int, int, int]]:
    """(hash, start_line, end_line) of every content-defined window of the file, in order."""
    skel = skeleton_lines("\n".join(lines))
    stmts: list[tuple[int, int, int, int]] = []
    _statements(tree.body, skel, stmts)
    return windows_from_units(stmts, min_tokens)


def windows_from_units(stmts: list[tuple[int, int, int, int]], min_tokens: int = MIN_TOKENS) -> list[tuple[int, int, int]]:
    """Windows over statement units ``(hash, weight, start_line, end_line)`` in source order
    (shared by the Python and the tree-sitter front ends)."""
    hashes = [st[0] for st in stmts]
    windows: list[tuple[int, int, int]] = []
    n = len(stmts)
    j = 0
    total = 0  # weight of stmts[i:j]
    for i in range(n):
        while j < n and total < min_tokens:
            total += stmts[j][1]
            j += 1
        if total < min_tokens:
            break
        # statements come in source order, so the last one ends the window
        windows.append((hash(tuple(hashes[i:j])), stmts[i][2], stmts[j - 1][3]))
        total -= stmts[i][1]
    return windows
