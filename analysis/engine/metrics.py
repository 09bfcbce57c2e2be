"""Per-function metrics, computed in one tight recursive pass over a function's body.

* **cyclomatic** — McCabe, counted exactly as radon's ``ComplexityVisitor`` does so that the
  figures can be compared with ``radon cc``: 1, plus 1 per ``if``/``elif``/conditional
  expression, per loop (+1 more for a loop ``else``), per ``except`` handler (+1 for a ``try``
  ``else``), per comprehension ``for`` and each of its ``if`` clauses, per extra operand of a
  boolean operator, per ``assert`` (whose test is not looked into, as radon does), and per
  ``match`` case except a wildcard/capture one. Nested functions and classes are not counted in
  the enclosing function (they get their own figures); lambdas are.
* **cognitive** — SonarSource's Cognitive Complexity (G. Ann Campbell, 2017): +1 for each
  ``if``, ``elif``, ``else``, conditional expression, loop (and loop ``else``), ``except``
  handler and ``match``, plus the current nesting level for those that nest (not ``elif`` /
  ``else``); +1 per sequence of like boolean operators. Nesting increases inside those
  structures and inside nested functions and lambdas, whose complexity counts towards the
  enclosing function as the specification says.
* **max_nesting** — deepest nesting of ``if``/loop/``try``/``with``/``match`` blocks in the
  function's own body (``elif`` does not nest).
* **statements** — statement nodes in the function's own body (a nested ``def`` counts as one).
* **lines** — ``end_lineno - lineno + 1``; **parameters** — excluding ``self``/``cls``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from analysis.engine.facts import FunctionMetrics

# Fields of each node type that may hold child nodes. ``ctx`` (Load/Store singletons) and the
# plain-value fields are left out so that walkers never have to test for non-nodes.
_SCALAR_FIELDS = frozenset({"ctx", "type_comment", "kind", "conversion", "is_async", "level", "lineno"})
_SCALAR_BY_TYPE: dict[type, frozenset[str]] = {
    ast.Constant: frozenset({"value"}),
    ast.Name: frozenset({"id"}),
    ast.Attribute: frozenset({"attr"}),
    ast.arg: frozenset({"arg"}),
    ast.keyword: frozenset({"arg"}),
    ast.alias: frozenset({"name", "asname"}),
    ast.FunctionDef: frozenset({"name"}),
    ast.AsyncFunctionDef: frozenset({"name"}),
    ast.ClassDef: frozenset({"name"}),
    ast.ImportFrom: frozenset({"module"}),
    ast.Global: frozenset({"names"}),
    ast.Nonlocal: frozenset({"names"}),
    ast.ExceptHandler: frozenset({"name"}),
    ast.MatchAs: frozenset({"name"}),
    ast.MatchStar: frozenset({"name"}),
    ast.MatchMapping: frozenset({"rest"}),
    ast.MatchSingleton: frozenset({"value"}),
    ast.MatchClass: frozenset({"kwd_attrs"}),
}
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(t: type) -> tuple[str, ...]:
    """Names of the fields of node type ``t`` that can contain child nodes (cached)."""
    fields = CHILD_FIELDS.get(t)
    if fields is None:
        skip = _SCALAR_FIELDS | _SCALAR_BY_TYPE.get(t, frozenset())
        fields = tuple(f for f in getattr(t, "_fields", ()) if f not in skip)
        CHILD_FIELDS[t] = fields
    return fields


_SELF_NAMES = frozenset({"self", "cls", "mcs", "mcls", "klass", "metacls"})


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, is_method: bool) -> int:
    a = node.args
    n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)
    if is_method:
        positional = a.posonlyargs or a.args
        if positional and positional[0].arg in _SELF_NAMES:
            n -= 1
    return n


class _Counter:
    __slots__ = ("cc", "cog", "max_depth", "stmts")

    def __init__(self) -> None:
        self.cc = 1
        self.cog = 0
        self.max_depth = 0
        self.stmts = 0


def all_subclasses(t: type) -> set[type]:
    """``t`` and every class derived from it, however indirectly."""
    out = {t}
    sub: type
    for sub in t.__subclasses__():
        out |= all_subclasses(sub)
    return out


_STMT_TYPES = frozenset(all_subclasses(ast.stmt))
# nodes that never contain anything the metrics count (and are not statements): not descended
_LEAVES = frozenset({ast.Name, ast.Constant, ast.alias})


def function_metrics(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool = False) -> FunctionMetrics:
    """Metrics of one function or method (see the module docstring for the definitions)."""
    c = _Counter()
    _block(node.body, c, 0, 0, True)
    end = node.end_lineno or node.lineno
    return FunctionMetrics(
        cyclomatic=c.cc,
        cognitive=c.cog,
        max_nesting=c.max_depth,
        statements=c.stmts,
        lines=end - node.lineno + 1,
        parameters=parameter_count(node, is_method),
    )


def _block(stmts: list[ast.stmt], c: _Counter, nest: int, depth: int, own: bool) -> None:
    for s in stmts:
        _node(s, c, nest, depth, own)


def _nested_block(stmts: list[ast.stmt], c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own and depth > c.max_depth:
        c.max_depth = depth
    for s in stmts:
        _node(s, c, nest, depth, own)


def _generic(node: ast.AST, c: _Counter, nest: int, depth: int, own: bool) -> None:
    t = node.__class__
    fields = CHILD_FIELDS.get(t)
    if fields is None:
        fields = child_fields(t)
    for name in fields:
        value = getattr(node, name)
        if value is None:
            continue
        if value.__class__ is list:
            for item in value:
                if item is not None and item.__class__ not in _LEAVES:
                    _node(item, c, nest, depth, own)
        elif value.__class__ not in _LEAVES:
            _node(value, c, nest, depth, own)


def _node(node: ast.AST, c: _Counter, nest: int, depth: int, own: bool) -> None:
    """``nest``: cognitive nesting level; ``depth``: block depth; ``own``: inside the measured
    function's own body (not a nested def/class), where cyclomatic and statements count."""
    t = node.__class__
    if own and t in _STMT_TYPES:
        c.stmts += 1
    handler = _HANDLERS.get(t)
    if handler is not None:
        handler(node, c, nest, depth, own)
        return
    fields = CHILD_FIELDS.get(t)
    if fields is None:
        fields = child_fields(t)
    for name in fields:
        value = getattr(node, name)
        if value is None:
            continue
        if value.__class__ is list:
            for item in value:
                if item is not None and item.__class__ not in _LEAVES:
                    _node(item, c, nest, depth, own)
        elif value.__class__ not in _LEAVES:
            _node(value, c, nest, depth, own)


