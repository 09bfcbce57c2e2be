"""A small intra-procedural taint pass shared by the security detectors.

It runs inside the shared traversal: taint-aware detectors subscribe to ``TRACKED_NODES`` and
hand each such node to ``TaintState.observe``; the state is shared by every detector of the
same file (the first detector to see a node updates it, the others skip it), so the pass costs
one evaluation per assignment whatever the number of detectors. Because the traversal is
pre-order and in source order, the bindings made before a sink are known when the sink's call
is visited.

Per function (and for the module body) the state maps names and dotted names (``self.sql``) to
an ``Info``: where the value may come from (``taint``), whether it is a compile-time constant,
whether it is a string built by formatting with non-constant parts, and whether it went through
a sanitiser. Assignments inside a branch or a loop merge with the previous binding instead of
replacing it, which keeps the pass conservative without a control-flow graph.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from analysis.engine.context import FileContext

REQUEST = "request"
INPUT = "input"
ARGV = "argv"
ENVIRONMENT = "environment"

REQUEST_ATTRS = frozenset(
    {
        "GET", "POST", "data", "args", "form", "json", "values", "files", "FILES", "COOKIES",
        "cookies", "headers", "META", "query_params", "body", "get_json", "get_data", "stream",
        "query_string", "path", "path_info", "full_path", "get_full_path", "url", "view_args",
        "environ", "raw_post_data",
    }
)
REQUEST_NAMES = frozenset({"request", "req"})
WEB_REQUEST_OBJECTS = frozenset({"flask.request", "quart.request", "bottle.request", "sanic.request"})
SOURCE_CALLS = {
    "input": (INPUT, "input()"),
    "raw_input": (INPUT, "raw_input()"),
    "builtins.input": (INPUT, "input()"),
    "os.getenv": (ENVIRONMENT, "os.getenv"),
    "os.environ.get": (ENVIRONMENT, "os.environ"),
    "os.getenvb": (ENVIRONMENT, "os.getenvb"),
}
SOURCE_ATTRIBUTES = {
    "sys.argv": (ARGV, "sys.argv"),
    "os.environ": (ENVIRONMENT, "os.environ"),
    "os.environb": (ENVIRONMENT, "os.environb"),
}
# Calls whose result no longer carries attacker-controlled text in a dangerous shape. Matched
# on the last component of the called name so that ``os.path.basename`` and ``basename`` agree.
SANITIZERS = frozenset(
    {
        "int", "float", "bool", "len", "abs", "round", "hash", "ord", "basename", "safe_join",
        "secure_filename", "get_valid_filename", "quote", "quote_plus", "escape",
        "conditional_escape", "escape_uri_path", "quote_name", "UUID", "uuid4", "urlencode",
        "isdigit", "isnumeric", "format_html", "json_script", "slugify", "iri_to_uri",
    }
)
# Methods of str (and bytes) whose result keeps the taint of the receiver.
_KEEPING_METHODS = frozenset(
    {
        "strip", "lstrip", "rstrip", "lower", "upper", "title", "replace", "split", "rsplit",
        "encode", "decode", "casefold", "capitalize", "splitlines", "partition", "rpartition",
        "removeprefix", "removesuffix", "zfill", "center", "ljust", "rjust", "expandtabs",
        "translate", "get", "getlist", "pop", "items", "values", "keys", "copy", "read",
        "readline", "readlines", "__getitem__",
    }
)
_BRANCHING = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.ExceptHandler, ast.Match, ast.match_case)
if hasattr(ast, "TryStar"):
    _BRANCHING = (*_BRANCHING, ast.TryStar)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

TRACKED_NODES: tuple[type[ast.AST], ...] = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.NamedExpr,
    ast.For,
    ast.AsyncFor,
)


@dataclass(frozen=True, slots=True)
class Taint:
    """Where a value may come from: ``kind`` is request/input/argv/environment."""

    kind: str
    source: str
    line: int

    def as_metadata(self) -> dict[str, object]:
        return {"taint_kind": self.kind, "taint_source": self.source, "taint_line": self.line}


class Info(NamedTuple):
    taint: Taint | None = None
    const: bool = False  # a literal, or built only from literals
    built: bool = False  # a string formatted/concatenated with non-constant parts
    safe: bool = False  # the result of a sanitiser (int(), quote_name(), basename()...)


CONST = Info(const=True)
UNKNOWN = Info()
SAFE = Info(safe=True)


def _fixed(info: Info) -> bool:
    return info.const or info.safe


def merge(a: Info, b: Info) -> Info:
    return Info(
        taint=a.taint or b.taint,
        const=a.const and b.const,
        built=a.built or b.built,
        safe=_fixed(a) and _fixed(b) and not (a.const and b.const),
    )


def _merge_all(infos: list[Info]) -> Info:
    if not infos:
        return CONST
    out = infos[0]
    for info in infos[1:]:
        out = merge(out, info)
    return out


def _is_str_literal(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))) or isinstance(node, ast.JoinedStr)


def dotted(node: ast.AST) -> str | None:
    """``self.sql`` -> "self.sql"; None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def terminal_name(func: ast.AST) -> str:
    kind = func.__class__
    if kind is ast.Attribute:
        return func.attr  # type: ignore[attr-defined]
    if kind is ast.Name:
        return func.id  # type: ignore[attr-defined]
    return ""


