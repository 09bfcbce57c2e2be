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
import builtins
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from analysis.engine.visitor import dotted_name

if TYPE_CHECKING:
    from analysis.engine.context import FileContext

REQUEST = "request"
INPUT = "input"
ARGV = "argv"
ENVIRONMENT = "environment"

REQUEST_ATTRS = frozenset(
    {
        "GET",
        "POST",
        "data",
        "args",
        "form",
        "json",
        "values",
        "files",
        "FILES",
        "COOKIES",
        "cookies",
        "headers",
        "META",
        "query_params",
        "body",
        "get_json",
        "get_data",
        "stream",
        "query_string",
        "path",
        "path_info",
        "full_path",
        "get_full_path",
        "url",
        "view_args",
        "environ",
        "raw_post_data",
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
        "int",
        "float",
        "bool",
        "len",
        "abs",
        "round",
        "hash",
        "ord",
        "basename",
        "safe_join",
        "secure_filename",
        "get_valid_filename",
        "quote",
        "quote_plus",
        "escape",
        "conditional_escape",
        "escape_uri_path",
        "quote_name",
        "UUID",
        "uuid4",
        "urlencode",
        "isdigit",
        "isnumeric",
        "format_html",
        "json_script",
        "slugify",
        "iri_to_uri",
        # rendered templates are autoescaped; objects looked up by a request value are not it
        "render",
        "render_to_string",
        "get_object_or_404",
        "get_list_or_404",
    }
)
# A project's own escaping helper says what it does in its name (escape_sqlite, quote_identifier,
# sanitize_html, html_escape): its result is as safe as the library's.
SANITIZER_NAME = re.compile(
    r"^_?(escape|quote|sanitiz|sanitis)[a-z_]*$|^[a-z_]+_(escape|escaped|quote|quoted|sanitized|sanitised)$"
)


def is_sanitizer(last: str) -> bool:
    return last in SANITIZERS or SANITIZER_NAME.match(last) is not None


# Translations of literals are as trusted as the literals.
GETTEXT = frozenset(
    {
        "_",
        "gettext",
        "gettext_lazy",
        "ngettext",
        "ngettext_lazy",
        "pgettext",
        "pgettext_lazy",
        "npgettext",
        "npgettext_lazy",
        "ugettext",
        "ugettext_lazy",
        "gettext_noop",
        "_lazy",
    }
)
# Methods that look something up with their arguments: the result is not the argument.
_LOOKUP_METHODS = frozenset(
    {
        "get",
        "filter",
        "exclude",
        "get_or_create",
        "update_or_create",
        "exists",
        "count",
        "first",
        "last",
        "in_bulk",
        "has_key",
        "has_perm",
        "has_perms",
        "startswith",
        "endswith",
        "index",
        "find",
        "rfind",
        "match",
        "fullmatch",
        "search",
        "check_password",
        "is_valid",
        "__contains__",
    }
)
# Methods of str (and bytes) whose result keeps the taint of the receiver.
_KEEPING_METHODS = frozenset(
    {
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "title",
        "replace",
        "split",
        "rsplit",
        "encode",
        "decode",
        "casefold",
        "capitalize",
        "splitlines",
        "partition",
        "rpartition",
        "removeprefix",
        "removesuffix",
        "zfill",
        "center",
        "ljust",
        "rjust",
        "expandtabs",
        "translate",
        "get",
        "getlist",
        "pop",
        "items",
        "values",
        "keys",
        "copy",
        "read",
        "readline",
        "readlines",
        "__getitem__",
    }
)
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route", "websocket"})
_URL_PARAMETER = re.compile(
    r"^(?:pk|slug|id|uuid|name|filename|file_name|file|path|url|username|token|key|code|page|query|q|lang|next)$|_(?:id|pk|slug|uuid)$"
)
_BRANCHING: tuple[type[ast.AST], ...] = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Try,
    ast.ExceptHandler,
    ast.Match,
    ast.match_case,
)
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


