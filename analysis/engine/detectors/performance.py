"""Performance detectors: database queries, regex compilation and string building inside loops."""

from __future__ import annotations

import ast

from analysis.engine.context import FileContext
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, NodeDetector, register

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def repeating_loops(node: ast.AST, ctx: FileContext) -> list[ast.AST]:
    """The loops and comprehensions that evaluate ``node`` once per iteration, innermost first.

    Only parts that really repeat count: a for loop's body (not its iterable), a while loop's test
    and body, a comprehension's element and conditions and the iterables of its inner generators.
    The search stops at the enclosing function."""
    found: list[ast.AST] = []
    child = node
    for parent in reversed(ctx.parents):
        if isinstance(parent, _SCOPES):
            break
        if isinstance(parent, (ast.For, ast.AsyncFor)):
            if any(s is child for s in parent.body):
                found.append(parent)
        elif isinstance(parent, ast.While):
            if child is parent.test or any(s is child for s in parent.body):
                found.append(parent)
        elif isinstance(parent, ast.comprehension):
            if any(c is child for c in parent.ifs):
                found.append(parent)
            elif child is parent.iter:
                comp = _comprehension_owner(parent, ctx)
                if comp is not None and comp.generators[0] is not parent:
                    found.append(comp)
        elif isinstance(parent, _COMPS):
            if child is not parent and not isinstance(child, ast.comprehension):
                found.append(parent)
        child = parent
    return found


def repeating_loop(node: ast.AST, ctx: FileContext) -> ast.AST | None:
    """The innermost loop or comprehension that evaluates ``node`` once per iteration, or None."""
    loops = repeating_loops(node, ctx)
    return loops[0] if loops else None


def _comprehension_owner(
    gen: ast.comprehension, ctx: FileContext
) -> ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp | None:
    for parent in reversed(ctx.parents):
        if isinstance(parent, _COMPS) and any(g is gen for g in parent.generators):
            return parent
    return None


def _loop_word(loop: ast.AST) -> str:
    return "comprehension" if isinstance(loop, (*_COMPS, ast.comprehension)) else "loop"


# --------------------------------------------------------------------------------------------
_MANAGERS = {"objects", "_default_manager", "_base_manager"}
# Methods that run a query when called.
_EVALUATING = {
    "get", "count", "exists", "first", "last", "latest", "earliest", "create", "get_or_create",
    "update_or_create", "bulk_create", "bulk_update", "update", "delete", "aggregate", "in_bulk",
    "contains", "explain", "aget", "acount", "aexists", "afirst", "alast", "acreate", "aget_or_create",
    "aupdate_or_create", "aupdate", "adelete", "aaggregate", "ain_bulk", "abulk_create", "abulk_update",
    "iterator", "raw",
}  # fmt: skip
# Methods that return a lazy QuerySet: a query only when the result is consumed.
_LAZY = {
    "all", "filter", "exclude", "order_by", "values", "values_list", "annotate", "alias", "select_related",
    "prefetch_related", "distinct", "only", "defer", "using", "none", "reverse", "extra", "union",
    "intersection", "difference", "select_for_update", "dates", "datetimes",
}  # fmt: skip
_CONSUMERS = {"list", "tuple", "set", "len", "bool", "sorted", "sum", "any", "all", "dict", "frozenset", "next", "max", "min"}
_SQLALCHEMY = {"query", "execute", "scalar", "scalars", "get"}
_INSTANCE_WRITES = {"save", "delete", "refresh_from_db", "asave", "adelete", "arefresh_from_db"}


def _chain(node: ast.Call) -> list[ast.AST]:
    """Receiver chain of a call, outermost first: Model.objects.filter(x).count() ->
    [count-call, filter-call, objects-attribute, Model-name]."""
    out: list[ast.AST] = []
    current: ast.AST = node
    while True:
        out.append(current)
        if isinstance(current, ast.Call):
            current = current.func
            if isinstance(current, ast.Attribute):
                current = current.value
            else:
                return out
        elif isinstance(current, ast.Attribute):
            current = current.value
        else:
            return out


