"""Bug-risk detectors: code that is very likely wrong, or that hides errors.

All of them are ``NodeDetector``s fed by the shared traversal; the few that need to look inside a
construct (a ``finally`` block, a ``while True`` body) walk only that small subtree.
"""

from __future__ import annotations

import ast

from analysis.engine.context import FileContext
from analysis.engine.model import Category, Severity
from analysis.engine.registry import DetectorSpec, NodeDetector, register

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _is_ellipsis_or_pass(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str))
    )


# --------------------------------------------------------------------------------------------
_MUTABLE_CALLS = {
    "list",
    "dict",
    "set",
    "bytearray",
    "collections.defaultdict",
    "collections.OrderedDict",
    "collections.deque",
    "collections.Counter",
}


@register
class MutableDefaultArgument(NodeDetector):
    """A list/dict/set default is created once and shared by every call that omits the argument."""

    spec = DetectorSpec(
        id="mutable-default-argument",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Mutable default argument",
        description="A mutable default value (list, dict, set...) is evaluated once at definition time and "
        "shared between calls; mutations leak from one call to the next. Use None and create the value inside.",
        effort_minutes=5,
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        args = node.args
        if not args.defaults and not args.kw_defaults:
            return
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
        name = getattr(node, "name", "<lambda>")
        symbol = ctx.def_symbol(node) if name != "<lambda>" else ctx.symbol
        for arg, default in pairs:
            kind = self._mutable_kind(default, ctx)
            if kind:
                use = _default_use(node, arg.arg)
                ctx.report(
                    self.spec,
                    default,
                    f"Parameter '{arg.arg}' of '{name}' has a mutable default ({kind}); it is shared between calls"
                    + (" and this function changes or hands it out." if use == "mutated" else "."),
                    symbol=symbol,
                    confidence=_DEFAULT_USE_CONFIDENCE[use],
                    metadata={"parameter": arg.arg, "default_kind": kind, "use": use},
                )

    @staticmethod
    def _mutable_kind(node: ast.AST, ctx: FileContext) -> str | None:
        if isinstance(node, (ast.List, ast.ListComp)):
            return "list"
        if isinstance(node, (ast.Dict, ast.DictComp)):
            return "dict"
        if isinstance(node, (ast.Set, ast.SetComp)):
            return "set"
        if isinstance(node, ast.Call):
            qn = ctx.qualified_name(node.func)
            if qn in _MUTABLE_CALLS and (qn not in ("list", "dict", "set", "bytearray") or qn not in ctx.imports):
                return qn.rsplit(".", 1)[-1]
        return None


_MUTATORS = frozenset(
    {
        "append", "extend", "insert", "update", "add", "pop", "remove", "clear", "setdefault",
        "discard", "sort", "reverse", "popitem", "difference_update", "intersection_update",
        "symmetric_difference_update", "__setitem__",
    }
)  # fmt: skip
# the shared default is a bug when this function changes it or lets it out (a caller may);
# handed to another call it may be changed there; only read it is harmless
_DEFAULT_USE_CONFIDENCE = {"mutated": 1.0, "passed": 0.4, "read": 0.2}


def _default_use(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str) -> str:
    """How the body uses parameter ``name``: ``mutated`` (changed in place, returned, yielded or
    stored elsewhere), ``passed`` (an argument of a call) or ``read``."""

    def is_param(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Name) and node.id == name

    passed = False
    body = [func.body] if isinstance(func, ast.Lambda) else func.body
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and is_param(f.value) and f.attr in _MUTATORS:
                return "mutated"
            if any(is_param(a) or (isinstance(a, ast.Starred) and is_param(a.value)) for a in node.args) or any(
                is_param(k.value) for k in node.keywords
            ):
                passed = True
        elif isinstance(node, ast.Subscript) and is_param(node.value) and isinstance(node.ctx, ast.Store | ast.Del):
            return "mutated"
        elif isinstance(node, ast.AugAssign) and is_param(node.target):
            return "mutated"
        elif isinstance(node, ast.Return | ast.Yield | ast.YieldFrom) and is_param(node.value):
            return "mutated"
        elif isinstance(node, ast.Assign) and is_param(node.value):
            if any(not isinstance(t, ast.Name) for t in node.targets):
                return "mutated"  # stored in an attribute or a container: it outlives the call
    if isinstance(func, ast.Lambda) and is_param(func.body):
        return "mutated"
    return "passed" if passed else "read"


# --------------------------------------------------------------------------------------------
_GENERIC = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}