def _if(node: ast.If, c: _Counter, nest: int, depth: int, own: bool, elif_: bool = False) -> None:
    if own:
        c.cc += 1
    c.cog += 1 if elif_ else 1 + nest
    _node(node.test, c, nest, depth, own)
    _nested_block(node.body, c, nest + 1, depth + 1, own)
    orelse = node.orelse
    if not orelse:
        return
    first = orelse[0]
    if len(orelse) == 1 and first.__class__ is ast.If and first.col_offset == node.col_offset:
        if own:
            c.stmts += 1
        _if(first, c, nest, depth, own, elif_=True)  # type: ignore[arg-type]
    else:
        c.cog += 1
        _nested_block(orelse, c, nest + 1, depth + 1, own)


def _ifexp(node: ast.IfExp, c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own:
        c.cc += 1
    c.cog += 1 + nest
    _node(node.test, c, nest, depth, own)
    _node(node.body, c, nest + 1, depth, own)
    _node(node.orelse, c, nest + 1, depth, own)


def _loop(node: ast.For | ast.AsyncFor | ast.While, c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own:
        c.cc += 1 + bool(node.orelse)
    c.cog += 1 + nest
    if node.__class__ is ast.While:
        _node(node.test, c, nest, depth, own)  # type: ignore[union-attr]
    else:
        _node(node.target, c, nest, depth, own)  # type: ignore[union-attr]
        _node(node.iter, c, nest, depth, own)  # type: ignore[union-attr]
    _nested_block(node.body, c, nest + 1, depth + 1, own)
    if node.orelse:
        c.cog += 1
        _nested_block(node.orelse, c, nest + 1, depth + 1, own)


def _try(node: ast.Try, c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own and node.__class__ is ast.Try:  # radon ignores try/except* blocks
        c.cc += len(node.handlers) + bool(node.orelse)
    _nested_block(node.body, c, nest, depth + 1, own)
    for h in node.handlers:
        c.cog += 1 + nest
        if h.type is not None:
            _node(h.type, c, nest, depth, own)
        _nested_block(h.body, c, nest + 1, depth + 1, own)
    if node.orelse:
        _nested_block(node.orelse, c, nest, depth + 1, own)
    if node.finalbody:
        _nested_block(node.finalbody, c, nest, depth + 1, own)


def _with(node: ast.With | ast.AsyncWith, c: _Counter, nest: int, depth: int, own: bool) -> None:
    for item in node.items:
        _node(item, c, nest, depth, own)
    _nested_block(node.body, c, nest, depth + 1, own)


def _match(node: ast.Match, c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own:
        wildcard = any(getattr(case.pattern, "pattern", False) is None for case in node.cases)
        c.cc += max(0, len(node.cases) - wildcard)
    c.cog += 1 + nest
    _node(node.subject, c, nest, depth, own)
    for case in node.cases:
        _node(case.pattern, c, nest, depth, own)
        if case.guard is not None:
            _node(case.guard, c, nest + 1, depth, own)
        _nested_block(case.body, c, nest + 1, depth + 1, own)


def _boolop(node: ast.BoolOp, c: _Counter, nest: int, depth: int, own: bool, counted: bool = True) -> None:
    if own:
        c.cc += len(node.values) - 1
    if counted:
        c.cog += 1
    op = node.op.__class__
    for value in node.values:
        if value.__class__ is ast.BoolOp and value.op.__class__ is op:  # type: ignore[attr-defined]
            _boolop(value, c, nest, depth, own, counted=False)  # type: ignore[arg-type]
        else:
            _node(value, c, nest, depth, own)


def _comprehension(node: ast.comprehension, c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own:
        c.cc += len(node.ifs) + 1
    _generic(node, c, nest, depth, own)


def _assert(node: ast.Assert, c: _Counter, nest: int, depth: int, own: bool) -> None:
    if own:
        c.cc += 1
    # radon does not look inside an assert; cognitive complexity does
    _node(node.test, c, nest, depth, False)
    if node.msg is not None:
        _node(node.msg, c, nest, depth, False)


def _nested_def(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, c: _Counter, nest: int, depth: int, own: bool
) -> None:
    # decorators, defaults and bases belong to the enclosing code for cognitive complexity,
    # but radon does not look at them; the body is a new function for both
    for d in node.decorator_list:
        _node(d, c, nest, depth, False)
    if node.__class__ is ast.ClassDef:
        for b in node.bases:  # type: ignore[union-attr]
            _node(b, c, nest, depth, False)
    else:
        _node(node.args, c, nest, depth, False)  # type: ignore[union-attr]
    _block(node.body, c, nest + 1, depth, False)


def _lambda(node: ast.Lambda, c: _Counter, nest: int, depth: int, own: bool) -> None:
    _node(node.args, c, nest, depth, own)
    _node(node.body, c, nest + 1, depth, own)


_HANDLERS: dict[type, Callable[..., None]] = {
    ast.If: _if,
    ast.IfExp: _ifexp,
    ast.For: _loop,
    ast.AsyncFor: _loop,
    ast.While: _loop,
    ast.Try: _try,
    ast.With: _with,
    ast.AsyncWith: _with,
    ast.Match: _match,
    ast.BoolOp: _boolop,
    ast.comprehension: _comprehension,
    ast.Assert: _assert,
    ast.FunctionDef: _nested_def,
    ast.AsyncFunctionDef: _nested_def,
    ast.ClassDef: _nested_def,
    ast.Lambda: _lambda,
}
if hasattr(ast, "TryStar"):
    _HANDLERS[ast.TryStar] = _try