# Sources an outside party controls over the network: only these make a vulnerability. Input,
# argv and the environment come from whoever runs the program (a CLI's --eval is its job).
REMOTE = frozenset({REQUEST})
# Symbolic origins, resolved across functions by ``interproc.py``: a parameter of the function
# (``source`` is its name, ``owner`` the function) and the return value of a call (``source``
# is the callee as written). They are not evidence by themselves.
PARAM = "param"
RETURN = "return"
SYMBOLIC = frozenset({PARAM, RETURN})
SUMMARY_KEY = "taint_summary"  # FileContext.shared / FileFacts.extra key of the per-file summary


@dataclass(frozen=True, slots=True)
class Taint:
    """Where a value may come from: ``kind`` is request/input/argv/environment; ``path`` is the
    file of the source and ``via`` the calls it went through, as (path, line, note) steps
    (filled by the inter-procedural pass)."""

    kind: str
    source: str
    line: int
    path: str = ""
    via: tuple[tuple[str, int, str], ...] = ()
    owner: str = ""  # PARAM: the qualified name of the function the parameter belongs to

    @property
    def remote(self) -> bool:
        return self.kind in REMOTE

    @property
    def symbolic(self) -> bool:
        return self.kind in SYMBOLIC

    def as_metadata(self) -> dict[str, object]:
        return {"taint_kind": self.kind, "taint_source": self.source, "taint_line": self.line}

    def steps(self, sink_path: str, sink_line: int, sink: str) -> list[dict[str, object]]:
        """The taint path of a finding: the source, the calls it went through, the sink."""
        out: list[dict[str, object]] = [{"path": self.path or sink_path, "line": self.line, "note": f"source: {self.source}"}]
        out += [{"path": p, "line": line, "note": note} for p, line, note in self.via]
        out.append({"path": sink_path, "line": sink_line, "note": f"sink: {sink}"})
        return out


class Info(NamedTuple):
    taint: Taint | None = None  # a source, or a symbolic origin (PARAM/RETURN)
    const: bool = False  # a literal, or built only from literals
    built: bool = False  # a string formatted/concatenated with non-constant parts
    safe: bool = False  # the result of a sanitiser (int(), quote_name(), basename()...)

    @property
    def evidence(self) -> Taint | None:
        """The source the value comes from, when one is known in this function."""
        taint = self.taint
        return taint if taint is not None and taint.kind not in SYMBOLIC else None


CONST = Info(const=True)
UNKNOWN = Info()
SAFE = Info(safe=True)


def _fixed(info: Info) -> bool:
    return info.const or info.safe


def _prefer(a: Taint | None, b: Taint | None) -> Taint | None:
    """A real source over a symbolic origin; else the first."""
    if a is None or (a.kind in SYMBOLIC and b is not None and b.kind not in SYMBOLIC):
        return b
    return a


def merge(a: Info, b: Info) -> Info:
    return Info(
        taint=_prefer(a.taint, b.taint),
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


_INDEX = ast.Constant(0)
_NUMERIC_OPS = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Pow)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _is_enumerate(value: ast.AST, target: ast.AST) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "enumerate"
        and len(value.args) >= 1
        and len(getattr(target, "elts", ())) == 2
    )


def _is_str_literal(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))) or isinstance(node, ast.JoinedStr)


dotted = dotted_name  # one implementation, shared with the traversal


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


_BUILTINS = frozenset(dir(builtins))


def _owner(ctx: FileContext) -> str:
    fn = ctx.function
    return ctx.qualnames.get(fn, "") if fn is not None else ctx.module


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


VALUE, PART, AUG, ITEM, FIXED = range(5)


class _Binding:
    """One assignment, evaluated lazily (most are never asked about) and at most once."""

    __slots__ = ("chain", "info", "kind", "op", "seq", "strong", "target", "value")

    def __init__(
        self,
        kind: int,
        target: ast.AST | None,
        value: ast.AST | None,
        op: ast.operator | None,
        seq: int,
        strong: bool,
        chain: tuple[dict[str, list[_Binding]], ...],
        info: Info | None = None,
    ) -> None:
        self.kind = kind
        self.target = target
        self.value = value
        self.op = op
        self.seq = seq
        self.strong = strong
        self.chain = chain
        self.info = info


Chain = tuple[dict[str, list[_Binding]], ...]