def _model_like(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id[:1].isupper() or node.id in ("model", "cls")
    if isinstance(node, ast.Attribute):
        return node.attr[:1].isupper() or node.attr == "model"
    return False


def _orm_methods(call: ast.Call) -> list[str] | None:
    """Method names called on a Django manager in this chain (``X.objects.a().b()`` -> [a, b])."""
    methods: list[str] = []
    current: ast.AST = call
    while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
        methods.append(current.func.attr)
        receiver = current.func.value
        if isinstance(receiver, ast.Attribute) and receiver.attr in _MANAGERS and _model_like(receiver.value):
            first = methods[-1]
            if first in _EVALUATING or first in _LAZY:
                return list(reversed(methods))
            return None
        current = receiver
    return None


def _is_session(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id.lower() in ("session", "db_session", "dbsession")
    if isinstance(node, ast.Attribute):
        return node.attr.lower() in ("session", "db_session")
    return False


@register
class QueryInLoop(NodeDetector):
    """A database query issued once per loop iteration (N+1 queries)."""

    spec = DetectorSpec(
        id="query-in-loop",
        category=Category.PERFORMANCE,
        severity=Severity.MEDIUM,
        title="Database query in loop",
        description="A Django ORM or SQLAlchemy query runs once per iteration of a loop or comprehension "
        "(the N+1 query problem); fetch everything in one query (filter(...__in=...), select_related, "
        "prefetch_related, bulk_create/bulk_update, joins) before the loop.",
        cwe="CWE-1073",
        effort_minutes=30,
    )
    node_types = (ast.Call,)

    def start_file(self, ctx: FileContext) -> None:
        self._covered: set[int] = set()

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        if id(node) in self._covered:
            return  # part of a chain already reported at its outermost call
        methods = _orm_methods(node)
        if methods is not None:
            if methods[-1] in _LAZY and not self._consumed(node, ctx):
                return
            kind = "Django ORM"
            what = ".".join(methods)
        elif func.attr in _SQLALCHEMY and _is_session(func.value):
            kind, what = "SQLAlchemy", f"session.{func.attr}"
        elif func.attr in _INSTANCE_WRITES and isinstance(func.value, ast.Name):
            loop = self._queryset_loop_over(func.value.id, ctx)
            if loop is None:
                return
            kind, what = "Django ORM", f"{func.value.id}.{func.attr}"
        else:
            return
        loop = repeating_loop(node, ctx)
        if loop is None:
            return
        self._covered.update(id(n) for n in _chain(node) if isinstance(n, ast.Call))
        ctx.report(
            self.spec,
            node,
            f"{kind} query ({what}) inside a {_loop_word(loop)}: one query per iteration.",
            metadata={"orm": kind, "call": what, "loop_line": getattr(loop, "lineno", None)},
        )

    @staticmethod
    def _consumed(node: ast.Call, ctx: FileContext) -> bool:
        """A lazy queryset is evaluated right here: iterated, or passed to list()/len()/bool()..."""
        if not ctx.parents:
            return False
        parent = ctx.parents[-1]
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is node:
            return True
        if isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name):
            return parent.func.id in _CONSUMERS
        if isinstance(parent, (ast.If, ast.While)) and parent.test is node:
            return True
        return False

    @staticmethod
    def _queryset_loop_over(name: str, ctx: FileContext) -> ast.AST | None:
        """The enclosing for loop binding ``name`` to the rows of a queryset, if any."""
        for parent in reversed(ctx.parents):
            if isinstance(parent, _SCOPES):
                return None
            if (
                isinstance(parent, (ast.For, ast.AsyncFor))
                and isinstance(parent.target, ast.Name)
                and parent.target.id == name
                and isinstance(parent.iter, ast.Call)
                and _orm_methods(parent.iter) is not None
            ):
                return parent
        return None


# --------------------------------------------------------------------------------------------
_RE_FUNCS = {"compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split"}


@register
class RegexCompileInLoop(NodeDetector):
    """A constant regular expression compiled (or looked up) on every iteration."""

    spec = DetectorSpec(
        id="regex-compile-in-loop",
        category=Category.PERFORMANCE,
        severity=Severity.LOW,
        title="Regex compiled in loop",
        description="re.compile/re.match/re.search... with a constant pattern inside a loop recompiles the "
        "pattern (or at best looks it up in re's small cache) on every iteration; compile it once at module "
        "level and reuse the compiled pattern.",
        effort_minutes=5,
    )
    node_types = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        # cheap filter first: this runs for every call in the project
        if func.__class__ is ast.Attribute:
            if func.attr not in _RE_FUNCS:  # type: ignore[attr-defined]
                return
        elif func.__class__ is not ast.Name or func.id not in ctx.imports:  # type: ignore[attr-defined]
            return
        name = ctx.qualified_name(func)
        if name is None or not name.startswith(("re.", "regex.")):
            return
        module, _, function = name.rpartition(".")
        if module not in ("re", "regex") or function not in _RE_FUNCS:
            return
        pattern = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "pattern"), None)
        if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str | bytes)):
            return
        loop = repeating_loop(node, ctx)
        if loop is None:
            return
        ctx.report(
            self.spec,
            node,
            f"{name}() with a constant pattern inside a {_loop_word(loop)}; compile the pattern once outside "
            "the loop and reuse it.",
            confidence=0.9 if function == "compile" else 0.7,
            metadata={
                "call": name,
                "pattern": pattern.value if isinstance(pattern.value, str) else repr(pattern.value),
                "loop_line": getattr(loop, "lineno", None),
            },
        )