_BEST_EFFORT_CONFIDENCE = 0.3
# a lone call to one of these in the try body is best-effort cleanup: failing is acceptable
_CLEANUP_CALLS = frozenset(
    {
        "close", "shutdown", "remove", "unlink", "rmtree", "rmdir", "kill", "terminate", "cancel",
        "disconnect", "release", "stop", "delete", "join", "flush", "quit", "logout", "unregister",
        "cleanup", "clear", "detach", "wait",
    }
)  # fmt: skip
_CLEANUP_PREFIXES = ("close", "finish", "cleanup", "shutdown", "teardown", "release", "stop", "cancel", "disconnect")
_CLEANUP_FUNCTIONS = frozenset({"__del__", "__exit__", "__aexit__", "close", "cleanup", "shutdown", "teardown", "dispose"})


def _best_effort(ctx: FileContext) -> bool:
    """Whether the swallowing handler belongs to a best-effort idiom where ignoring the error is
    the intent: cleanup in ``__del__``/``close``, a lone cleanup call, an attempt made while
    already handling an error or in a ``finally``, or a loop's probe of alternatives (the handler
    acts as ``continue``)."""
    parents = ctx.parents
    if not parents or not isinstance(parents[-1], ast.Try | getattr(ast, "TryStar", ast.Try)):
        return False
    try_node = parents[-1]
    body = try_node.body  # type: ignore[attr-defined]
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        call: ast.expr = body[0].value
        if isinstance(call, ast.Await):
            call = call.value
        func = call.func if isinstance(call, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _CLEANUP_CALLS or name.startswith(_CLEANUP_PREFIXES):
            return True
    if len(parents) > 1 and isinstance(parents[-2], ast.For | ast.AsyncFor | ast.While):
        return True
    child: ast.AST = try_node
    for ancestor in reversed(parents[:-1]):
        if isinstance(ancestor, ast.ExceptHandler):
            return True
        if isinstance(ancestor, ast.Try) and child in ancestor.finalbody:
            return True
        if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef):
            return ancestor.name in _CLEANUP_FUNCTIONS
        child = ancestor
    return False


@register
class BareOrSwallowedExcept(NodeDetector):
    """``except:`` catches SystemExit/KeyboardInterrupt; ``except Exception: pass`` hides every error."""

    spec = DetectorSpec(
        id="bare-or-swallowed-except",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Bare or swallowed exception",
        description="A bare 'except:' also catches SystemExit and KeyboardInterrupt; 'except Exception: pass' "
        "silently discards every error. Catch the specific exceptions you expect, and log or re-raise the rest.",
        cwe="CWE-396",
        effort_minutes=10,
    )
    node_types = (ast.ExceptHandler,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.ExceptHandler)
        if node.type is None:
            # `except: <cleanup>; raise` re-raises everything: a legitimate cleanup idiom (also
            # when the re-raise is conditional: `if not shutting_down: raise`).
            if any(isinstance(s, ast.Raise) and s.exc is None for stmt in node.body for s in ast.walk(stmt)):
                return
            swallowed = all(_is_ellipsis_or_pass(s) for s in node.body)
            best_effort = swallowed and _best_effort(ctx)
            ctx.report(
                self.spec,
                node,
                "Bare 'except:' also catches SystemExit and KeyboardInterrupt"
                + ("; and the error is silently discarded." if swallowed else "; catch specific exceptions."),
                title="Bare except",
                confidence=_BEST_EFFORT_CONFIDENCE if best_effort else 1.0,
                metadata={"kind": "bare", "swallowed": swallowed, **({"best_effort": True} if best_effort else {})},
                code=ctx.segment(node, 2),
            )
            return
        if not all(_is_ellipsis_or_pass(s) for s in node.body):
            return
        types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        names = {ctx.qualified_name(t) for t in types}
        caught = sorted(n for n in names if n in _GENERIC)
        if caught:
            ctx.report(
                self.spec,
                node,
                f"'except {caught[0]}' with an empty body silently swallows every error.",
                title="Swallowed exception",
                confidence=_BEST_EFFORT_CONFIDENCE if _best_effort(ctx) else 0.8,
                metadata={"kind": "swallowed", "caught": caught[0]},
                code=ctx.segment(node, 2),
            )