def call_terminal(func: ast.AST, ctx: FileContext) -> str:
    """Last component of the called name, seen through import aliases: ``lp`` with
    ``from pickle import loads as lp`` -> "loads". A cheap pre-filter before ``qualified_name``."""
    kind = func.__class__
    if kind is ast.Attribute:
        return func.attr  # type: ignore[attr-defined]
    if kind is ast.Name:
        name: str = func.id  # type: ignore[attr-defined]
        imported = ctx.imports.get(name)
        return imported.rpartition(".")[2] if imported else name
    return ""


_STATES: dict[int, TaintState] = {}


def state_for(ctx: FileContext) -> TaintState:
    """The taint state of this file, shared by every detector that asks for it."""
    state = _STATES.get(id(ctx))
    if state is None or state.ctx_ref() is not ctx:
        if len(_STATES) > 32:
            for key in [k for k, s in _STATES.items() if s.ctx_ref() is None]:
                del _STATES[key]
        state = TaintState(ctx)
        _STATES[id(ctx)] = state
    return state


def release(ctx: FileContext) -> None:
    """Forget the state of a finished file (called from the detectors' ``end_file``)."""
    state = _STATES.get(id(ctx))
    if state is not None and state.ctx_ref() is ctx:
        del _STATES[id(ctx)]