# --------------------------------------------------------------------------------------------
def _stringy(node: ast.AST) -> bool:
    """An expression that is certainly a str/bytes."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _stringy(node.left) or (isinstance(node.op, ast.Add) and _stringy(node.right))
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "chr"):
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join") and _stringy(node.func.value):
            return True
    return False


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _leaves_block(node: ast.stmt, ctx: FileContext) -> bool:
    """A break/return/raise follows ``node`` in its block: it runs at most once per loop."""
    if not ctx.parents:
        return False
    parent = ctx.parents[-1]
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if not isinstance(block, list):
            continue
        for index, stmt in enumerate(block):
            if stmt is node:
                return any(isinstance(s, (ast.Break, ast.Return, ast.Raise)) for s in block[index + 1 :])
    return False


@register
class StringConcatInLoop(NodeDetector):
    """Building a string with ``+=`` inside a loop: quadratic copying."""

    spec = DetectorSpec(
        id="string-concat-in-loop",
        category=Category.PERFORMANCE,
        severity=Severity.LOW,
        title="String concatenation in loop",
        description="Appending to a string with += (or s = s + ...) across the iterations of a loop copies the "
        "whole string each time; collect the parts in a list and ''.join() them, or write to io.StringIO. A "
        "variable re-assigned in each iteration, or a concatenation followed by break/return, is not reported.",
        effort_minutes=10,
    )
    node_types = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)

    def start_file(self, ctx: FileContext) -> None:
        # (id of function or 0, name) -> (ids of the loops repeating the binding, bound to a str)
        self._bound: dict[tuple[int, str], tuple[frozenset[int], bool]] = {}
        self._reported: set[tuple[int, str]] = set()

    @staticmethod
    def _loops(node: ast.AST, ctx: FileContext) -> frozenset[int]:
        # statements outside any loop (the common case) need no parent scan
        if ctx.loop_depth == 0:
            return frozenset()
        return frozenset(id(loop) for loop in repeating_loops(node, ctx))

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        scope = id(ctx.function) if ctx.function is not None else 0
        if isinstance(node, (ast.For, ast.AsyncFor)):
            loops = self._loops(node, ctx) | {id(node)}
            for name in _target_names(node.target):
                self._bound[(scope, name)] = (loops, False)
            return
        if isinstance(node, ast.AnnAssign):
            if node.value is not None and isinstance(node.target, ast.Name):
                self._bound[(scope, node.target.id)] = (self._loops(node, ctx), _stringy(node.value))
            return
        if isinstance(node, ast.Assign):
            value = node.value
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if (
                    isinstance(value, ast.BinOp)
                    and isinstance(value.op, ast.Add)
                    and isinstance(value.left, ast.Name)
                    and value.left.id == name
                ):
                    self._check(node, name, value.right, scope, ctx)
                    return
            single = len(node.targets) == 1 and node.targets[0].__class__ is ast.Name
            stringy = single and _stringy(value)
            if ctx.loop_depth == 0 and not stringy:
                # outside loops a non-str binding only matters as the end of a str binding
                if self._bound:
                    for target in node.targets:
                        for name in _target_names(target):
                            self._bound.pop((scope, name), None)
                return
            loops = self._loops(node, ctx)
            for target in node.targets:
                for name in _target_names(target):
                    self._bound[(scope, name)] = (loops, stringy)
            return
        assert isinstance(node, ast.AugAssign)
        if isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
            self._check(node, node.target.id, node.value, scope, ctx)

    def _check(self, node: ast.stmt, name: str, added: ast.AST, scope: int, ctx: FileContext) -> None:
        key = (scope, name)
        if key in self._reported:
            return
        bound = self._bound.get(key)
        if not (_stringy(added) or (bound is not None and bound[1])):
            return
        loop = repeating_loop(node, ctx)
        if loop is None:
            return
        if bound is not None and id(loop) in bound[0]:
            return  # re-bound in every iteration: it does not grow across iterations
        if _leaves_block(node, ctx):
            return
        self._reported.add(key)
        ctx.report(
            self.spec,
            node,
            f"String '{name}' is built by concatenation inside a loop; append the parts to a list and join them once.",
            metadata={"variable": name, "loop_line": getattr(loop, "lineno", None)},
        )