# --------------------------------------------------------------------------------------------
_TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_BLOCK_HOLDERS: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.ExceptHandler,
    ast.match_case,
)
if hasattr(ast, "TryStar"):
    _BLOCK_HOLDERS = (*_BLOCK_HOLDERS, ast.TryStar)


@register
class UnreachableCode(NodeDetector):
    """Statements that follow a return/raise/continue/break in the same block never run."""

    spec = DetectorSpec(
        id="unreachable-code",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Unreachable code",
        description="Statements after return, raise, continue or break in the same block can never execute; "
        "they are either dead or a sign that the control flow is not what was intended.",
        cwe="CWE-561",
        effort_minutes=5,
    )
    node_types = _BLOCK_HOLDERS

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        for attr in ("body", "orelse", "finalbody"):
            block = getattr(node, attr, None)
            if isinstance(block, list) and len(block) > 1:
                self._check_block(block, node, ctx)

    def _check_block(self, block: list[ast.stmt], owner: ast.AST, ctx: FileContext) -> None:
        for index, stmt in enumerate(block[:-1]):
            if not isinstance(stmt, _TERMINATORS):
                continue
            rest = block[index + 1 :]
            # `raise NotImplementedError; yield` makes an abstract generator: intentional.
            if all(isinstance(s, ast.Expr) and isinstance(s.value, (ast.Yield, ast.YieldFrom)) for s in rest):
                return
            first = rest[0]
            symbol = ctx.def_symbol(owner) if isinstance(owner, (*_FUNCS, ast.ClassDef)) else ctx.symbol
            kind = type(stmt).__name__.lower()
            ctx.report(
                self.spec,
                first,
                f"This code follows a '{kind}' in the same block and can never run.",
                symbol=symbol,
                metadata={"after": kind, "statements": len(rest), "terminator_line": stmt.lineno},
            )
            return


# --------------------------------------------------------------------------------------------
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


@register
class ReturnOrBreakInFinally(NodeDetector):
    """``return``/``break``/``continue`` in ``finally`` silently cancels an in-flight exception."""

    spec = DetectorSpec(
        id="return-or-break-in-finally",
        category=Category.BUG_RISK,
        severity=Severity.HIGH,
        title="return/break/continue in finally",
        description="A return, break or continue inside a finally block discards any exception being "
        "propagated and overrides the try block's return value.",
        cwe="CWE-584",
        effort_minutes=10,
    )
    node_types = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        final = getattr(node, "finalbody", None)
        if not final:
            return
        stack: list[tuple[ast.AST, bool]] = [(s, False) for s in final if not isinstance(s, _SCOPES)]
        while stack:
            current, in_loop = stack.pop()
            if isinstance(current, ast.Return) or (isinstance(current, (ast.Break, ast.Continue)) and not in_loop):
                kind = type(current).__name__.lower()
                ctx.report(
                    self.spec,
                    current,
                    f"'{kind}' inside 'finally' discards any exception raised in the try block.",
                    metadata={"statement": kind},
                )
                continue
            for child in ast.iter_child_nodes(current):
                if isinstance(child, _SCOPES):
                    continue
                # break/continue in a loop nested inside finally belong to that loop.
                nested = in_loop or (isinstance(current, _LOOPS) and child in current.body)
                stack.append((child, nested))