class TaintState:
    """Bindings of one file, per function scope, in traversal order.

    ``observe`` only records assignments (cheap); an assignment's value is evaluated the first
    time a sink asks about a name bound by it, as it was at that point of the function: each
    binding remembers its position (``seq``) and scope chain, and a name is resolved to the
    latest bindings before that position (back to the last one made outside a branch).
    """

    def __init__(self, ctx: FileContext) -> None:
        self.ctx_ref = weakref.ref(ctx)
        module: Chain = ({},)
        self._chains: dict[int, Chain] = {0: module}
        self._seq = 0
        self._env: tuple[Chain, int] = (module, 0)
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
        self._seq += 1
        kind = node.__class__
        if kind is ast.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                self._bind(target, VALUE, node.value, None, ctx)  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign or kind is ast.NamedExpr:
            if node.value is not None:  # type: ignore[attr-defined]
                self._bind(node.target, VALUE, node.value, None, ctx)  # type: ignore[attr-defined]
        elif kind is ast.AugAssign:
            self._bind(node.target, AUG, node.value, node.op, ctx)  # type: ignore[attr-defined]
        elif kind is ast.For or kind is ast.AsyncFor:
            self._bind(node.target, VALUE, node.iter, None, ctx)  # type: ignore[attr-defined]
        elif kind in _FUNCTIONS:
            self._enter_function(node, ctx)  # type: ignore[arg-type]

    # --- inter-procedural facts (see interproc.py) -----------------------------------------------
    def _summary(self, ctx: FileContext) -> dict[str, list[dict[str, object]]]:
        summary: dict[str, list[dict[str, object]]] = ctx.shared.setdefault(
            SUMMARY_KEY, {"sinks": [], "calls": [], "returns": []}
        )
        return summary

    def observe_call(self, node: ast.Call, ctx: FileContext) -> None:
        """Record a call of a function of the project (a plain name, ``self.x``, ``module.f``)
        that passes a source or a parameter of the caller: the inter-procedural pass follows it."""
        fn = ctx.function
        if fn is None or not (node.args or node.keywords):
            return
        callee = dotted(node.func)
        if callee is None:
            return
        head, _, rest = callee.partition(".")
        if rest and head not in ("self", "cls") and head not in ctx.imports:
            return  # a method of a local object: not resolvable without types
        last = callee.rpartition(".")[2]
        if (not rest and last in _BUILTINS) or is_sanitizer(last):
            return
        args: list[list[object]] = []
        for position, arg in [*enumerate(node.args), *((k.arg, k.value) for k in node.keywords if k.arg)]:
            if arg.__class__ in (ast.Constant, ast.Starred, ast.Lambda):
                continue
            origin = self.info(arg, ctx).taint
            if origin is None:
                continue
            args.append([position, origin.kind, origin.source, origin.line, origin.path, origin.owner])
        if args:
            self._summary(ctx)["calls"].append(
                {"caller": ctx.qualnames.get(fn, ""), "callee": callee, "line": node.lineno, "args": args}
            )

    def observe_return(self, node: ast.Return, ctx: FileContext) -> None:
        """Record a function that returns a source, or what another call returned."""
        fn = ctx.function
        if fn is None or node.value is None:
            return
        origin = self.info(node.value, ctx).taint
        if origin is None or origin.kind == PARAM:
            return
        self._summary(ctx)["returns"].append(
            {
                "fn": ctx.qualnames.get(fn, ""),
                "kind": origin.kind,
                "source": origin.source,
                "line": origin.line,
                "path": origin.path,
            }
        )

    def _route_parameters(self, node: ast.FunctionDef | ast.AsyncFunctionDef, params: list[ast.arg]) -> set[str]:
        """Parameters that carry request data: all of them for a function registered as a route
        (Flask/FastAPI-style decorators), URL-like ones after ``request`` for a Django view."""
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = dotted(target) or ""
            if name.rpartition(".")[2] in _ROUTE_DECORATORS and "." in name:
                return {p.arg for p in params if p.arg not in REQUEST_NAMES}
        if params and params[0].arg in REQUEST_NAMES:
            return {p.arg for p in params[1:] if _URL_PARAMETER.search(p.arg)}
        return set()

    def _enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext) -> None:
        # a def is visited in its enclosing scope, so the chain to extend is the current one
        chain: Chain = ({}, *self._chain(ctx))
        self._chains[id(node)] = chain
        scope = chain[0]
        seq = self._seq
        params = [*node.args.posonlyargs, *node.args.args]
        if params and params[0].arg in ("self", "cls"):
            params = params[1:]
        routed = self._route_parameters(node, [*params, *node.args.kwonlyargs])
        owner = ctx.qualnames.get(node, "")
        for param in [*params, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]:
            if param is None:
                continue
            if param.arg in routed:
                info = Info(taint=Taint(REQUEST, f"view argument '{param.arg}'", node.lineno, ctx.path))
            else:
                info = Info(taint=Taint(PARAM, param.arg, node.lineno, ctx.path, owner=owner))
            scope[param.arg] = [_Binding(FIXED, None, None, None, seq, True, chain, info)]

    def _chain(self, ctx: FileContext) -> Chain:
        fn = ctx.function
        if fn is None:
            return self._chains[0]
        chain = self._chains.get(id(fn))
        if chain is None:  # a def this state did not see being entered
            chain = self._chains[id(fn)] = ({}, *self._chains[0])
        return chain

    def _strong(self, ctx: FileContext) -> bool:
        fn = ctx.function
        for parent in reversed(ctx.parents):
            if parent is fn:
                return True
            if isinstance(parent, _BRANCHING):
                return False
        return True

    def _bind(self, target: ast.AST, kind: int, value: ast.AST, op: ast.operator | None, ctx: FileContext) -> None:
        tk = target.__class__
        if (tk is ast.Tuple or tk is ast.List) and kind == VALUE and _is_enumerate(value, target):
            # for i, item in enumerate(items): the index is an int, the item a part of items
            self._bind(target.elts[0], VALUE, _INDEX, None, ctx)  # type: ignore[attr-defined]
            self._bind(target.elts[1], PART, value.args[0], None, ctx)  # type: ignore[attr-defined]
            return
        if tk is ast.Tuple or tk is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self._bind(element, PART if kind == VALUE else kind, value, op, ctx)
            return
        if tk is ast.Starred:
            self._bind(target.value, kind, value, op, ctx)  # type: ignore[attr-defined]
            return
        strong = True
        if tk is ast.Subscript:
            # d["k"] = tainted taints d; a clean item does not clean it
            name = dotted(target.value)  # type: ignore[attr-defined]
            kind, strong = ITEM, False
        else:
            name = dotted(target)
            strong = self._strong(ctx)
        if name is None:
            return
        chain = self._chain(ctx)
        chain[0].setdefault(name, []).append(_Binding(kind, target, value, op, self._seq, strong, chain))

    def bound_value(self, name: str, ctx: FileContext) -> ast.AST | None:
        """The expression ``name`` was last bound to before this point of the traversal (in the
        current function or an enclosing scope), when one plain assignment made it; else None."""
        for scope in self._chain(ctx):
            bindings = [b for b in scope.get(name, ()) if b.seq <= self._seq]
            if bindings:
                last = bindings[-1]
                return last.value if last.kind == VALUE else None
        return None

    def _lookup(self, name: str, ctx: FileContext) -> Info | None:
        chain, seq = self._env
        for scope in chain:
            bindings = scope.get(name)
            if bindings:
                found = self._resolve(bindings, seq, ctx)
                if found is not None:
                    return found
        return None

    def _resolve(self, bindings: list[_Binding], seq: int, ctx: FileContext) -> Info | None:
        visible = [b for b in bindings if b.seq < seq]
        # evaluate in order so that "x = x + ..." chains recurse one level, not hundreds
        for b in visible:
            if b.info is None:
                self._evaluate(b, ctx)
        out: Info | None = None
        for b in reversed(visible):
            info = b.info
            assert info is not None
            if b.kind == ITEM:
                if info.taint is not None:
                    item = Info(taint=info.taint)
                    out = item if out is None else merge(out, item)
                continue
            out = info if out is None else merge(out, info)
            if b.strong:
                break
        return out

    def _evaluate(self, b: _Binding, ctx: FileContext) -> None:
        saved = self._env
        self._env = (b.chain, b.seq)
        b.info = UNKNOWN  # a binding reached again while being evaluated is unknown
        try:
            if b.kind == AUG:
                info = self._binop(b.target, b.op, b.value, ctx)  # type: ignore[arg-type]
            else:
                info = self._info(b.value, ctx)  # type: ignore[arg-type]
                if b.kind == PART:
                    info = Info(taint=info.taint, const=info.const, safe=info.safe)
        finally:
            self._env = saved
        b.info = info

    # --- evaluation ---------------------------------------------------------------------------
    def is_tainted(self, node: ast.AST, ctx: FileContext, kinds: frozenset[str] | None = None) -> Taint | None:
        taint = self.info(node, ctx).taint
        if taint is not None and (kinds is None or taint.kind in kinds):
            return taint
        return None

    def info(self, node: ast.AST, ctx: FileContext) -> Info:
        """What is known about the value of expression ``node`` at this point of the traversal."""
        saved = self._env
        self._env = (self._chain(ctx), self._seq + 1)
        try:
            return self._info(node, ctx)
        finally:
            self._env = saved

    def _info(self, node: ast.AST, ctx: FileContext) -> Info:
        kind = node.__class__
        if kind is ast.Constant:
            return CONST
        if kind is ast.Name:
            return self._lookup(node.id, ctx) or UNKNOWN  # type: ignore[attr-defined]
        if kind is ast.Attribute:
            return self._attribute(node, ctx)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self._call(node, ctx)  # type: ignore[arg-type]
        if kind is ast.JoinedStr:
            parts = [self._info(v.value, ctx) for v in node.values if isinstance(v, ast.FormattedValue)]  # type: ignore[attr-defined]
            out = _merge_all(parts)
            built = any(p.built or not _fixed(p) for p in parts)
            # text around safe values (numbers, escaped identifiers) is as safe as they are
            return Info(taint=out.taint, const=out.const, built=built, safe=out.safe and not built)
        if kind is ast.BinOp:
            return self._binop(node.left, node.op, node.right, ctx)  # type: ignore[attr-defined]
        if kind is ast.Subscript:
            base = self._info(node.value, ctx)  # type: ignore[attr-defined]
            index = self._info(node.slice, ctx)  # type: ignore[attr-defined]
            return Info(taint=base.taint, const=base.const and index.const, built=base.built)
        if kind is ast.IfExp:
            return merge(self._info(node.body, ctx), self._info(node.orelse, ctx))  # type: ignore[attr-defined]
        if kind is ast.BoolOp:
            return _merge_all([self._info(v, ctx) for v in node.values])  # type: ignore[attr-defined]
        if kind in (ast.Tuple, ast.List, ast.Set):
            return _merge_all([self._info(e, ctx) for e in node.elts])  # type: ignore[attr-defined]
        if kind is ast.Dict:
            return _merge_all([self._info(e, ctx) for e in (*node.keys, *node.values) if e is not None])  # type: ignore[attr-defined]
        if kind in (ast.Starred, ast.Await, ast.FormattedValue, ast.NamedExpr):
            return self._info(node.value, ctx)  # type: ignore[attr-defined]
        if kind is ast.UnaryOp:
            inner = self._info(node.operand, ctx)  # type: ignore[attr-defined]
            return Info(taint=inner.taint, const=inner.const, safe=not inner.const)
        if kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
            return self._comprehension(node, ctx)  # type: ignore[arg-type]
        if kind is ast.Compare:
            return SAFE
        return UNKNOWN

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, ctx: FileContext) -> Info:
        """A comprehension binds its targets in its own scope, from its own iterables (an ``i``
        of the enclosing function says nothing about the ``i`` of ``for i, x in enumerate(...)``)."""
        chain, seq = self._env
        scope: dict[str, list[_Binding]] = {}
        for gen in node.generators:
            self._env = ((scope, *chain), seq)
            try:
                it = self._info(gen.iter, ctx)
            finally:
                self._env = (chain, seq)
            targets: list[tuple[ast.AST, Info]] = []
            if isinstance(gen.target, ast.Tuple | ast.List) and _is_enumerate(gen.iter, gen.target):
                targets = [(gen.target.elts[0], SAFE), (gen.target.elts[1], Info(taint=it.taint, safe=it.safe))]
            else:
                targets = [(gen.target, Info(taint=it.taint, const=it.const, safe=it.safe))]
            for target, info in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        scope[sub.id] = [_Binding(VALUE, sub, None, None, -1, True, (scope, *chain), info)]
        self._env = ((scope, *chain), seq)
        try:
            # the result holds what the element expression makes of the targets, nothing more
            if isinstance(node, ast.DictComp):
                return _merge_all([self._info(node.key, ctx), self._info(node.value, ctx)])
            return self._info(node.elt, ctx)
        finally:
            self._env = (chain, seq)

    def _binop(self, left: ast.AST, op: ast.operator, right: ast.AST, ctx: FileContext) -> Info:
        a = self._info(left, ctx)
        b = self._info(right, ctx)
        if isinstance(op, _NUMERIC_OPS) and (_is_number(left) or _is_number(right)):
            return SAFE  # text + 1 raises: the result of arithmetic with a number is a number
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
        base = self._info(node.value, ctx)
        return Info(taint=base.taint) if base.taint is not None else UNKNOWN

    def _attribute_source(self, node: ast.Attribute, ctx: FileContext) -> Taint | None:
        attr = node.attr
        if attr in REQUEST_ATTRS:
            base = node.value
            if isinstance(base, ast.Name) and base.id in REQUEST_NAMES:
                imported = ctx.imports.get(base.id)
                if imported is None or imported in WEB_REQUEST_OBJECTS:
                    return Taint(REQUEST, f"request.{attr}", node.lineno, ctx.path)
            elif (
                isinstance(base, ast.Attribute)
                and base.attr in REQUEST_NAMES
                and isinstance(base.value, ast.Name)
                and base.value.id == "self"
            ):
                return Taint(REQUEST, f"self.request.{attr}", node.lineno, ctx.path)
            elif ctx.qualified_name(base) in WEB_REQUEST_OBJECTS:
                return Taint(REQUEST, f"request.{attr}", node.lineno, ctx.path)
        if attr in ("argv", "environ", "environb"):
            hit = SOURCE_ATTRIBUTES.get(ctx.qualified_name(node) or "")
            if hit is not None:
                return Taint(hit[0], hit[1], node.lineno, ctx.path)
        return None

    def _call(self, node: ast.Call, ctx: FileContext) -> Info:
        func = node.func
        last = call_terminal(func, ctx)
        if is_sanitizer(last):
            return SAFE
        if last in ("input", "raw_input", "getenv", "getenvb", "get"):
            hit = SOURCE_CALLS.get(ctx.qualified_name(func) or "")
            if hit is not None:
                return Info(taint=Taint(hit[0], hit[1], node.lineno, ctx.path))
        args = [self._info(a, ctx) for a in node.args]
        args += [self._info(k.value, ctx) for k in node.keywords]
        arg_info = _merge_all(args)
        if last in GETTEXT and arg_info.const:
            return CONST
        if isinstance(func, ast.Attribute):
            called = self._attribute_source(func, ctx) if func.attr in REQUEST_ATTRS else None
            if called is not None:  # request.get_json(), request.get_data()
                return Info(taint=called)
            receiver = self._info(func.value, ctx)
            if receiver.taint is None and last in _LOOKUP_METHODS:
                return UNKNOWN
            if last == "format" or (last == "join" and _is_str_literal(func.value)):
                both = merge(receiver, arg_info)
                if both.const:
                    return CONST
                built = not _fixed(both) or both.built
                return Info(taint=both.taint, built=built, safe=both.safe and not built)
            if receiver.taint is not None:
                return Info(taint=receiver.taint, built=receiver.built and last in _KEEPING_METHODS)
            if last in _KEEPING_METHODS and receiver.built:
                return Info(taint=arg_info.taint, built=True)
        elif isinstance(func, ast.Name) and last in ("str", "bytes", "repr") and len(node.args) == 1:
            return args[0]
        if arg_info.taint is None and func.__class__ in (ast.Name, ast.Attribute) and last not in _BUILTINS:
            # what an unknown function returns: resolved across functions by interproc.py
            callee = dotted(func)
            if callee is not None:
                return Info(taint=Taint(RETURN, callee, node.lineno, ctx.path, owner=_owner(ctx)))
        return Info(taint=arg_info.taint)