class TaintState:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx_ref = weakref.ref(ctx)
        self._scopes: dict[int, dict[str, Info]] = {0: {}}
        self._seen: set[int] = set()
        self._call_node: ast.AST | None = None
        self._call_name = ""
        self.observer: object | None = None  # the detector that feeds this state (see security.py)

    # --- shared per-node caches ---------------------------------------------------------------
    def call_name(self, node: ast.Call, ctx: FileContext) -> str:
        """Qualified name of the called expression, computed once per call for all detectors."""
        if node is not self._call_node:
            self._call_node = node
            self._call_name = ctx.qualified_name(node.func) or ""
        return self._call_name

    # --- bindings -----------------------------------------------------------------------------
    def observe(self, node: ast.AST, ctx: FileContext) -> None:
        key = id(node)
        if key in self._seen:
            return
        self._seen.add(key)
        kind = type(node)
        if kind is ast.Assign:
            info = self.info(node.value, ctx)  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                self._bind(target, info, ctx)
        elif kind is ast.AnnAssign or kind is ast.NamedExpr:
            if node.value is not None:  # type: ignore[attr-defined]
                self._bind(node.target, self.info(node.value, ctx), ctx)  # type: ignore[attr-defined]
        elif kind is ast.AugAssign:
            assert isinstance(node, ast.AugAssign)
            self._bind(node.target, self._binop(node.target, node.op, node.value, ctx), ctx)
        elif kind is ast.For or kind is ast.AsyncFor:
            self._bind(node.target, self.info(node.iter, ctx), ctx)  # type: ignore[attr-defined]
        elif kind in _FUNCTIONS:
            self._enter_function(node)  # type: ignore[arg-type]

    def _enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        scope = self._scopes.setdefault(id(node), {})
        params = [*node.args.posonlyargs, *node.args.args]
        if params and params[0].arg in ("self", "cls"):
            params = params[1:]
        every = [*params, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]
        for param in every:
            if param is not None:
                scope[param.arg] = UNKNOWN
        if not params or params[0].arg not in REQUEST_NAMES:
            return
        # A view: the arguments after ``request`` come from the URL.
        n_required = len(params) - len(node.args.defaults)
        for index, param in enumerate(params[1:], start=1):
            if index < n_required or param.arg in ("pk", "slug", "id", "filename", "path", "url"):
                scope[param.arg] = Info(taint=Taint(REQUEST, f"view argument '{param.arg}'", node.lineno))

    def _scope(self, ctx: FileContext) -> dict[str, Info]:
        fn = ctx.function
        key = 0 if fn is None else id(fn)
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = {}
        return scope

    def _strong(self, ctx: FileContext) -> bool:
        fn = ctx.function
        for parent in reversed(ctx.parents):
            if parent is fn:
                return True
            if isinstance(parent, _BRANCHING):
                return False
        return True

    def _bind(self, target: ast.AST, info: Info, ctx: FileContext) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            part = Info(taint=info.taint, const=info.const, safe=info.safe)
            for element in target.elts:
                self._bind(element, part, ctx)
            return
        if isinstance(target, ast.Starred):
            self._bind(target.value, info, ctx)
            return
        scope = self._scope(ctx)
        if isinstance(target, ast.Subscript):
            # d["k"] = tainted taints d; a clean item does not clean it
            name = dotted(target.value)
            if name is not None and info.taint is not None:
                scope[name] = merge(scope.get(name, UNKNOWN), Info(taint=info.taint))
            return
        name = dotted(target)
        if name is None:
            return
        if not self._strong(ctx):
            previous = self._lookup(name, ctx)
            if previous is not None:
                info = merge(previous, info)
        scope[name] = info

    def _lookup(self, name: str, ctx: FileContext) -> Info | None:
        fn = ctx.function
        if fn is not None:
            scope = self._scopes.get(id(fn))
            if scope is not None and name in scope:
                return scope[name]
            for parent in reversed(ctx.parents):
                if isinstance(parent, _FUNCTIONS) and parent is not fn:
                    scope = self._scopes.get(id(parent))
                    if scope is not None and name in scope:
                        return scope[name]
        return self._scopes[0].get(name)

    # --- evaluation ---------------------------------------------------------------------------
    def is_tainted(self, node: ast.AST, ctx: FileContext, kinds: frozenset[str] | None = None) -> Taint | None:
        taint = self.info(node, ctx).taint
        if taint is not None and (kinds is None or taint.kind in kinds):
            return taint
        return None

    def info(self, node: ast.AST, ctx: FileContext) -> Info:
        """What is known about the value of expression ``node`` at this point of the traversal."""
        kind = type(node)
        if kind is ast.Constant:
            return CONST
        if kind is ast.Name:
            return self._lookup(node.id, ctx) or UNKNOWN  # type: ignore[attr-defined]
        if kind is ast.Attribute:
            return self._attribute(node, ctx)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self._call(node, ctx)  # type: ignore[arg-type]
        if kind is ast.JoinedStr:
            parts = [self.info(v.value, ctx) for v in node.values if isinstance(v, ast.FormattedValue)]  # type: ignore[attr-defined]
            out = _merge_all(parts)
            return Info(taint=out.taint, const=out.const, built=any(p.built or not _fixed(p) for p in parts))
        if kind is ast.BinOp:
            return self._binop(node.left, node.op, node.right, ctx)  # type: ignore[attr-defined]
        if kind is ast.Subscript:
            base = self.info(node.value, ctx)  # type: ignore[attr-defined]
            index = self.info(node.slice, ctx)  # type: ignore[attr-defined]
            return Info(taint=base.taint, const=base.const and index.const, built=base.built)
        if kind is ast.IfExp:
            return merge(self.info(node.body, ctx), self.info(node.orelse, ctx))  # type: ignore[attr-defined]
        if kind is ast.BoolOp:
            return _merge_all([self.info(v, ctx) for v in node.values])  # type: ignore[attr-defined]
        if kind in (ast.Tuple, ast.List, ast.Set):
            return _merge_all([self.info(e, ctx) for e in node.elts])  # type: ignore[attr-defined]
        if kind is ast.Dict:
            return _merge_all([self.info(e, ctx) for e in (*node.keys, *node.values) if e is not None])  # type: ignore[attr-defined]
        if kind in (ast.Starred, ast.Await, ast.FormattedValue, ast.NamedExpr):
            return self.info(node.value, ctx)  # type: ignore[attr-defined]
        if kind is ast.UnaryOp:
            inner = self.info(node.operand, ctx)  # type: ignore[attr-defined]
            return Info(taint=inner.taint, const=inner.const, safe=not inner.const)
        if kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            parts = [self.info(node.elt, ctx)] + [self.info(g.iter, ctx) for g in node.generators]  # type: ignore[attr-defined]
            out = _merge_all(parts)
            return Info(taint=out.taint, built=out.built)
        if kind is ast.DictComp:
            parts = [self.info(node.value, ctx)] + [self.info(g.iter, ctx) for g in node.generators]  # type: ignore[attr-defined]
            return Info(taint=_merge_all(parts).taint)
        if kind is ast.Compare:
            return SAFE
        return UNKNOWN

    def _binop(self, left: ast.AST, op: ast.operator, right: ast.AST, ctx: FileContext) -> Info:
        a = self.info(left, ctx)
        b = self.info(right, ctx)
        out = merge(a, b)
        if isinstance(op, (ast.Add, ast.Mod)) and not out.const:
            stringy = _is_str_literal(left) or a.built or (isinstance(op, ast.Add) and (_is_str_literal(right) or b.built))
            if stringy and not (_fixed(a) and _fixed(b)):
                return Info(taint=out.taint, built=True)
        return out

    def _attribute(self, node: ast.Attribute, ctx: FileContext) -> Info:
        taint = self._attribute_source(node, ctx)
        if taint is not None:
            return Info(taint=taint)
        name = dotted(node)
        if name is not None:
            known = self._lookup(name, ctx)
            if known is not None:
                return known
        base = self.info(node.value, ctx)
        return Info(taint=base.taint) if base.taint is not None else UNKNOWN

    def _attribute_source(self, node: ast.Attribute, ctx: FileContext) -> Taint | None:
        attr = node.attr
        if attr in REQUEST_ATTRS:
            base = node.value
            if isinstance(base, ast.Name) and base.id in REQUEST_NAMES:
                imported = ctx.imports.get(base.id)
                if imported is None or imported in WEB_REQUEST_OBJECTS:
                    return Taint(REQUEST, f"request.{attr}", node.lineno)
            elif isinstance(base, ast.Attribute) and base.attr in REQUEST_NAMES and isinstance(base.value, ast.Name) and base.value.id == "self":
                return Taint(REQUEST, f"self.request.{attr}", node.lineno)
            elif ctx.qualified_name(base) in WEB_REQUEST_OBJECTS:
                return Taint(REQUEST, f"request.{attr}", node.lineno)
        if attr in ("argv", "environ", "environb"):
            hit = SOURCE_ATTRIBUTES.get(ctx.qualified_name(node) or "")
            if hit is not None:
                return Taint(hit[0], hit[1], node.lineno)
        return None

    def _call(self, node: ast.Call, ctx: FileContext) -> Info:
        func = node.func
        last = call_terminal(func, ctx)
        if last in SANITIZERS:
            return SAFE
        if last in ("input", "raw_input", "getenv", "getenvb", "get"):
            hit = SOURCE_CALLS.get(ctx.qualified_name(func) or "")
            if hit is not None:
                return Info(taint=Taint(hit[0], hit[1], node.lineno))
        args = [self.info(a, ctx) for a in node.args]
        args += [self.info(k.value, ctx) for k in node.keywords]
        arg_info = _merge_all(args)
        if isinstance(func, ast.Attribute):
            receiver = self.info(func.value, ctx)
            if last == "format" or (last == "join" and _is_str_literal(func.value)):
                both = merge(receiver, arg_info)
                if both.const:
                    return CONST
                return Info(taint=both.taint, built=not _fixed(both) or both.built)
            if receiver.taint is not None:
                return Info(taint=receiver.taint, built=receiver.built and last in _KEEPING_METHODS)
            if last in _KEEPING_METHODS and receiver.built:
                return Info(taint=arg_info.taint, built=True)
        elif isinstance(func, ast.Name) and last in ("str", "bytes", "repr") and len(node.args) == 1:
            return args[0]
        return Info(taint=arg_info.taint)