# --------------------------------------------------------------------------------------------
@register
class ComparisonToSingleton(NodeDetector):
    """``x == None`` / ``x == True``: use ``is``, or the truth value itself."""

    spec = DetectorSpec(
        id="comparison-to-singleton",
        category=Category.BUG_RISK,
        severity=Severity.LOW,
        title="Comparison to None/True/False with ==",
        description="Comparing to None, True or False with == or != calls __eq__, which objects may override; "
        "use 'is None' / 'is not None', or test the truth value directly.",
        effort_minutes=2,
    )
    node_types = (ast.Compare,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Compare)
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                continue
            left, right = operands[i], operands[i + 1]
            const = right if _is_singleton(right) else left if _is_singleton(left) else None
            if const is None:
                continue
            other = left if const is right else right
            if self._expression_builder_context(other, ctx):
                return
            value = const.value  # type: ignore[attr-defined]
            symbol = "==" if isinstance(op, ast.Eq) else "!="
            if value is None:
                advice = "is None" if isinstance(op, ast.Eq) else "is not None"
            else:
                advice = "the truth value directly (or 'is')"
            ctx.report(
                self.spec,
                node,
                f"Comparison '{symbol} {value!r}'; use {advice}.",
                metadata={"operator": symbol, "singleton": repr(value)},
            )
            return

    @staticmethod
    def _expression_builder_context(other: ast.AST, ctx: FileContext) -> bool:
        # SQLAlchemy `Model.col == None`, pandas/numpy `df[c] == True` build expressions on
        # purpose: `==` is overloaded there and `is` would be wrong. They appear as call
        # arguments or subscripts, or operate on subscripts.
        if isinstance(other, ast.Subscript):
            return True
        for parent in reversed(ctx.parents):
            if isinstance(parent, (ast.Call, ast.Subscript, ast.keyword)):
                return True
            if isinstance(parent, (ast.stmt, ast.Lambda)):
                return False
        return False


def _is_singleton(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and (node.value is None or node.value is True or node.value is False)


# --------------------------------------------------------------------------------------------
@register
class AssertOnTuple(NodeDetector):
    """``assert (cond, "message")`` is always true."""

    spec = DetectorSpec(
        id="assert-on-tuple",
        category=Category.BUG_RISK,
        severity=Severity.HIGH,
        title="Assert on a tuple",
        description="Asserting a non-empty tuple always succeeds; the parentheses probably wrap the condition "
        "and the message by mistake.",
        cwe="CWE-571",
        effort_minutes=2,
    )
    node_types = (ast.Assert,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Assert)
        if isinstance(node.test, ast.Tuple) and node.test.elts:
            ctx.report(
                self.spec,
                node,
                "This assert tests a non-empty tuple and can never fail.",
                metadata={"elements": len(node.test.elts)},
            )


# --------------------------------------------------------------------------------------------
@register
class DuplicateDictKey(NodeDetector):
    """A constant key repeated in one dict literal: the first value is silently lost."""

    spec = DetectorSpec(
        id="duplicate-dict-key",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Duplicate key in dict literal",
        description="The same constant key appears twice in a dict literal; only the last value is kept.",
        cwe="CWE-462",
        effort_minutes=5,
    )
    node_types = (ast.Dict,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Dict)
        seen: dict[tuple[str, object], ast.Constant] = {}
        for key in node.keys:
            if key is None:  # `**other` may legitimately be overridden by later keys
                seen.clear()
                continue
            if not isinstance(key, ast.Constant):
                continue
            ident = (type(key.value).__name__, key.value)
            first = seen.get(ident)
            if first is None:
                seen[ident] = key
                continue
            ctx.report(
                self.spec,
                key,
                f"Key {key.value!r} is repeated in this dict literal (first at line {first.lineno}); the earlier value is lost.",
                metadata={"key": repr(key.value), "first_line": first.lineno},
            )


# --------------------------------------------------------------------------------------------
_PURE_DECORATORS = {
    "staticmethod",
    "classmethod",
    "property",
    "abc.abstractmethod",
    "functools.wraps",
    "functools.cache",
    "functools.lru_cache",
    "functools.cached_property",
}


@register
class RedefinedFunction(NodeDetector):
    """A function redefined in the same scope before the first definition was ever used."""

    spec = DetectorSpec(
        id="redefined-function",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Function redefined",
        description="A function (or method) is defined twice in the same scope and the first definition is "
        "never used in between: it is dead, and often a copy-paste slip (a test that never runs, a method "
        "that is silently replaced).",
        effort_minutes=10,
    )
    node_types = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)

    def start_file(self, ctx: FileContext) -> None:
        # (scope body, index of the first definition, index of the redefinition)
        self._candidates: list[tuple[list[ast.stmt], int, int]] = []

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        body = node.body  # type: ignore[attr-defined]
        last: dict[str, int] = {}
        for index, stmt in enumerate(body):
            if stmt.__class__ is not ast.FunctionDef and stmt.__class__ is not ast.AsyncFunctionDef:
                continue
            prev = last.get(stmt.name)
            last[stmt.name] = index
            if prev is not None and stmt.name != "_":
                self._candidates.append((body, prev, index))

    def end_file(self, ctx: FileContext) -> None:
        for body, i, j in self._candidates:
            first, second = body[i], body[j]
            if not (self._plain(first, ctx) and self._plain(second, ctx)):
                continue
            # Anything textually between the two definitions: the sibling statements and the
            # decorators of the second one (`@f.setter`, `@f.register`).
            if self._used(second.name, [*body[i + 1 : j], *second.decorator_list]):  # type: ignore[attr-defined]
                continue
            ctx.report(
                self.spec,
                second,
                f"'{second.name}' redefines the function defined at line {first.lineno}, which is never used in between.",  # type: ignore[attr-defined]
                symbol=ctx.def_symbol(second),
                metadata={"name": second.name, "first_line": first.lineno},  # type: ignore[attr-defined]
                code=f"def {second.name}",  # type: ignore[attr-defined]
            )

    @staticmethod
    def _used(name: str, nodes: list[ast.AST]) -> bool:
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Store):
                    return True
                if isinstance(node, ast.Attribute) and node.attr == name:
                    return True
        return False

    @staticmethod
    def _plain(func: ast.stmt, ctx: FileContext) -> bool:
        """True when no decorator could register or transform the function (overload, setters...)."""
        for deco in func.decorator_list:  # type: ignore[attr-defined]
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = ctx.qualified_name(target)
            if name is None or name not in _PURE_DECORATORS:
                return False
        return True


# --------------------------------------------------------------------------------------------
def _same_ref(a: ast.AST, b: ast.AST) -> bool:
    if isinstance(a, ast.Name) and isinstance(b, ast.Name):
        return a.id == b.id
    if isinstance(a, ast.Attribute) and isinstance(b, ast.Attribute):
        return a.attr == b.attr and _same_ref(a.value, b.value)
    return False


@register
class SelfAssignment(NodeDetector):
    """``x = x`` or ``self.a = self.a``: a no-op that usually hides a typo."""

    spec = DetectorSpec(
        id="self-assignment",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Variable assigned to itself",
        description="Assigning a name or attribute to itself has no effect; the intended right-hand side was "
        "probably another variable (a parameter, an attribute of another object).",
        effort_minutes=5,
    )
    node_types = (ast.Assign,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Assign)
        if len(node.targets) != 1:
            return
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            if len(target.elts) != len(value.elts) or not target.elts:
                return
            if not all(_same_ref(t, v) for t, v in zip(target.elts, value.elts, strict=True)):
                return
        elif not _same_ref(target, value):
            return
        is_name = isinstance(target, (ast.Name, ast.Tuple))
        if is_name:
            # `name = name` in a class body copies an outer binding into the class namespace
            # (also under `if sys.platform...`); at module level it is an explicit re-export.
            for parent in reversed(ctx.parents):
                if isinstance(parent, (ast.ClassDef, ast.Module)):
                    return
                if isinstance(parent, (*_FUNCS, ast.Lambda)):
                    break
        ctx.report(
            self.spec,
            node,
            f"'{ast.unparse(target)}' is assigned to itself; this has no effect.",
            # `obj.attr = obj.attr` may deliberately re-run a property setter.
            confidence=1.0 if is_name else 0.7,
            metadata={"target": ast.unparse(target)},
        )


# --------------------------------------------------------------------------------------------
_BLOCKING = {
    "time.sleep": "asyncio.sleep",
    "requests.get": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.post": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.put": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.patch": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.delete": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.head": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.options": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "requests.request": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "urllib.request.urlopen": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "urllib2.urlopen": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "subprocess.run": "asyncio.create_subprocess_exec",
    "subprocess.call": "asyncio.create_subprocess_exec",
    "subprocess.check_call": "asyncio.create_subprocess_exec",
    "subprocess.check_output": "asyncio.create_subprocess_exec",
    "os.system": "asyncio.create_subprocess_shell",
    "open": "asyncio.to_thread, or an async file library",
}


@register
class BlockingCallInAsync(NodeDetector):
    """A blocking call inside ``async def`` stalls the whole event loop."""

    spec = DetectorSpec(
        id="blocking-call-in-async",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Blocking call in async function",
        description="Blocking I/O (time.sleep, requests, urlopen, subprocess, open) inside a coroutine blocks "
        "the event loop and every other task with it; use the async equivalent or run it in a thread.",
        effort_minutes=15,
    )
    node_types = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if not ctx.in_async:
            return
        name = ctx.qualified_name(node.func)
        if name not in _BLOCKING:
            return
        if name == "open" and "open" in ctx.imports:
            return
        # A lambda wrapped for run_in_executor/to_thread runs off the loop.
        for parent in reversed(ctx.parents):
            if isinstance(parent, ast.Lambda):
                return
            if isinstance(parent, _FUNCS):
                if not isinstance(parent, ast.AsyncFunctionDef):
                    return
                break
        is_open = name == "open"
        ctx.report(
            self.spec,
            node,
            f"Blocking call '{name}()' inside an async function blocks the event loop; use {_BLOCKING[name]}.",
            severity=Severity.LOW if is_open else None,
            confidence=0.6 if is_open else 0.9,
            metadata={"call": name},
        )


# --------------------------------------------------------------------------------------------
_EXIT_CALLS = {"sys.exit", "exit", "quit", "os._exit", "os.abort"}


_SERVICE_LOOP_CONFIDENCE = 0.3
_WAITING_CALLS = frozenset(
    {
        "get",
        "sleep",
        "wait",
        "accept",
        "recv",
        "recvfrom",
        "select",
        "poll",
        "read",
        "readline",
        "join",
        "serve_forever",
        "handle_request",
    }
)


def _waits(loop: ast.While) -> bool:
    """Whether the loop's own body (not nested functions) calls something that blocks."""
    for stmt in loop.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in _WAITING_CALLS:
                    return True
    return False


def _in_body(try_node: ast.Try, node: ast.AST) -> bool:
    return any(node is n for stmt in try_node.body for n in ast.walk(stmt))


@register
class InfiniteLoopWithoutExit(NodeDetector):
    """``while True`` whose body has no break, return, raise or exit call."""

    spec = DetectorSpec(
        id="infinite-loop-without-exit",
        category=Category.BUG_RISK,
        severity=Severity.MEDIUM,
        title="Infinite loop without exit",
        description="A 'while True' loop has no break, return, raise or exit call in its body, so it can only "
        "end through an unexpected exception; generators and coroutines that yield/await are not reported.",
        cwe="CWE-835",
        effort_minutes=15,
    )
    node_types = (ast.While,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.While)
        test = node.test
        if not (isinstance(test, ast.Constant) and test.value and not isinstance(test.value, str | bytes)):
            return
        if self._has_exit(node, ctx):
            return
        # A loop that waits each turn (a queue's get(), sleep, accept, select) or runs inside a
        # try that handles its stop (KeyboardInterrupt, a stop exception) is a service or worker
        # loop meant to last as long as its thread or process.
        service = _waits(node) or any(isinstance(p, ast.Try) and p.handlers and _in_body(p, node) for p in ctx.parents)
        ctx.report(
            self.spec,
            node,
            "This loop has no break, return, raise or exit call: it never terminates normally.",
            confidence=_SERVICE_LOOP_CONFIDENCE if service else 0.8,
            metadata={"service_loop": True} if service else {},
            code=ctx.segment(node, 1),
        )

    @staticmethod
    def _has_exit(loop: ast.While, ctx: FileContext) -> bool:
        stack: list[tuple[ast.AST, bool]] = [(s, False) for s in loop.body if not isinstance(s, _SCOPES)]
        while stack:
            current, nested_loop = stack.pop()
            if isinstance(current, (ast.Return, ast.Raise, ast.Yield, ast.YieldFrom, ast.Await)):
                return True
            if isinstance(current, ast.Break) and not nested_loop:
                return True
            if isinstance(current, ast.Call) and ctx.qualified_name(current.func) in _EXIT_CALLS:
                return True
            for child in ast.iter_child_nodes(current):
                if isinstance(child, _SCOPES):
                    continue
                inner = nested_loop or (isinstance(current, _LOOPS) and (child in current.body or child in current.orelse))
                stack.append((child, inner))
        return False


# --------------------------------------------------------------------------------------------
_DYNAMIC = {"locals", "vars", "eval", "exec"}


@register
class UnusedLocalVariable(NodeDetector):
    """A local variable assigned in a function and never read."""

    spec = DetectorSpec(
        id="unused-local-variable",
        category=Category.BUG_RISK,
        severity=Severity.LOW,
        title="Unused local variable",
        description="A local variable is assigned but never read: either dead code or a value that was meant "
        "to be used. Names starting with '_', tuple-unpacking targets, loop and with/except targets are not "
        "reported.",
        cwe="CWE-563",
        effort_minutes=5,
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Name, ast.Global, ast.Nonlocal, ast.Call)

    # No ``leave`` hook (it would be called for every Name): state is keyed by function node and
    # resolved in ``end_file``; closures are handled by propagating reads to enclosing functions.
    def start_file(self, ctx: FileContext) -> None:
        self._functions: list[ast.AST] = []
        self._outer: dict[ast.AST, ast.AST | None] = {}
        self._stores: dict[ast.AST, dict[str, ast.Name]] = {}
        self._reads: dict[ast.AST, set[str]] = {}
        self._declared: dict[ast.AST, set[str]] = {}
        self._dynamic: set[ast.AST] = set()

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        t = node.__class__
        function = ctx.function
        if t is ast.Name:
            if function is None:
                return
            if node.ctx.__class__ is not ast.Store:  # type: ignore[attr-defined]
                reads = self._reads.get(function)
                if reads is None:
                    reads = self._reads[function] = set()
                reads.add(node.id)  # type: ignore[attr-defined]
            else:
                self._store(node, function, ctx)  # type: ignore[arg-type]
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            # A def is visited in its enclosing scope: ctx.function is the outer function.
            self._functions.append(node)
            self._outer[node] = function
        elif t is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            if function is not None and func.__class__ is ast.Name and func.id in _DYNAMIC:
                self._dynamic.add(function)
        elif function is not None:  # Global / Nonlocal
            names = node.names  # type: ignore[attr-defined]
            self._declared.setdefault(function, set()).update(names)
            # `nonlocal x` in an inner function reads/writes the outer x.
            self._reads.setdefault(function, set()).update(names)

    def _store(self, node: ast.Name, function: ast.AST, ctx: FileContext) -> None:
        parent = ctx.parents[-1]
        if parent.__class__ is ast.AugAssign:
            self._reads.setdefault(function, set()).add(node.id)
            return
        if not self._plain_target(node, parent):
            return
        # The store must belong to the function itself, not to a class body nested in it.
        for ancestor in reversed(ctx.parents):
            if ancestor is function:
                break
            if isinstance(ancestor, (ast.ClassDef, ast.Lambda)):
                return
        self._stores.setdefault(function, {}).setdefault(node.id, node)

    @staticmethod
    def _plain_target(node: ast.Name, parent: ast.AST) -> bool:
        if isinstance(parent, ast.Assign):
            return any(t is node for t in parent.targets)
        if isinstance(parent, ast.AnnAssign):
            return parent.value is not None and parent.target is node
        if isinstance(parent, ast.NamedExpr):
            return parent.target is node
        return False

    def end_file(self, ctx: FileContext) -> None:
        # Inner functions first (definitions are recorded outer-first): their reads and
        # locals()/eval usage flow to every enclosing function.
        for function in reversed(self._functions):
            outer = self._outer.get(function)
            if outer is None:
                continue
            reads = self._reads.get(function)
            if reads:
                self._reads.setdefault(outer, set()).update(reads)
            if function in self._dynamic:
                self._dynamic.add(outer)
        for function in self._functions:
            stores = self._stores.get(function)
            if not stores or function in self._dynamic:
                continue
            reads = self._reads.get(function, set())
            declared = self._declared.get(function, set())
            symbol = ctx.def_symbol(function)
            for name, store in stores.items():
                if name in reads or name in declared or name.startswith("_"):
                    continue
                ctx.report(
                    self.spec,
                    store,
                    f"Local variable '{name}' is assigned but never used.",
                    symbol=symbol,
                    # tests often bind a value only to keep it alive or for readability
                    confidence=0.7 if ctx.is_test else 0.9,
                    metadata={"variable": name},
                    code=ctx.segment(store, 1),
                )
